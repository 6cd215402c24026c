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

    python run_backtest.py --sweep configs/sweeps/wlfi_grid.json                 # on a local Ray, every core
    python run_backtest.py --sweep SWEEP.json --ray-address HOST:6379             # on an existing Ray cluster

--sweep runs a research sweep instead: a grid or an Optuna search over the parameters of a base
config (backtest/sweep/spec.py, README "Sweeps"); it writes sweep_NAME.parquet (one row per cell)
and sweep_NAME.html into the report folder.
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
# Options a sweep takes from its file instead (a sweep keeps --catalog, --report-dir, --ingest-shipped, --log-level).
SWEEP_CLASHES = ("config", "instruments", "start", "end", "fee_tier", "latency_ms", "warmup_s", "all", "max_gap_s")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", help=f"backtest config JSON (default: {DEFAULT_CONFIG})")
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
    p.add_argument("--sweep", metavar="SWEEP.json",
                   help="run a research sweep (a grid or an Optuna search over a base config's parameters) on Ray "
                   "instead of a config's runs; the sweep file names its base config")
    p.add_argument("--ray-address", metavar="ADDRESS",
                   help="with --sweep: an existing Ray cluster, e.g. HOST:6379 or ray://HOST:10001 (default: a new "
                   "local Ray on every core of this machine)")
    args = p.parse_args(argv)
    if args.sweep is not None:
        # What a sweep varies lives in its file: an option beside it would be silently outvoted by the file.
        clashing = [f"--{name.replace('_', '-')}" for name in SWEEP_CLASHES if getattr(args, name) not in (None, False)]
        if clashing:
            p.error(f"{', '.join(clashing)} cannot be combined with --sweep: set it in the sweep's base config or sweep it")
    elif args.ray_address is not None:
        p.error("--ray-address goes with --sweep")
    if args.config is None:
        args.config = str(DEFAULT_CONFIG)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.sweep is not None:
        return sweep_main(args)
    import msgspec
    from nautilus_trader.persistence.catalog import ParquetDataCatalog
    from rich.console import Console

    from backtest.reporting import report
    from backtest.runner import check_settings
    from backtest.runner import load_settings
    from backtest.runner import parse_utc
    from backtest.runner import run_session
    from backtest.runner import unused_overrides_note

    console = output_console()
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
        report_dir = checked_report_dir(settings.report_dir)
    except ValueError as exc:
        errors.print(f"[red]error:[/red] {exc}")
        return 2

    try:
        catalog_dir = prepare_catalog(settings.catalog, args.ingest_shipped, settings.fee_tier, console)
    except ValueError as exc:
        errors.print(f"[red]error:[/red] {exc}")
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

    for note in (unused_overrides_note(settings) if not args.all else None,
                 fee_tier_note(catalog, runs, settings.fee_tier)):
        if note is not None:
            console.print(note, highlight=False, soft_wrap=True)
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


def output_console():
    from backtest.reporting.report import summary_console

    return summary_console()


def checked_report_dir(path: str) -> Path:
    """The report folder (a relative path is under the project root), created and checked writable
    before any run, so that a bad folder does not surface after every run is done."""
    report_dir = Path(path)
    if not report_dir.is_absolute():
        report_dir = ROOT / report_dir
    return check_writable_dir(report_dir, "report dir")


def prepare_catalog(path: str, ingest_shipped: bool, fee_tier: int, console) -> Path:
    """The catalog folder (a relative path is under the project root), with the shipped recordings
    ingested into the default catalog, or into another when `ingest_shipped` asks for it."""
    catalog_dir = Path(path)
    if not catalog_dir.is_absolute():
        catalog_dir = ROOT / catalog_dir
    if catalog_dir.exists() and not catalog_dir.is_dir():
        raise ValueError(f"catalog {catalog_dir} is not a folder")
    if catalog_dir.resolve() == shipped_data.DEFAULT_CATALOG_DIR.resolve() or ingest_shipped:
        # The default catalog is built from the shipped recordings on first use; another catalog
        # is the user's own data and is only written to when they ask for it.
        from catalog.ingest import ensure_shipped_catalog

        with console.status(f"ingesting the shipped recordings into {catalog_dir} (once)"):
            ensure_shipped_catalog(catalog_dir, fee_tier=fee_tier)
    elif not catalog_dir.is_dir():
        raise ValueError(f"catalog not found: {catalog_dir}")
    return catalog_dir


