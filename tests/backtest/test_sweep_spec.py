"""SWEEP.json: what a sweep file may say, and the errors that name what is wrong before any cell runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec
import pytest

from backtest.sweep import params
from backtest.sweep import spec
from backtest.sweep.cell import CellTask
from backtest.sweep.cell import cell_settings
from backtest.sweep.cell import run_cell
from catalog.shipped_data import PROJECT_ROOT

BASE = "configs/backtest.json"
WLFI = "wlfi_20250904"


def _write(tmp_path: Path, content: dict | str) -> Path:
    path = tmp_path / "sweep.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _grid(**fields) -> dict:
    return {"base": BASE, "runs": [WLFI], "mode": "grid", "grid": {"strategy.base_spread_bps": [4, 6]}, **fields}


def _optuna(**fields) -> dict:
    return {"base": BASE, "runs": [WLFI], "mode": "optuna", "trials": 3,
            "space": {"strategy.base_spread_bps": {"low": 2, "high": 10}}, **fields}


def test_the_shipped_example_sweeps_are_valid() -> None:
    examples = sorted((PROJECT_ROOT / "configs" / "sweeps").glob("*.json"))
    assert {type(spec.load(p).spec) for p in examples} == {spec.GridSpec, spec.OptunaSpec}


def test_a_grid_has_one_cell_per_combination_the_first_parameter_varying_slowest(tmp_path: Path) -> None:
    sweep = spec.load(_write(tmp_path, _grid(grid={"strategy.base_spread_bps": [4, 6], "latency_ms": [50, 100, 200]})))
    points = spec.grid_points(sweep.spec)
    assert len(points) == 6
    assert points[:3] == [{"strategy.base_spread_bps": 4, "latency_ms": v} for v in (50, 100, 200)]
    assert [r.name for r in sweep.runs] == [WLFI]


def test_without_runs_a_sweep_covers_every_run_of_the_base(tmp_path: Path) -> None:
    fields = _grid()
    del fields["runs"]
    fields["grid"] = {"latency_ms": [50]}
    sweep = spec.load(_write(tmp_path, fields))
    assert len(sweep.runs) == len(json.loads((PROJECT_ROOT / BASE).read_text())["runs"])


def test_the_base_may_be_inline(tmp_path: Path) -> None:
    base = {"runs": [{"name": "a", "instrument": "ETH-USD-PERP.HYPERLIQUID"}], "latency_ms": 20}
    sweep = spec.load(_write(tmp_path, _grid(base=base, runs=None)))
    assert sweep.settings.latency_ms == 20 and [r.name for r in sweep.runs] == ["a"]


def test_an_optuna_range_takes_the_kind_of_its_field(tmp_path: Path) -> None:
    space = {"strategy.base_spread_bps": {"low": 2, "high": 10},
             "strategy.level_spacing_ticks": {"low": 1, "high": 6},
             "strategy.fair_price": {"choices": ["mid", "microprice"]}}
    sweep = spec.load(_write(tmp_path, _optuna(space=space)))
    assert {n: p.kind for n, p in sweep.parameters.items()} == {
        "strategy.base_spread_bps": "float", "strategy.level_spacing_ticks": "int", "strategy.fair_price": "other"}
    assert sweep.dimensions["strategy.fair_price"].choices == ["mid", "microprice"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "malformed"),
        ({"base": BASE, "grid": {"latency_ms": [1]}}, "missing required field `mode`"),
        (_grid(mode="sideways"), r"Invalid value 'sideways' - at `\$.mode`"),
        (_grid(extra=1), "unknown field `extra`"),
        (_optuna(trials="ten"), r"Expected `int`, got `str` - at `\$.trials`"),
        (_optuna(trials=0), "trials must be in 1"),
        (_optuna(direction="up"), r"at `\$.direction`"),
        (_optuna(objective="pnl"), "objective 'pnl' is not a metric"),
        (_grid(grid={}), "grid names no parameter"),
        (_grid(grid={"latency_ms": []}), "grid.latency_ms: no values"),
        (_grid(grid={"latency_ms": 5}), "grid.latency_ms: expected a list"),
        (_grid(grid={"latency_ms": [5, 5]}), "grid.latency_ms: a value is listed twice"),
        (_grid(grid={"strategy.base_spread_bps": [5, 5.0]}), "grid.strategy.base_spread_bps: a value is listed twice"),
        (_grid(runs=["nope"]), "runs: nope not in the base config"),
        (_grid(runs=[]), "runs is empty"),
        (_grid(base="nope.json"), "backtest config not found"),
        (_grid(base={"runs": [{"name": "a", "instrument": "ETH-USD-PERP.HYPERLIQUID"}], "latency_ms": -1}),
         "base: latency_ms must be in"),
        (_grid(base={"runs": [{"name": "a", "instrument": "ETH-USD-PERP.HYPERLIQUID"}], "latncy_ms": 1}),
         r"unknown field `latncy_ms` - at `\$.base`"),
        (_optuna(space={"strategy.base_spread_bps": {"low": 5, "high": 2}}),
         r"space.strategy.base_spread_bps: high \(2.0\) must be above low"),
        (_optuna(space={"strategy.base_spread_bps": {"low": "a", "high": 2}}), "space.strategy.base_spread_bps: Expected"),
        (_optuna(space={"strategy.base_spread_bps": {"low": 1, "high": 2, "choices": [1]}}), "either choices or low/high"),
        (_optuna(space={"strategy.base_spread_bps": {"low": 0, "high": 2, "log": True}}), "log scale needs low > 0"),
        # Review 4: accepted, and every trial was base_spread_bps 1.
        (_optuna(space={"strategy.base_spread_bps": {"low": 1, "high": 3, "step": 5}}),
         r"space.strategy.base_spread_bps: step 5.0 is wider than the range 1.0..3.0: every trial would take 1.0"),
        (_optuna(space={"strategy.level_spacing_ticks": {"low": 1.5, "high": 3}}),
         "space.strategy.level_spacing_ticks: an integer field needs whole"),
        (_optuna(space={"strategy.fair_price": {"low": 1, "high": 2}}), "space.strategy.fair_price: not a number field"),
        (_optuna(space={"strategy.fair_price": {"choices": [[1]]}}), "choices must be numbers, strings"),
    ],
)
def test_a_bad_sweep_file_is_refused_naming_the_field(tmp_path: Path, content: dict | str, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(ValueError, match=message) as exc:
        spec.load(path)
    assert str(path) in str(exc.value)


def test_a_missing_sweep_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sweep file not found"):
        spec.load(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("strategy.base_sprad_bps", "strategy has no field 'base_sprad_bps'"),
        ("governor.nope", "governor has no field 'nope'"),
        ("risk_guard.nope", "risk_guard has no field 'nope'"),
        ("strategy.instrument_id", "set by the backtest for each run"),
        ("catalog", "not a field to sweep"),
        ("runs", "not a field to sweep"),
        ("spread", "not a field to sweep"),
        ("strategy.a.b", "expected FIELD, strategy.FIELD"),
        ("strategy_overrides.BTC.base_spread_bps", "no run of the sweep trades BTC"),
        # The base config overrides requote_tolerance_ticks for BTC: strategy.* would not reach BTC's runs.
        ("strategy.requote_tolerance_ticks", "strategy_overrides sets requote_tolerance_ticks for BTC"),
    ],
)
def test_a_parameter_must_address_a_field_the_cells_use(tmp_path: Path, name: str, message: str) -> None:
    content = _grid(runs=[WLFI, "btc_20250904"] if "requote" in name else [WLFI], grid={name: [1]})
    with pytest.raises(ValueError, match=message):
        spec.load(_write(tmp_path, content))


def test_a_section_switched_off_in_the_base_cannot_be_swept(tmp_path: Path) -> None:
    base = {"runs": [{"name": "a", "instrument": "ETH-USD-PERP.HYPERLIQUID"}], "governor": None}
    with pytest.raises(ValueError, match=r"no governor \(governor: null\)"):
        spec.load(_write(tmp_path, _grid(base=base, runs=None, grid={"governor.hold_ms": [1]})))


def test_apply_sets_nested_fields_and_leaves_the_base_alone() -> None:
    base = {"latency_ms": 100.0, "strategy": {"base_spread_bps": 5.0}, "strategy_overrides": {}}
    config = params.apply(base, {"latency_ms": 50, "strategy.base_spread_bps": 7,
                                 "strategy_overrides.WLFI.level_spacing_ticks": 2})
    assert config == {"latency_ms": 50, "strategy": {"base_spread_bps": 7},
                      "strategy_overrides": {"WLFI": {"level_spacing_ticks": 2}}}
    assert base == {"latency_ms": 100.0, "strategy": {"base_spread_bps": 5.0}, "strategy_overrides": {}}


def _task(tmp_path: Path, values: dict) -> CellTask:
    sweep = spec.load(_write(tmp_path, _grid()))
    return CellTask(0, WLFI, values, msgspec.to_builtins(sweep.settings), str(tmp_path / "no_catalog"))


def test_a_cell_keeps_only_its_run_and_its_values(tmp_path: Path) -> None:
    settings = cell_settings(_task(tmp_path, {"strategy.base_spread_bps": 7, "latency_ms": 20}))
    assert [r.name for r in settings.runs] == [WLFI]
    assert settings.strategy["base_spread_bps"] == 7 and settings.latency_ms == 20


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"strategy.base_spread_bps": -1}, "base_spread_bps"),
        ({"latency_ms": "fast"}, r"bad config: Expected `float`, got `str` - at `\$.latency_ms`"),
        ({"fee_tier": 9}, "fee tier"),
    ],
)
def test_a_bad_value_fails_its_cell_with_the_backtests_own_error(tmp_path: Path, values: dict, message: str) -> None:
    row = run_cell(_task(tmp_path, values))
    assert row["status"] == "error" and row["net_pnl"] is None
    assert row["error"] is not None and re.search(message, row["error"])
