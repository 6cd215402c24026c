"""The Optuna mode: a TPE search over the sweep's space, its trials executed as cells on Ray.

A trial is one set of values, backtested on every run of the sweep (one cell per run); its
objective is the mean of the objective metric over those runs. A trial with a failed cell, or
whose metric is undefined (actions per USDC without a fill), is told to Optuna as failed.

Trials are asked in batches that fill the cluster (CPUs ÷ runs, at least one) and told when
their batch is done: with a seed, the same cluster size draws the same trials in the same order,
whatever order the cells finish in. Optuna is imported only when this mode runs.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from backtest.sweep.cell import CellTask
from backtest.sweep.execute import CellPool
from backtest.sweep.execute import longest_first
from backtest.sweep.params import Parameter
from backtest.sweep.spec import Dimension
from backtest.sweep.spec import OptunaSpec


def suggest(trial: Any, name: str, dim: Dimension, param: Parameter) -> Any:
    """The trial's value of one parameter: drawn from its choices, or its range as the field's kind."""
    if dim.choices is not None:
        return trial.suggest_categorical(name, dim.choices)
    assert dim.low is not None and dim.high is not None  # Dimension's own check
    if param.kind == "int":
        step = int(dim.step) if dim.step is not None else 1
        return trial.suggest_int(name, int(dim.low), int(dim.high), step=step, log=dim.log)
    return trial.suggest_float(name, dim.low, dim.high, step=dim.step, log=dim.log)


def trial_value(rows: list[dict[str, Any]], objective: str) -> float | None:
    """The objective of a trial from its cells' rows: their mean, None if any cell has none."""
    values = [r[objective] for r in rows]
    if not rows or any(r["status"] != "ok" for r in rows) or any(v is None for v in values):
        return None
    return statistics.fmean(values)


def search(
    spec: OptunaSpec,
    parameters: dict[str, Parameter],
    dimensions: dict[str, Dimension],
    cells_of: Callable[[dict[str, Any], int], list[CellTask]],
    runs_per_trial: int,
    pool: CellPool,
    capacity: int,
    on_row: Callable[[dict[str, Any]], None],
) -> tuple[list[dict[str, Any]], Any]:
    """Run `spec.trials` trials; returns every cell's row and the Optuna study.
    `cells_of(values, trial_number)` makes a trial's cells (one per run); `capacity` is the
    cluster's CPUs."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction=spec.direction, sampler=optuna.samplers.TPESampler(seed=spec.seed))
    rows: list[dict[str, Any]] = []
    per_batch = max(1, capacity // runs_per_trial)
    asked = 0
    while asked < spec.trials:
        batch = []
        cells = []
        for _ in range(min(per_batch, spec.trials - asked)):
            trial = study.ask()
            values = {name: suggest(trial, name, dim, parameters[name]) for name, dim in dimensions.items()}
            cells += cells_of(values, trial.number)
            batch.append(trial)
        for task in longest_first(cells):
            pool.submit(task)
        asked += len(batch)
        done: dict[int, list[dict[str, Any]]] = {t.number: [] for t in batch}
        while len(pool):
            row = pool.next_done()
            on_row(row)
            rows.append(row)
            done[row["trial"]].append(row)
        for trial in batch:
            value = trial_value(done[trial.number], spec.objective)
            if value is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
    return rows, study
