"""Sweep on Ray against the same cells one after another: what the cores buy.

The cells: one run over HOURS hours (default 12) of a catalog made by replicating the shipped BTC
archive hour (2024-01-01 12:00, shifted by 0..HOURS-1 hours, as bench/backtest_scale.py builds its
day), with the default config's settings (configs/backtest.json) and CELLS values of
strategy.base_spread_bps (default 8 cells); a cell takes some seconds of CPU, long enough that
Ray's start-up is not the whole story. The same cells (the same `CellTask`s) run

- sequentially: in this process, one after another (`run_cell`, the imports already loaded);
- on Ray: a new local Ray on every core of this machine (`ray_session`, `CellPool`), from the
  start of Ray to the last cell's row.

Figures (bench/results/sweep.json):
- `sequential_wall_s`, `ray_wall_s` (Ray's start-up included: what a user waits), `ray_start_s`
  (until Ray is up; the workers' imports come after, inside the cells' wall);
- `speedup` = sequential_wall_s / ray_wall_s (goal >= 1.7 on 2 cores), and
  `speedup_after_start` = sequential_wall_s / (ray_wall_s - ray_start_s);
- `ray_overhead_s` per cell = (ray_wall_s x cpus - the sum of the cells' own wall times under
  Ray) / cells: the CPU-seconds per cell the cores spent on anything but a cell's backtest
  (Ray's start, worker start-up and imports, scheduling, a core idle at the tail);
- `sequential_cell_sum_s`, `ray_cell_sum_s`: the sums of the cells' own wall times (the cells
  run slower side by side when other processes share the cores); `sequential_cell_cpu_s`,
  `ray_cell_cpu_s`: the sums of their CPU times (the work itself, whatever the load);
- `load_1m_start`, `load_1m_end`: the machine's 1-minute load average around the measurement;
- `same_metrics`: every cell's metrics equal in the two runs.

    .venv/bin/python bench/sweep.py [--hours 12] [--cells 8] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import tempfile
import time
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from types import ModuleType

import bench_paths  # noqa: F401  (first: takes bench/ off sys.path)

from backtest.sweep import spec
from backtest.sweep.cell import METRICS
from backtest.sweep.cell import run_cell
from backtest.sweep.command import CellMaker
from backtest.sweep.execute import CellPool
from backtest.sweep.execute import ray_session
from catalog import shipped_data
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta
from cli_types import positive_int

RESULT = Path(__file__).resolve().parent / "results" / "sweep.json"
DAY_START = datetime(2024, 1, 1, 12, tzinfo=UTC)  # the archive hour's start
SPREADS_BPS = (3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0)


def replication() -> ModuleType:
    """bench/backtest_scale.py, for its shifted copies of the archive hour (bench/ is off sys.path)."""
    path = Path(__file__).resolve().with_name("backtest_scale.py")
    module_spec = importlib.util.spec_from_file_location("bench_backtest_scale", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module


def build_catalog(work: Path, hours: int) -> Path:
    catalog = work / f"btc_{hours}h_catalog"
    if not (catalog / "hyperliquid_ingest.json").exists():
        shift = replication().shifted_hour
        copies = [shift(shipped_data.btc_archive_hour(), h, work / f"BTC_{h:02d}.lz4") for h in range(hours)]
        ingest_files(copies, catalog, meta=shipped_meta())
    return catalog


def sweep_file(work: Path, hours: int, cells: int) -> Path:
    """The bench's sweep: the default config's settings over one run of `hours` hours, a grid of spreads."""
    base = json.loads((shipped_data.PROJECT_ROOT / "configs" / "backtest.json").read_text())
    end = DAY_START + timedelta(hours=hours)
    start = DAY_START + timedelta(seconds=base["warmup_s"])
    base["runs"] = [{"name": f"btc_{hours}h", "instrument": "BTC-USD-PERP.HYPERLIQUID",
                     "start": start.isoformat(), "end": end.isoformat()}]
    path = work / "bench_sweep.json"
    path.write_text(json.dumps({"base": base, "mode": "grid", "grid": {"strategy.base_spread_bps": SPREADS_BPS[:cells]}}))
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hours", type=positive_int, default=12, help="hours of data per cell (default: %(default)s)")
    parser.add_argument("--cells", type=positive_int, default=8, choices=range(1, len(SPREADS_BPS) + 1),
                        metavar=f"1..{len(SPREADS_BPS)}", help="cells (default: %(default)s)")
    parser.add_argument("--work-dir", type=Path, help="keep the shifted files and the catalog here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        catalog = build_catalog(work, args.hours)
        print(f"catalog of {args.hours} replicated hours in {time.perf_counter() - t0:.1f} s")
        sweep = spec.load(sweep_file(work, args.hours, args.cells))
        make_cells = CellMaker(sweep, catalog, "OFF")
        tasks = [task for values in spec.grid_points(sweep.spec) for task in make_cells(values)]
        load_start = os.getloadavg()[0]

        t0 = time.perf_counter()
        sequential = [run_cell(task) for task in tasks]
        sequential_wall = time.perf_counter() - t0
        print(f"sequential: {len(tasks)} cells in {sequential_wall:.1f} s")

        t0 = time.perf_counter()
        with ray_session() as cpus:
            ray_start = time.perf_counter() - t0
            pool = CellPool()
            for task in tasks:
                pool.submit(task)
            on_ray = [pool.next_done() for _ in tasks]
            ray_wall = time.perf_counter() - t0
        print(f"Ray: {len(tasks)} cells on {cpus} CPUs in {ray_wall:.1f} s (up after {ray_start:.1f} s)")
        load_end = os.getloadavg()[0]

    failed = [r for r in sequential + on_ray if r["status"] != "ok"]
    if failed:
        print(f"{len(failed)} cell(s) failed: {failed[0]['error']}")
        return 1
    by_cell = {r["cell"]: r for r in on_ray}
    same = all({m: r[m] for m in METRICS} == {m: by_cell[r["cell"]][m] for m in METRICS} for r in sequential)
    ray_cell_sum = sum(r["wall_s"] for r in on_ray)
    result = {
        "cells": len(tasks),
        "cpus": cpus,
        "hours_per_cell": args.hours,
        "sequential_wall_s": round(sequential_wall, 2),
        "ray_wall_s": round(ray_wall, 2),
        "ray_start_s": round(ray_start, 2),
        "speedup": round(sequential_wall / ray_wall, 3),
        "speedup_after_start": round(sequential_wall / (ray_wall - ray_start), 3),
        "ray_overhead_s": round((ray_wall * cpus - ray_cell_sum) / len(tasks), 2),
        "sequential_cell_sum_s": round(sum(r["wall_s"] for r in sequential), 2),
        "ray_cell_sum_s": round(ray_cell_sum, 2),
        "sequential_cell_cpu_s": round(sum(r["cpu_s"] for r in sequential), 2),
        "ray_cell_cpu_s": round(sum(r["cpu_s"] for r in on_ray), 2),
        "load_1m_start": round(load_start, 2),
        "load_1m_end": round(load_end, 2),
        "same_metrics": same,
        "command": ".venv/bin/python bench/sweep.py",
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    print(f"speedup {result['speedup']} (goal >= 1.7): {'met' if result['speedup'] >= 1.7 else 'NOT met'}")
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
