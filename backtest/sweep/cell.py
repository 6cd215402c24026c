"""One cell of a sweep: one run of the base config with one set of parameter values, backtested
exactly as `run_backtest.py` backtests a run (the same config checks, `run_session`, the same
report metrics). This is what a Ray worker executes; it reads the catalog itself from its path."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import msgspec
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from backtest.reporting import report
from backtest.runner import BacktestSettings
from backtest.runner import check_settings
from backtest.runner import parse_utc
from backtest.runner import run_session
from backtest.sweep import params

# The figures of the report's overview (backtest/reporting/report.py) a cell records; the other
# columns of the overview (run, instrument, whether the edge pays the fee) are not measures.
METRICS = (
    "net_pnl", "spread_capture", "inventory", "fees", "fills", "volume_usd", "actions_per_usdc",
    "markout_1s_buy_bps", "markout_1s_sell_bps", "edge_after_fees",
)


@dataclass(frozen=True)
class CellTask:
    """What a worker needs to run a cell: small, so it travels cheaply (the data does not travel)."""

    cell: int
    run: str
    values: dict[str, Any]  # parameter name → value
    base: dict[str, Any]  # the base config as builtins (msgspec.to_builtins of BacktestSettings)
    catalog: str  # the catalog's path, readable where the worker runs
    log_level: str = "ERROR"
    trial: int | None = None  # the Optuna trial the cell belongs to


def cell_settings(task: CellTask) -> BacktestSettings:
    """The base config with the cell's values and only the cell's run, checked like a config file."""
    config = params.apply(task.base, task.values)
    config["runs"] = [r for r in config["runs"] if r["name"] == task.run]
    try:
        settings = msgspec.convert(config, BacktestSettings)
    except msgspec.ValidationError as exc:
        raise ValueError(f"bad config: {exc}") from None
    check_settings(settings)
    return settings


def data_span_s(task: CellTask) -> float:
    """Seconds of data the cell replays (its run's start less the warm-up, to its end), which its
    backtest's time follows; infinite when the run has no start or no end (it reads all the
    catalog holds). 0 when the cell's values are unreadable: such a cell fails at once."""
    config = params.apply(task.base, task.values)
    run = next(r for r in config["runs"] if r["name"] == task.run)
    try:
        start_ns, end_ns = parse_utc(run.get("start")), parse_utc(run.get("end"))
        warmup_s = float(config.get("warmup_s", 0.0))
    except (TypeError, ValueError):
        return 0.0
    if start_ns is None or end_ns is None:
        return math.inf
    return (end_ns - start_ns) / 1e9 + warmup_s


def empty_row(task: CellTask) -> dict[str, Any]:
    """The row of a cell before (or without) a result: status "error" until the run succeeds."""
    instrument = next(r["instrument"] for r in task.base["runs"] if r["name"] == task.run)
    return {
        "cell": task.cell, "trial": task.trial, "run": task.run, "instrument": instrument.split("-")[0],
        "values": dict(task.values), "status": "error", "error": None, "stopped_quoting": None,
        **dict.fromkeys(METRICS), "wall_s": None, "cpu_s": None,
    }


def run_cell(task: CellTask) -> dict[str, Any]:
    """Backtest the cell; the row holds its metrics, or its error (a failed cell must not stop the sweep)."""
    row = empty_row(task)
    t0 = time.perf_counter()
    c0 = time.process_time()
    try:
        settings = cell_settings(task)
        session = run_session(settings, settings.runs[0], ParquetDataCatalog(task.catalog), log_level=task.log_level)
        try:
            overview = report.overview([report.build(session)])[0]
        finally:
            session.engine.dispose()
        # The run's own status line: why it stopped quoting (the governor's edge stand-down, the
        # RiskGuard's loss cap), None when it quoted to the end. A cell that ranks well may have.
        row.update({k: overview[k] for k in METRICS}, status="ok", stopped_quoting=overview["status"])
    except ValueError as exc:  # the backtest's own checks: the message says what is wrong
        row["error"] = str(exc)
    except Exception as exc:  # anything else is a fault of this cell alone: recorded, the sweep goes on
        row["error"] = f"{type(exc).__name__}: {exc}"
    row["wall_s"] = time.perf_counter() - t0
    row["cpu_s"] = time.process_time() - c0  # below wall_s when other processes share the cores
    return row
