"""l2Book snapshots per second, end to end, for the shipped BTC archive hour.

End to end = what `python -m catalog ingest` does for that file: stream-decompress the LZ4 file,
decode every line, diff each snapshot into book deltas, and write the deltas and the instrument
to a fresh ParquetDataCatalog (with the content hash for the manifest). Median of RUNS runs.
Writes bench/results/ingest.json: {"snapshots_per_s", "command", "date"}.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import _harness  # noqa: F401  (first: takes bench/ off sys.path)

from catalog import shipped_data
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta

RUNS = 9
RESULT = Path(__file__).resolve().parent / "results" / "ingest.json"


def one_run(source: Path) -> tuple[float, float, int, int]:
    directory = Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = ingest_files([source], directory, meta=shipped_meta())
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    book = summary.instruments["BTC-USD-PERP.HYPERLIQUID"].book
    return elapsed, cpu, book.snapshots, book.deltas


def main() -> None:
    source = shipped_data.btc_archive_hour()
    one_run(source)  # warm-up: imports, page cache
    times, cpu_times = [], []
    snapshots = deltas = 0
    for _ in range(RUNS):
        elapsed, cpu, snapshots, deltas = one_run(source)
        times.append(elapsed)
        cpu_times.append(cpu)
    median = statistics.median(times)
    rate = snapshots / median
    print(f"BTC archive hour: {snapshots:,} snapshots → {deltas:,} deltas")
    print("runs (s): " + ", ".join(f"{t:.3f}" for t in times))
    print(f"median {median:.3f} s → {rate:,.0f} snapshots/s (target ≥ 10,000)")
    cpu_median = statistics.median(cpu_times)
    print(f"CPU time median {cpu_median:.3f} s → {snapshots / cpu_median:,.0f} snapshots/CPU-s (shared machine)")
    result = {
        "snapshots_per_s": round(rate, 1),
        "command": ".venv/bin/python bench/ingest.py",
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    sys.exit(main())
