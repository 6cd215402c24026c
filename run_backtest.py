"""Backtest the market maker over the catalog and write the report.

    python run_backtest.py                       # default config over the shipped data
    python run_backtest.py --config configs/backtest.json --instruments ETH --start 2025-12-10T21:15 --end 2025-12-10T21:25
    python run_backtest.py --catalog DIR --all   # every instrument DIR holds, one run per recorded segment

The default catalog (data/catalog) gets the shipped recordings ingested on first use; any other
catalog (named by the config or by --catalog) is only read, unless --ingest-shipped asks for them.
--all needs no config: the default config's settings over every instrument and recorded segment
of the catalog (a segment ends at a stretch without data longer than --max-gap-s; see
backtest/segments.py). Prints a summary per run and writes reports/backtest.html, one PNG per run
and backtest_summary.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from adapters.hyperliquid.common.fees import parse_fee_tier
from catalog import shipped_data
from cli_types import LOG_LEVELS
from cli_types import check_writable_dir
from cli_types import checked
from cli_types import non_negative_float
from cli_types import positive_float

ROOT = shipped_data.PROJECT_ROOT
DEFAULT_CONFIG = ROOT / "configs" / "backtest.json"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default=str(DEFAULT_CONFIG), help="backtest config JSON (default: %(default)s)")
    p.add_argument("--catalog", help="ParquetDataCatalog folder (default: the config's, data/catalog)")
    p.add_argument("--instruments", help="comma-separated instrument ids or coins to run (default: every run in the config)")
    p.add_argument("--start", help="ISO UTC time quoting starts (overrides the config's runs)")
    p.add_argument("--end", help="ISO UTC time the run ends (overrides the config's runs)")
    p.add_argument("--report-dir", help="where the report goes (default: the config's, reports/)")
    p.add_argument("--fee-tier", type=checked(parse_fee_tier), help="Hyperliquid fee tier 0-6 (default: the config's)")
    p.add_argument("--latency-ms", type=non_negative_float, help="one-way order latency in ms (default: the config's, 100)")
    p.add_argument("--warmup-s", type=non_negative_float,
                   help="seconds of data read before each run's start (default: the config's, 300)")
    p.add_argument("--all", action="store_true",
                   help="backtest every instrument the catalog holds, one run per recorded segment, instead of "
                   "the config's runs (--start/--end clip the segments)")
    p.add_argument("--max-gap-s", type=positive_float,
                   help="with --all: a stretch without data longer than this ends a segment (default: 10 minutes)")
    p.add_argument("--ingest-shipped", action="store_true",
                   help="ingest the shipped recordings into --catalog first (the default catalog always gets them)")
    p.add_argument("--log-level", default="ERROR", type=str.upper, choices=LOG_LEVELS,
                   help="Nautilus log level (default: %(default)s)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import msgspec
    from nautilus_trader.persistence.catalog import ParquetDataCatalog
    from rich.console import Console

    from backtest.reporting import report
    from backtest.runner import check_settings
    from backtest.runner import load_settings
    from backtest.runner import parse_utc
    from backtest.runner import run_session

    # Not a terminal (a log, CI): wide enough that the one-line-per-run table is not wrapped into unreadable cells.
    console = Console() if sys.stdout.isatty() else Console(width=170)
    # Errors go to stderr whole: a message rich wrapped at the terminal width could not be searched for.
    errors = Console(stderr=True, soft_wrap=True)
    try:
        settings = load_settings(args.config)
        overrides = {}
        if args.catalog:
            overrides["catalog"] = args.catalog
        if args.report_dir:
            overrides["report_dir"] = args.report_dir
        if args.fee_tier is not None:
            overrides["fee_tier"] = args.fee_tier
        if args.latency_ms is not None:
            overrides["latency_ms"] = args.latency_ms
        if args.warmup_s is not None:
            overrides["warmup_s"] = args.warmup_s
        if overrides:
            settings = msgspec.structs.replace(settings, **overrides)
            check_settings(settings)  # load_settings checked the file's values; these replace some
        start_ns = parse_utc(args.start)
        end_ns = parse_utc(args.end)
        if start_ns is not None and end_ns is not None and end_ns <= start_ns:
            raise ValueError("--end must be after --start")
        runs = settings.runs
        if args.instruments and not args.all:
            runs = runs_for_instruments(runs, args.instruments, args.config)
        report_dir = Path(settings.report_dir)
        if not report_dir.is_absolute():
            report_dir = ROOT / report_dir
        # Checked now: a bad report folder must not surface after every run is done.
        check_writable_dir(report_dir, "report dir")
    except ValueError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        return 2

    catalog_dir = Path(settings.catalog)
    if not catalog_dir.is_absolute():
        catalog_dir = ROOT / catalog_dir
    if catalog_dir.exists() and not catalog_dir.is_dir():
        errors.print(f"[red]error:[/red] catalog {catalog_dir} is not a folder")
        return 2
    if catalog_dir.resolve() == shipped_data.DEFAULT_CATALOG_DIR.resolve() or args.ingest_shipped:
        # The default catalog is built from the shipped recordings on first use; another catalog
        # is the user's own data and is only written to when they ask for it.
        from catalog.ingest import ensure_shipped_catalog

        with console.status(f"ingesting the shipped recordings into {catalog_dir} (once)"):
            ensure_shipped_catalog(catalog_dir, fee_tier=settings.fee_tier)
    elif not catalog_dir.is_dir():
        errors.print(f"[red]error:[/red] catalog not found: {catalog_dir}")
        return 2
    catalog = ParquetDataCatalog(str(catalog_dir))
    if args.all:
        try:
            runs = catalog_runs(catalog, settings, args, start_ns, end_ns, console)
        except ValueError as exc:
            errors.print(f"[red]error:[/red] {exc}")
            return 2
        settings = msgspec.structs.replace(settings, runs=runs)
        start_ns = end_ns = None  # the runs carry them

    reports = []
    failed = []
    for spec in runs:
        with console.status(f"backtesting {spec.name} ({spec.instrument})"):
            try:
                session = run_session(settings, spec, catalog, start_ns=start_ns, end_ns=end_ns, log_level=args.log_level)
            except ValueError as exc:
                # The other runs go on: their results are reported, and the exit status says one failed.
                errors.print(f"[red]error in run {spec.name}:[/red] {exc}")
                failed.append(spec.name)
                continue
        reports.append(report.build(session))
        session.engine.dispose()
    if reports:
        report.print_summary(reports, console)
        written = report.write(reports, report_dir)
        console.print(f"report: {written['html']}  ({', '.join(str(p.name) for k, p in written.items() if k != 'html')})")
    if failed:
        errors.print(f"[red]{len(failed)} run(s) failed:[/red] {', '.join(failed)}")
        if not args.all:
            errors.print(f"to backtest what {catalog_dir} holds without a config: run_backtest.py --catalog {catalog_dir} --all")
    return 2 if failed else 0


def catalog_runs(catalog, settings, args: argparse.Namespace, start_ns: int | None, end_ns: int | None, console) -> list:
    """--all: one run per instrument and recorded segment of the catalog (`backtest.segments`)."""
    from backtest.segments import DEFAULT_MAX_GAP_S
    from backtest.segments import segment_runs

    max_gap_s = DEFAULT_MAX_GAP_S if args.max_gap_s is None else args.max_gap_s
    runs, skipped = segment_runs(catalog, settings.warmup_s, max_gap_s, start_ns, end_ns)
    for line in skipped:
        console.print(f"skipped {line}", highlight=False, soft_wrap=True)
    if args.instruments:
        runs = runs_for_instruments(runs, args.instruments, f"the segments of {catalog.path}")
    if not runs:
        raise ValueError(f"nothing to backtest in {catalog.path}: no instrument has a segment longer than the warm-up")
    return runs


def runs_for_instruments(runs: list, instruments: str, config: str) -> list:
    """The runs of the config whose instrument (or coin) `--instruments` names; every name must match one."""
    wanted = [w.strip().upper() for w in instruments.split(",") if w.strip()]

    def matches(run, name: str) -> bool:
        return run.instrument.upper() == name or run.instrument.split("-")[0].upper() == name

    unmatched = [name for name in wanted if not any(matches(r, name) for r in runs)]
    if not wanted or unmatched:
        raise ValueError(f"no run in {config} for --instruments {', '.join(unmatched) or instruments!r}")
    return [r for r in runs if any(matches(r, name) for name in wanted)]


if __name__ == "__main__":
    sys.exit(main())
