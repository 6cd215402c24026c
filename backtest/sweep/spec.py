"""SWEEP.json: a base backtest config and the parameters to vary, as a grid or an Optuna search.

    {"base": "configs/backtest.json", "runs": ["wlfi_20250904"], "mode": "grid",
     "grid": {"strategy.base_spread_bps": [4, 6], "strategy.level_spacing_ticks": [2, 3]}}

    {"base": "configs/backtest.json", "runs": ["wlfi_20250904"], "mode": "optuna", "trials": 40,
     "space": {"strategy.base_spread_bps": {"low": 2, "high": 10},
               "strategy.level_spacing_ticks": {"low": 1, "high": 6},
               "strategy.fair_price": {"choices": ["mid", "microprice"]}},
     "objective": "net_pnl", "direction": "maximize", "seed": 1}

`base` is a backtest config file (a relative path is taken from the project root, like the
config's own catalog and report_dir) or the config itself, inline. `runs` picks runs of the base
by name (default: all of them). A cell is one run with one set of values; a grid has one cell per
run and combination, an Optuna trial one per run, its objective the mean over them.

Everything that can be checked before the first cell is checked when the file is read, with an
error naming the field; the values themselves are checked in their cell by the backtest's own
checks, so a bad value fails its cell alone.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from typing import Literal

import msgspec

from backtest.runner import BacktestSettings
from backtest.runner import RunSpec
from backtest.runner import check_settings
from backtest.runner import load_settings
from backtest.sweep import params
from backtest.sweep.cell import METRICS
from catalog.shipped_data import PROJECT_ROOT

MAX_CELLS = 100_000  # a grid past this is a typo (a list pasted twice), not a plan
MAX_TRIALS = 100_000


class Dimension(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """An Optuna search dimension: `low`..`high` (with an optional `step`, or `log` scale), or `choices`."""

    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False
    choices: list[Any] | None = None


def check_dimension(dim: Dimension, kind: str) -> None:
    """Raises ValueError when `dim` is not a search range for a field of `kind` ("int", "float", "other")."""
    if dim.choices is not None:
        if dim.low is not None or dim.high is not None or dim.step is not None or dim.log:
            raise ValueError("give either choices or low/high, not both")
        if not dim.choices:
            raise ValueError("choices is empty")
        if not all(c is None or isinstance(c, bool | int | float | str) for c in dim.choices):
            raise ValueError("choices must be numbers, strings, booleans or null")
        return
    if dim.low is None or dim.high is None:
        raise ValueError("give low and high (or choices)")
    if kind == "other":
        raise ValueError("not a number field; give choices")
    bounds = [dim.low, dim.high] + ([dim.step] if dim.step is not None else [])
    if not all(math.isfinite(x) for x in bounds):
        raise ValueError("low, high and step must be finite numbers")
    if dim.high <= dim.low:
        raise ValueError(f"high ({dim.high}) must be above low ({dim.low})")
    if dim.step is not None and dim.step <= 0:
        raise ValueError(f"step must be > 0, got {dim.step}")
    if dim.step is not None and dim.step > dim.high - dim.low:
        # Optuna would draw `low` every time: every trial the same cell.
        raise ValueError(f"step {dim.step} is wider than the range {dim.low}..{dim.high}: every trial would take {dim.low}")
    if dim.log and (dim.low <= 0 or dim.step is not None):
        raise ValueError("a log scale needs low > 0 and no step")
    if kind == "int" and not all(float(x).is_integer() for x in bounds):
        raise ValueError(f"an integer field needs whole low, high and step, got {bounds}")


class _SweepFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True, tag_field="mode"):
    base: str | BacktestSettings
    runs: list[str] | None = None


# The values of `grid` and `space` are read per parameter (`_check`), so that an error names it.
class GridSpec(_SweepFile, frozen=True, tag="grid"):
    grid: dict[str, Any]  # parameter → a list of values


class OptunaSpec(_SweepFile, frozen=True, tag="optuna"):
    trials: int
    space: dict[str, Any]  # parameter → a Dimension
    objective: str = "net_pnl"
    direction: Literal["maximize", "minimize"] = "maximize"
    seed: int | None = None


@dataclass(frozen=True)
class Sweep:
    """A checked sweep: the file, its base config, the runs it covers and its parameters."""

    path: Path
    spec: GridSpec | OptunaSpec
    settings: BacktestSettings
    runs: list[RunSpec]
    parameters: dict[str, params.Parameter]
    dimensions: dict[str, Dimension]  # the Optuna search's; empty for a grid

    @property
    def name(self) -> str:
        return self.path.stem


def load(path: str | Path) -> Sweep:
    """Read and check SWEEP.json; raises ValueError saying which field is wrong and why."""
    path = Path(path)
    try:
        spec = msgspec.json.decode(path.read_bytes(), type=GridSpec | OptunaSpec)
    except FileNotFoundError:
        raise ValueError(f"sweep file not found: {path}") from None
    except IsADirectoryError:
        raise ValueError(f"sweep file {path} is a folder, not a file") from None
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise ValueError(f"bad sweep {path}: {exc}") from None
    try:
        return _check(path, spec)
    except ValueError as exc:
        raise ValueError(f"bad sweep {path}: {exc}") from None


def _check(path: Path, spec: GridSpec | OptunaSpec) -> Sweep:
    settings = _base_settings(spec.base)
    known = [r.name for r in settings.runs]
    wanted = known if spec.runs is None else spec.runs
    if not wanted:
        raise ValueError("runs is empty (leave it out to sweep every run of the base)")
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise ValueError(f"runs: {', '.join(unknown)} not in the base config (it has {', '.join(known)})")
    if len(set(wanted)) != len(wanted):
        raise ValueError(f"runs: a run is named twice in {wanted}")
    names = list(spec.grid) if isinstance(spec, GridSpec) else list(spec.space)
    field = "grid" if isinstance(spec, GridSpec) else "space"
    if not names:
        raise ValueError(f"{field} names no parameter")
    try:
        parameters = {n: params.parse(n, settings, wanted) for n in names}
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None
    if isinstance(spec, GridSpec):
        _check_grid(spec, len(wanted))
        dimensions = {}
    else:
        dimensions = _check_search(spec, parameters)
    runs = [r for r in settings.runs if r.name in wanted]
    return Sweep(path, spec, settings, runs, parameters, dimensions)


def _base_settings(base: str | BacktestSettings) -> BacktestSettings:
    if isinstance(base, str):
        config = Path(base)
        return load_settings(config if config.is_absolute() else PROJECT_ROOT / config)
    try:
        check_settings(base)
    except ValueError as exc:
        raise ValueError(f"base: {exc}") from None
    return base


def _check_grid(spec: GridSpec, n_runs: int) -> None:
    for name, values in spec.grid.items():
        if not isinstance(values, list):
            raise ValueError(f"grid.{name}: expected a list of values, got {msgspec.json.encode(values).decode()}")
        if not values:
            raise ValueError(f"grid.{name}: no values")
        # 5 and 5.0 are one value (the field takes either alike): two cells with the same results.
        encoded = [float(v) if isinstance(v, int | float) and not isinstance(v, bool) else msgspec.json.encode(v)
                   for v in values]
        if len(set(encoded)) != len(encoded):
            raise ValueError(f"grid.{name}: a value is listed twice in {values}")
    cells = math.prod(len(v) for v in spec.grid.values()) * n_runs
    if cells > MAX_CELLS:
        raise ValueError(f"grid: {cells:,} cells, more than {MAX_CELLS:,}")


def _check_search(spec: OptunaSpec, parameters: dict[str, params.Parameter]) -> dict[str, Dimension]:
    if not 1 <= spec.trials <= MAX_TRIALS:
        raise ValueError(f"trials must be in 1..{MAX_TRIALS:,}, got {spec.trials}")
    if spec.objective not in METRICS:
        raise ValueError(f"objective {spec.objective!r} is not a metric of the report; one of {', '.join(METRICS)}")
    dimensions = {}
    for name, raw in spec.space.items():
        try:
            dimensions[name] = msgspec.convert(raw, Dimension)
            check_dimension(dimensions[name], parameters[name].kind)
        except (msgspec.ValidationError, ValueError) as exc:
            raise ValueError(f"space.{name}: {exc}") from None
    return dimensions


def grid_points(spec: GridSpec) -> list[dict[str, Any]]:
    """Every combination of the grid's values, the first parameter varying slowest."""
    names = list(spec.grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*spec.grid.values())]
