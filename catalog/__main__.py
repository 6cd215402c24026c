"""CLI: `python -m catalog ingest PATH... --catalog DIR [--meta META_JSON] [--fee-tier N]`
and `python -m catalog harvest --coins BTC,ETH --catalog DIR` (live recorder, see catalog/harvest.py).

`--shipped` adds the shipped recordings (catalog.ingest.shipped_files) with the shipped mainnet
meta reply. Lines with times the catalog cannot hold are skipped and listed by line
(`--max-time-skew-s`, see catalog/line_times.py). Prints a progress bar and a summary per file and
per instrument. Exit status: 0 done, 2 bad input (wrong file kind, missing file, overlapping data,
bad meta, a file out of time order).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from rich.console import Console

from adapters.hyperliquid.common.fees import parse_fee_tier
from catalog.harvest import add_harvest_parser
from catalog.harvest import run_cli as run_harvest
from catalog.ingest import IngestError
from catalog.ingest import ingest_files
from catalog.ingest import shipped_files
from catalog.ingest import shipped_meta
from catalog.line_times import DEFAULT_MAX_SKEW_S
from catalog.summary import render_summary
from cli_types import check_writable_dir
from cli_types import checked
from cli_types import positive_float
from cli_types import readable_file

DATA_SUFFIXES = (".lz4", ".gz", ".ws", ".txt", ".jsonl")


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; a folder (e.g. an archive tree `market_data/20240101/`) becomes its data files."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.is_file()
                    and p.name.endswith(DATA_SUFFIXES)
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        else:
            out.append(path)
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m catalog", description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="ingest Hyperliquid WS captures / archive files into a catalog")
    ingest.add_argument(
        "paths",
        nargs="*",
        type=Path,
        help="capture (.ws.gz, text) or archive (.lz4) files, or folders of them",
    )
    ingest.add_argument(
        "--catalog", required=True, type=Path, help="ParquetDataCatalog folder (created if missing)"
    )
    ingest.add_argument("--meta", type=readable_file, help="saved `meta` or `metaAndAssetCtxs` reply (szDecimals)")
    ingest.add_argument("--fee-tier", type=checked(parse_fee_tier), default=0, help="Hyperliquid perp fee tier 0-6 (default 0)")
    ingest.add_argument("--shipped", action="store_true", help="also ingest the shipped recordings")
    ingest.add_argument("--replace", action="store_true",
                        help="re-ingest files already in the catalog; an earlier file whose data a new one overlaps "
                             "(a truncated copy) is taken out")
    ingest.add_argument("--no-progress", action="store_true", help="no progress bar")
    ingest.add_argument(
        "--max-time-skew-s", type=positive_float, default=DEFAULT_MAX_SKEW_S,
        help="skip lines whose receive time is further than this from their exchange time (default: %(default)s)",
    )
    add_harvest_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "harvest":
        return run_harvest(args)
    console = Console()
    logging.basicConfig(level=logging.ERROR)  # warnings are shown in the summary instead
    paths = expand_paths(args.paths)
    meta = args.meta
    if args.shipped:
        paths = shipped_files() + paths
        meta = meta or shipped_meta()
    if not paths:
        where = ", ".join(str(p) for p in args.paths)
        console.print(f"[red]error:[/red] no capture or archive files in {where} (names ending {', '.join(DATA_SUFFIXES)})"
                      if args.paths else "[red]error:[/red] no input files (give PATH... or --shipped)", highlight=False,
                      soft_wrap=True)
        return 2
    try:
        check_writable_dir(args.catalog, "catalog", create=False)
        summary = ingest_files(
            paths,
            args.catalog,
            meta=meta,
            fee_tier=args.fee_tier,
            replace=args.replace,
            progress=not args.no_progress,
            console=console,
            max_skew_s=args.max_time_skew_s,
        )
    except (IngestError, ValueError, OSError) as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        return 2
    render_summary(summary, console)
    if not summary.instruments:
        # A job (a cron ingest) must not look successful when it took nothing in.
        console.print("[red]error:[/red] nothing was ingested: the files given hold no market data")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
