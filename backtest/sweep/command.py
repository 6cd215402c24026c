"""`run_backtest.py --sweep SWEEP.json`: the cells of a checked sweep on Ray, a progress bar while
they run, then the Parquet table, the console summary and the HTML report."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console
from rich.progress import BarColumn
from rich.progress import MofNCompleteColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn
from rich.progress import TimeRemainingColumn

from backtest.sweep import report
from backtest.sweep import results
from backtest.sweep.cell import CellTask
from backtest.sweep.execute import CellPool
from backtest.sweep.execute import RayStart
from backtest.sweep.execute import longest_first
from backtest.sweep.spec import GridSpec
from backtest.sweep.spec import OptunaSpec
from backtest.sweep.spec import Sweep
from backtest.sweep.spec import grid_points


@dataclass
class SweepResult:
    rows: list[dict[str, Any]]  # one per cell, in the order they finished
    parquet: Path
    html: Path
    best: str | None = None  # the best trial of an Optuna search, as a line of text
    interrupted: bool = False  # Ctrl-C: the rows are the cells that finished before it

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["status"] != "ok"]


class CellMaker:
    """Numbers the cells and builds their tasks: one per run of the sweep for a set of values."""

    def __init__(self, sweep: Sweep, catalog: Path, log_level: str) -> None:
        self._base = msgspec.to_builtins(sweep.settings)
        self._runs = [r.name for r in sweep.runs]
        self._catalog = str(catalog.resolve())
        self._log_level = log_level
        self._next = 0

    def __call__(self, values: dict[str, Any], trial: int | None = None) -> list[CellTask]:
        tasks = []
        for run in self._runs:
            tasks.append(CellTask(self._next, run, values, self._base, self._catalog, self._log_level, trial))
            self._next += 1
        return tasks


def output_paths(sweep: Sweep, report_dir: Path) -> tuple[Path, Path]:
    """Where the sweep's table and report go: sweep_NAME.parquet and sweep_NAME.html."""
    return report_dir / f"sweep_{sweep.name}.parquet", report_dir / f"sweep_{sweep.name}.html"


def run(
    sweep: Sweep,
    catalog: Path,
    report_dir: Path,
    *,
    ray_address: str | None = None,
    num_cpus: int | None = None,
    ray: RayStart | None = None,
    log_level: str = "ERROR",
    console: Console | None = None,
) -> SweepResult:
    """Execute every cell (a failed cell is recorded with its error; the others go on) and write the outputs.

    `ray`: a Ray already starting (`RayStart`, which this stops), so that the caller's own
    preparation overlaps its start; otherwise one is started here (`ray_address`, `num_cpus`)."""
    console = console or Console()
    ray = ray or RayStart(ray_address, num_cpus)
    running = _Running()
    interrupted = False
    try:
        try:
            rows, study = _execute(sweep, catalog, ray, ray_address, log_level, console, running)
        except KeyboardInterrupt:
            # Ctrl-C: the cells still running are stopped, and the outputs hold those that finished.
            interrupted, rows, study = True, list(running.rows), None
            cancelled = running.pool.cancel_all() if running.pool is not None else 0
            console.print(f"[yellow]interrupted:[/yellow] {len(rows)} cell(s) finished, {cancelled} stopped; "
                          "the table and the report hold the finished ones", highlight=False)
        ray.stop(wait=False)  # Ray's shutdown takes its time while the outputs are written
        spec = sweep.spec
        parameters = list(sweep.parameters)
        best = _best_trial(study, spec) if isinstance(spec, OptunaSpec) and study is not None else None
        sort_by = spec.objective if isinstance(spec, OptunaSpec) else "net_pnl"
        descending = not (isinstance(spec, OptunaSpec) and spec.direction == "minimize")
        parquet_path, html_path = output_paths(sweep, report_dir)
        if rows:
            results.print_summary(rows, parameters, console, sort_by=sort_by, descending=descending)
            if best:
                console.print(best, highlight=False)
            results.write_parquet(results.table(rows, parameters), parquet_path)
            report.write(sweep, rows, html_path, best)
    finally:
        ray.stop()
    return SweepResult(rows, parquet_path, html_path, best, interrupted)


@dataclass
class _Running:
    """What a Ctrl-C finds of the sweep: the rows of the cells finished, and the pool of the rest."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    pool: CellPool | None = None


def _execute(sweep: Sweep, catalog: Path, ray: RayStart, ray_address: str | None, log_level: str,
             console: Console, running: _Running) -> tuple[list[dict[str, Any]], Any]:
    """Every cell's row (in the order they finished) and, in the Optuna mode, the study."""
    make_cells = CellMaker(sweep, catalog, log_level)
    spec = sweep.spec
    # Made while Ray starts: the grid's cells, or the search's imports.
    cells = longest_first([t for values in grid_points(spec) for t in make_cells(values)]) if isinstance(spec, GridSpec) else []
    if isinstance(spec, OptunaSpec):
        import optuna  # noqa: F401  (what search() uses, loaded while Ray starts)

        from backtest.sweep.search import search
    total = len(cells) if isinstance(spec, GridSpec) else spec.trials * len(sweep.runs)
    console.print(f"sweep {sweep.name}: {total} cell(s)"
                  + (f" ({spec.trials} trials × {len(sweep.runs)} run(s))" if isinstance(spec, OptunaSpec) else ""),
                  highlight=False)
    with console.status("starting Ray" if ray_address is None else f"joining the Ray cluster at {ray_address}"):
        cpus = ray.wait()
    with _progress(console) as progress:
        bar = progress.add_task(f"sweep {sweep.name} on {cpus} CPUs", total=total)
        started = time.monotonic()

        def finished(row: dict[str, Any]) -> None:
            running.rows.append(row)
            progress.advance(bar)
            if not console.is_terminal:
                _log_progress(console, len(running.rows), total, started)
            if row["status"] != "ok":
                progress.console.print(f"[red]cell {row['cell']} failed[/red] ({row['run']}): {row['error']}",
                                       soft_wrap=True, highlight=False)

        pool = running.pool = CellPool()
        if isinstance(spec, GridSpec):
            return _run_cells(cells, pool, finished), None
        return search(spec, sweep.parameters, sweep.dimensions, make_cells, len(sweep.runs), pool, cpus, finished)


def _run_cells(cells: list[CellTask], pool: CellPool, finished: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    """Every cell at once: Ray runs as many as it has CPUs and queues the rest, in this order."""
    for task in cells:
        pool.submit(task)
    rows = []
    while len(pool):
        rows.append(pool.next_done())
        finished(rows[-1])
    return rows


def _log_progress(console: Console, done: int, total: int, started: float) -> None:
    """Off a terminal (a log file, CI) the bar is drawn only at the end: a plain line per tenth of
    the cells instead, with the time left at the pace so far."""
    step = max(1, total // 10)
    if done % step and done != total:
        return
    elapsed = time.monotonic() - started
    left = elapsed / done * (total - done)
    console.print(f"{done}/{total} cells, {elapsed:.0f} s, ~{left:.0f} s left", highlight=False)


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("left"), TimeRemainingColumn(), console=console,
    )


def _best_trial(study: Any, spec: OptunaSpec) -> str | None:
    complete = [t for t in study.trials if t.value is not None]
    if not complete:
        return f"no trial has a value of {spec.objective}"
    best = study.best_trial
    values = ", ".join(f"{k}={results.value_text(v)}" for k, v in best.params.items())
    return f"best trial {best.number}: {spec.objective} {best.value:+.4f} (mean over runs) with {values}"