def sweep_main(args: argparse.Namespace) -> int:
    """--sweep: check the sweep file and the folders, run the cells on Ray, write the table and the report."""
    from rich.console import Console
    from rich.markup import escape

    from backtest.sweep import spec
    from backtest.sweep.execute import RayStart
    from backtest.sweep.execute import check_address

    console = output_console()
    errors = Console(stderr=True, soft_wrap=True)
    try:
        if args.ray_address is not None:
            check_address(args.ray_address)
        sweep = spec.load(args.sweep)
        report_dir = checked_report_dir(args.report_dir or sweep.settings.report_dir)
        catalog_dir = prepare_catalog(args.catalog or sweep.settings.catalog, args.ingest_shipped,
                                      sweep.settings.fee_tier, console)
        check_instruments_held(catalog_dir, [r.instrument for r in sweep.runs])
        # Everything is checked: Ray starts, and comes up while the rest of the sweep's code loads.
        ray = RayStart(args.ray_address)
        try:
            from backtest.sweep import command

            result = command.run(sweep, catalog_dir, report_dir, ray=ray, ray_address=args.ray_address,
                                 log_level=args.log_level, console=console)
        finally:
            ray.stop()
    except (ValueError, ConnectionError) as exc:  # a bad file or folder; a cluster that does not answer
        errors.print(f"[red]error:[/red] {escape(sweep_error_text(exc))}")  # escaped: "ray[client]" is no markup
        return 2
    if result.interrupted:
        written = f"; table: {result.parquet}  report: {result.html}" if result.rows else "; nothing written"
        errors.print(f"interrupted after {len(result.rows)} cell(s){written}", highlight=False)
        return 130
    console.print(f"table: {result.parquet}  report: {result.html}")
    if result.failed:
        errors.print(f"[red]{len(result.failed)} of {len(result.rows)} cell(s) failed[/red] (their errors are in the table)")
        return 2
    return 0


def fee_tier_note(catalog, runs: list, fee_tier: int) -> str | None:
    """A line when the catalog's instruments were ingested at another fee tier than the backtest
    charges: the config's tier (or --fee-tier) decides, whatever the catalog says."""
    from adapters.hyperliquid.common.fees import PERP_FEE_TIERS
    from adapters.hyperliquid.common.fees import perp_fees

    maker, _ = perp_fees(fee_tier)
    ids = sorted({spec.instrument for spec in runs})
    ingested = {inst.maker_fee for inst in catalog.instruments(instrument_ids=ids)} - {maker}
    if not ingested:
        return None
    tiers = sorted({t.tier for t in PERP_FEE_TIERS if t.maker in ingested})
    return (f"note: the catalog's instruments were ingested at fee tier {', '.join(map(str, tiers)) or '?'}; "
            f"this backtest charges tier {fee_tier} (the config's fee_tier; --fee-tier N to change it)")


def sweep_error_text(exc: Exception) -> str:
    """The error line of a sweep that could not start. Ray's ConnectionError says where it failed;
    the reason is its cause, whose traceback text is replaced by what to do where it is known."""
    cause = f" ({exc.__cause__})" if isinstance(exc, ConnectionError) and exc.__cause__ else ""
    if "InvalidAuthToken" in cause or "Unauthenticated" in cause:
        cause = (" (the cluster uses Ray's token authentication: set RAY_AUTH_MODE=token, and its token in "
                 "RAY_AUTH_TOKEN or ~/.ray/auth_token)")
    return str(exc) + cause


def check_instruments_held(catalog_dir: Path, instruments: list[str]) -> None:
    """Every instrument the runs trade is in the catalog (else each cell would fail, after Ray started)."""
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    held = {str(i.id) for i in ParquetDataCatalog(str(catalog_dir)).instruments()}
    missing = sorted(set(instruments) - held)
    if missing:
        raise ValueError(f"the catalog at {catalog_dir} holds no {', '.join(missing)}, which the sweep's runs trade; "
                         "nothing was started")


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
