"""Sweep on Ray against the same cells one after another: what the cores buy.

The cells: one run over HOURS hours (default 12) of a catalog made by replicating the shipped BTC
archive hour (2024-01-01 12:00, shifted by 0..HOURS-1 hours, as bench/backtest_scale.py builds its
day), with the default config's settings (configs/backtest.json; the edge check off, or every
cell stands BTC down and quotes nothing) and CELLS values of
strategy.base_spread_bps (default 8 cells); a cell takes some seconds of CPU, long enough that
Ray's start-up is not the whole story. The same cells (the same `CellTask`s) run

- sequentially: in this process, one after another (`run_cell`, the imports already loaded);
- in as many plain processes as cores, each started afresh (like Ray's workers, it imports the
  project) and running every n-th cell: the yardstick of what these cores give in parallel at
  the moment, without Ray;
- on Ray: a new local Ray on every core of this machine (`RayStart`, `CellPool`, as
  `run_backtest.py --sweep` runs a grid), from the start of Ray to the end of its shutdown after
  the last cell's row (the command overlaps that shutdown with writing its outputs; this waits).

Other helpers' work shares the machine's cores, so the modes take turns: ROUNDS rounds (default
2), every other one in reverse order; the figures are medians over the rounds (a round that
another process's burst slowed does not move them; the walls of every round are listed too).

Figures (bench/results/sweep.json):
- `sequential_wall_s`, `ray_wall_s` (Ray's start-up included: what a user waits), `ray_start_s`
  (until Ray is up; the workers' imports come after, inside the cells' wall);
- `speedup` = sequential_wall_s / ray_wall_s (goal >= 1.7 on 2 cores), and
  `speedup_after_start` = sequential_wall_s / (ray_wall_s - ray_start_s);
- `processes_wall_s`, `speedup_processes` = sequential_wall_s / processes_wall_s: the same
  without Ray (when it is low too, the cores were busy with other work, not with Ray);
- `ray_overhead_s` per cell = (ray_wall_s x cpus - the sum of the cells' own wall times under
  Ray) / cells: the CPU-seconds per cell the cores spent on anything but a cell's backtest
  (Ray's start, worker start-up and imports, scheduling, a core idle at the tail);
- `sequential_cell_sum_s`, `ray_cell_sum_s`: the sums of the cells' own wall times (the cells
  run slower side by side when other processes share the cores); `sequential_cell_cpu_s`,
  `ray_cell_cpu_s`: the sums of their CPU times (the work itself, whatever the load);
- `load_1m_start`, `load_1m_end`: the machine's 1-minute load average around the measurement;
- `*_walls_s`: each round's wall time per mode;
- `same_metrics`: every cell's metrics equal in every pass of every mode.

    .venv/bin/python bench/sweep.py [--hours 12] [--cells 8] [--rounds 2] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from statistics import median
from types import ModuleType

import _harness  # noqa: F401  (first: takes bench/ off sys.path)

from backtest.sweep import spec
from backtest.sweep.cell import METRICS
from backtest.sweep.cell import CellTask
from backtest.sweep.cell import run_cell
from backtest.sweep.command import CellMaker
from backtest.sweep.execute import CellPool
from backtest.sweep.execute import RayStart
from backtest.sweep.execute import longest_first
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
    # The edge check off: it would stand BTC down in every cell (its spread cannot pay the fee), and a
    # sweep whose cells all quote nothing measures Ray's start-up, not the backtests it runs.
    base["governor"] = {**(base.get("governor") or {}), "edge_check_enabled": False}
    base["runs"] = [{"name": f"btc_{hours}h", "instrument": "BTC-USD-PERP.HYPERLIQUID",
                     "start": start.isoformat(), "end": end.isoformat()}]
    path = work / "bench_sweep.json"
    path.write_text(json.dumps({"base": base, "mode": "grid", "grid": {"strategy.base_spread_bps": SPREADS_BPS[:cells]}}))
    return path


def cell_tasks(sweep: spec.Sweep, catalog: Path) -> list[CellTask]:
    make_cells = CellMaker(sweep, catalog, "OFF")
    return [task for values in spec.grid_points(sweep.spec) for task in make_cells(values)]


def in_plain_processes(sweep_path: Path, catalog: Path, processes: int) -> list[dict]:
    """Every cell, the k-th of `processes` fresh processes running cells k, k + processes, ..."""
    children = [
        subprocess.Popen([sys.executable, __file__, "--child", str(sweep_path), str(catalog), str(k), str(processes)],
                         stdout=subprocess.PIPE, text=True)
        for k in range(processes)
    ]
    rows = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"a bench process failed with exit code {child.returncode}")
        rows += json.loads(out.strip().splitlines()[-1])
    return rows


def child(sweep_path: str, catalog: str, k: str, processes: str) -> None:
    tasks = cell_tasks(spec.load(sweep_path), Path(catalog))
    print(json.dumps([run_cell(task) for task in tasks[int(k)::int(processes)]]))


@dataclass
class Timing:
    """One mode's pass over every cell: its wall time and the cells' rows."""

    wall_s: float
    rows: list[dict]
    start_s: float = 0.0  # Ray's start-up, inside wall_s

    @property
    def cell_wall_s(self) -> float:
        return sum(r["wall_s"] for r in self.rows)

    @property
    def cell_cpu_s(self) -> float:
        return sum(r["cpu_s"] for r in self.rows)


def sequential(tasks: list[CellTask]) -> Timing:
    t0 = time.perf_counter()
    rows = [run_cell(task) for task in tasks]
    return Timing(time.perf_counter() - t0, rows)


def plain_processes(sweep_path: Path, catalog: Path, processes: int) -> Timing:
    t0 = time.perf_counter()
    rows = in_plain_processes(sweep_path, catalog, processes)
    return Timing(time.perf_counter() - t0, rows)


def on_ray(tasks: list[CellTask]) -> Timing:
    """As `run_backtest.py --sweep` runs a grid: Ray starts in the background while the driver
    orders the cells (longest first), then every cell is submitted and the rows collected."""
    t0 = time.perf_counter()
    ray = RayStart()
    try:
        ordered = longest_first(tasks)
        ray.wait()
        start = time.perf_counter() - t0
        cells = CellPool()
        for task in ordered:
            cells.submit(task)
        rows = [cells.next_done() for _ in tasks]
    finally:
        ray.stop()  # waited for here: the bench writes no outputs for the shutdown to overlap
    return Timing(time.perf_counter() - t0, rows, start)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--hours", type=positive_int, default=12, help="hours of data per cell (default: %(default)s)")
    parser.add_argument("--cells", type=positive_int, default=8, choices=range(1, len(SPREADS_BPS) + 1),
                        metavar=f"1..{len(SPREADS_BPS)}", help="cells (default: %(default)s)")
    parser.add_argument("--rounds", type=positive_int, default=2,
                        help="passes of each mode, in alternating order (default: %(default)s)")
    parser.add_argument("--work-dir", type=Path, help="keep the shifted files and the catalog here (default: a temp dir)")
    parser.add_argument("--child", nargs=4, metavar=("SWEEP", "CATALOG", "K", "PROCESSES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    cpus = os.cpu_count() or 1
    timings: dict[str, list[Timing]] = {"sequential": [], "processes": [], "ray": []}
    with tempfile.TemporaryDirectory(prefix="bench_sweep_") as tmp:
        work = args.work_dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        catalog = build_catalog(work, args.hours)
        print(f"catalog of {args.hours} replicated hours in {time.perf_counter() - t0:.1f} s")
        sweep = spec.load(sweep_file(work, args.hours, args.cells))
        tasks = cell_tasks(sweep, catalog)
        modes = {"sequential": lambda: sequential(tasks), "processes": lambda: plain_processes(sweep.path, catalog, cpus),
                 "ray": lambda: on_ray(tasks)}
        load_start = os.getloadavg()[0]
        for k in range(args.rounds):
            # Every other round in reverse order: a load that rises or falls through the bench hits every mode alike.
            for mode in list(modes) if k % 2 == 0 else list(reversed(modes)):
                timings[mode].append(modes[mode]())
                print(f"round {k + 1}, {mode}: {len(tasks)} cells in {timings[mode][-1].wall_s:.1f} s "
                      f"(load {os.getloadavg()[0]:.2f})", flush=True)
        load_end = os.getloadavg()[0]

    every = [t for runs in timings.values() for t in runs]
    failed = [r for t in every for r in t.rows if r["status"] != "ok"]
    if failed:
        print(f"{len(failed)} cell(s) failed: {failed[0]['error']}")
        return 1

    def metrics(rows: list[dict]) -> list[dict]:
        return [{m: r[m] for m in METRICS} for r in sorted(rows, key=lambda r: r["cell"])]

    same = all(metrics(t.rows) == metrics(every[0].rows) for t in every)
    seq, proc, ray = (median([t.wall_s for t in timings[m]]) for m in ("sequential", "processes", "ray"))
    ray_start = median([t.start_s for t in timings["ray"]])
    result = {
        "cells": len(tasks),
        "cpus": cpus,
        "hours_per_cell": args.hours,
        "rounds": args.rounds,
        "sequential_wall_s": round(seq, 2),
        "ray_wall_s": round(ray, 2),
        "ray_start_s": round(ray_start, 2),
        "speedup": round(seq / ray, 3),
        "speedup_after_start": round(seq / (ray - ray_start), 3),
        "processes_wall_s": round(proc, 2),
        "speedup_processes": round(seq / proc, 3),
        "ray_overhead_s": round(median([(t.wall_s * cpus - t.cell_wall_s) / len(tasks) for t in timings["ray"]]), 2),
        "sequential_cell_sum_s": round(median([t.cell_wall_s for t in timings["sequential"]]), 2),
        "ray_cell_sum_s": round(median([t.cell_wall_s for t in timings["ray"]]), 2),
        "sequential_cell_cpu_s": round(median([t.cell_cpu_s for t in timings["sequential"]]), 2),
        "ray_cell_cpu_s": round(median([t.cell_cpu_s for t in timings["ray"]]), 2),
        "sequential_walls_s": [round(t.wall_s, 2) for t in timings["sequential"]],
        "processes_walls_s": [round(t.wall_s, 2) for t in timings["processes"]],
        "ray_walls_s": [round(t.wall_s, 2) for t in timings["ray"]],
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
