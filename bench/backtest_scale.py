"""Backtest at scale: a whole day in one run, and a short window in a big catalog.

The day is a REPLICATION OF ONE REAL HOUR: the shipped BTC archive hour (2024-01-01 12:00-13:00,
Hyperliquid's hourly l2Book archive) shifted by 0..23 hours, each copy ingested like any archive
file, makes a catalog of 24 consecutive hours (2024-01-01 12:00 to 2024-01-02 12:00). Every hour
opens with its own snapshot, so the price jumps back to the hour's opening price on the hour.

Measured, each backtest in its own process (wall time around `run_session`, peak RSS from the
process's own ru_maxrss), with the default config's settings (configs/backtest.json); the short
runs are medians (the hour of 5 processes, each window of 9, the two catalogs' windows interleaved):

- `day_wall_s`: the whole day as one run (quoting from the day's start plus the warm-up);
- `hour_wall_s`: the first hour of the same catalog as one run; `linearity` = day / (24 x hour),
  goal <= 1.3;
- `peak_rss_mb`: of the day run's process, goal <= 2,000;
- `window_in_big_catalog_s`: a 10-minute window in the middle of the day (2024-01-02 00:20-00:30)
  in the 24-hour catalog; `window_in_hour_catalog_s`: the same window in a catalog holding only
  that hour; `window_ratio` = big / hour-only, goal <= 1.5.

Writes bench/results/backtest_scale.json (those figures plus "command" and "date").

    .venv/bin/python bench/backtest_scale.py [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import _harness  # noqa: F401  (first: takes bench/ off sys.path)
import lz4.frame
import msgspec

from adapters.hyperliquid.parsing.recordings import iso_to_ns
from catalog import shipped_data
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta

RESULT = Path(__file__).resolve().parent / "results" / "backtest_scale.json"
BTC = "BTC-USD-PERP.HYPERLIQUID"
HOUR_NS = 3600 * 10**9
DAY_START = "2024-01-01T12:00:00Z"
WINDOW_HOUR = 12  # the copy shifted by 12 hours: 2024-01-02 00:00-01:00
WINDOW = ("2024-01-02T00:20:00Z", "2024-01-02T00:30:00Z")
SHORT_REPEATS = 5  # the hour takes about a second: the median of 5 processes
WINDOW_REPEATS = 9  # a window takes a quarter of a second, as much as the machine's noise: medians of 9


def shifted_hour(source: Path, hours: int, target: Path) -> Path:
    """The archive file with every time (the archiver's receive time and the exchange time) moved by `hours`."""
    shift_ns = hours * HOUR_NS
    lines = []
    for line in lz4.frame.decompress(source.read_bytes()).splitlines():
        record = msgspec.json.decode(line)
        seconds, nanos = divmod(iso_to_ns(record["time"]) + shift_ns, 10**9)
        record["time"] = f"{datetime.fromtimestamp(seconds, tz=UTC):%Y-%m-%dT%H:%M:%S}.{nanos:09d}"
        record["raw"]["data"]["time"] += shift_ns // 10**6
        lines.append(msgspec.json.encode(record))
    target.write_bytes(lz4.frame.compress(b"\n".join(lines) + b"\n"))
    return target


def build_catalogs(work: Path) -> tuple[Path, Path]:
    """The 24-hour catalog and the catalog holding only the window's hour."""
    source = shipped_data.btc_archive_hour()
    copies = [shifted_hour(source, h, work / f"BTC_{h:02d}.lz4") for h in range(24)]
    day, hour = work / "day_catalog", work / "hour_catalog"
    for catalog, files in ((day, copies), (hour, [copies[WINDOW_HOUR]])):
        if not (catalog / "hyperliquid_ingest.json").exists():
            ingest_files(files, catalog, meta=shipped_meta())
    return day, hour


def run_once(catalog: Path, start: str, end: str) -> dict:
    """One backtest in a fresh process: its wall time, peak RSS and size."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(catalog), start, end], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict]) -> dict:
    """The median wall time and the largest peak RSS of repeated runs."""
    return {**runs[0], "wall_s": statistics.median(r["wall_s"] for r in runs),
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs)}


def child(catalog: str, start: str, end: str) -> None:
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    from backtest.runner import RunSpec
    from backtest.runner import run_session

    settings = _settings()
    spec = RunSpec(name="scale", instrument=BTC, start=start, end=end)
    t0 = time.perf_counter()
    session = run_session(settings, spec, ParquetDataCatalog(catalog), log_level="OFF")
    wall = time.perf_counter() - t0
    print(json.dumps({
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "data_events": session.data_events,
        "fills": len(session.strategy.fills),
    }))


def _settings():  # the default config's, as run_backtest.py reads them
    from backtest.runner import load_settings

    return load_settings(shipped_data.PROJECT_ROOT / "configs" / "backtest.json")


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--work-dir", type=Path, help="keep the shifted files and catalogs here (default: a temp dir)")
    parser.add_argument("--child", nargs=3, metavar=("CATALOG", "START", "END"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    print("The 24-hour catalog is a replication of one real hour (the BTC archive hour of 2024-01-01 12:00, "
          "shifted by 0..23 hours), not 24 recorded hours.")
    with tempfile.TemporaryDirectory(prefix="bench_scale_") as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        day_catalog, hour_catalog = build_catalogs(work)
        print(f"catalogs built in {time.perf_counter() - t0:.0f} s")
        start_ns = iso_to_ns(DAY_START)
        quote_from = _iso(start_ns + round(_settings().warmup_s * 1e9))  # quoting starts after the warm-up
        day = run_once(day_catalog, quote_from, _iso(start_ns + 24 * HOUR_NS))
        print(f"day: {day}")
        hour = summarise([run_once(day_catalog, quote_from, _iso(start_ns + HOUR_NS)) for _ in range(SHORT_REPEATS)])
        print(f"hour: {hour}")
        # Interleaved, so that a busy spell of the machine weighs on both catalogs alike.
        pairs = [(run_once(day_catalog, *WINDOW), run_once(hour_catalog, *WINDOW)) for _ in range(WINDOW_REPEATS)]
        big, small = summarise([b for b, _ in pairs]), summarise([s for _, s in pairs])
        print(f"10-minute window in the 24-hour catalog: {big}")
        print(f"the same window in a catalog of that hour only: {small}")
    result = {
        "day_wall_s": day["wall_s"],
        "hour_wall_s": hour["wall_s"],
        "linearity": round(day["wall_s"] / (24 * hour["wall_s"]), 3),
        "peak_rss_mb": day["peak_rss_mb"],
        "window_in_big_catalog_s": big["wall_s"],
        "window_in_hour_catalog_s": small["wall_s"],
        "window_ratio": round(big["wall_s"] / small["wall_s"], 3),
        "command": ".venv/bin/python bench/backtest_scale.py",
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    print(f"goals: linearity {result['linearity']} (<= 1.3), peak RSS {result['peak_rss_mb']} MB (<= 2000), "
          f"window ratio {result['window_ratio']} (<= 1.5)")
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
