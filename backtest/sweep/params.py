"""Sweep parameters: dotted names that address a field of the backtest config, e.g.
`strategy.base_spread_bps`, `strategy_overrides.WLFI.level_spacing_ticks`, `governor.hold_ms`,
`risk_guard.daily_drawdown_cap`, `latency_ms`, `fee_tier`.

A name is checked against the config classes when the sweep is read (a typo must not cost a
sweep); a value is checked in its cell, by the backtest's own config checks, so that a bad value
fails its cell alone.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import msgspec

from adapters.hyperliquid.parsing.instruments import coin_of
from backtest.runner import BacktestSettings
from mm_strategy.governor import RegimeGovernorConfig
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.risk_guard import RiskGuardConfig

# The config sections a parameter may address, with the class that checks their fields.
SECTIONS: dict[str, type] = {
    "strategy": MarketMakerConfig,
    "governor": RegimeGovernorConfig,
    "risk_guard": RiskGuardConfig,
}
# Fields the runner sets per run: a value in the config would be overwritten.
SET_BY_RUNNER = {"instrument_id", "quote_from_ns", "instrument_ids"}
# Top-level fields of BacktestSettings that are not a cell's to change: which runs, where the
# data and the reports are, and the sections themselves (their fields are addressed one by one).
NOT_SWEPT = {"runs", "catalog", "report_dir", "strategy", "strategy_overrides", "governor", "risk_guard"}


@dataclass(frozen=True)
class Parameter:
    """A checked parameter name and the kind of value its field holds."""

    name: str
    kind: str  # "int", "float" or "other" (what an Optuna range draws)


def _field_kind(cls: type, field: str) -> str | None:
    """"int"/"float"/"other" for a field of `cls`, None when `cls` has no such field."""
    info = msgspec.inspect.type_info(cls)
    for f in info.fields:
        if f.name == field:
            types = f.type.types if isinstance(f.type, msgspec.inspect.UnionType) else (f.type,)
            if any(isinstance(t, msgspec.inspect.IntType) for t in types):
                return "int"
            if any(isinstance(t, msgspec.inspect.FloatType) for t in types):
                return "float"
            return "other"
    return None


def _section_field(cls: type, section: str, field: str, name: str) -> str:
    if field in SET_BY_RUNNER:
        raise ValueError(f"parameter {name!r}: {field} is set by the backtest for each run")
    kind = _field_kind(cls, field)
    if kind is None:
        raise ValueError(f"parameter {name!r}: {section} has no field {field!r} ({cls.__name__})")
    return kind


def parse(name: str, base: BacktestSettings, run_names: list[str]) -> Parameter:
    """Check `name` against the config classes and the base config; raises ValueError naming it."""
    parts = tuple(name.split("."))
    head = parts[0]
    coins = sorted({coin_of(r.instrument) for r in base.runs if r.name in run_names})
    if len(parts) == 1:
        kind = _field_kind(BacktestSettings, head)
        if kind is None or head in NOT_SWEPT:
            sweepable = sorted(f for f in BacktestSettings.__struct_fields__ if f not in NOT_SWEPT)
            raise ValueError(f"parameter {name!r}: not a field to sweep; top-level fields are "
                             f"{', '.join(sweepable)}, sections {', '.join(SECTIONS)}.FIELD and strategy_overrides.COIN.FIELD")
        return Parameter(name, kind)
    if head in SECTIONS and len(parts) == 2:
        field = parts[1]
        kind = _section_field(SECTIONS[head], head, field, name)
        if getattr(base, head) is None:
            raise ValueError(f"parameter {name!r}: the base config has no {head} ({head}: null)")
        if head == "strategy":
            # A per-coin override of the same field wins over strategy.FIELD: sweeping it would change nothing.
            shadowed = [c for c in coins if field in base.strategy_overrides.get(c, {})]
            if shadowed:
                raise ValueError(f"parameter {name!r}: the base config's strategy_overrides sets {field} for "
                                 f"{', '.join(shadowed)}, which would win; sweep strategy_overrides.{shadowed[0]}.{field}")
        return Parameter(name, kind)
    if head == "strategy_overrides" and len(parts) == 3:
        coin, field = parts[1], parts[2]
        if coin not in coins:
            raise ValueError(f"parameter {name!r}: no run of the sweep trades {coin} (its runs trade {', '.join(coins)})")
        return Parameter(name, _section_field(MarketMakerConfig, "strategy", field, name))
    raise ValueError(f"parameter {name!r}: expected FIELD, strategy.FIELD, governor.FIELD, risk_guard.FIELD "
                     "or strategy_overrides.COIN.FIELD")


def apply(base: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The config (as builtins) with each parameter (a name `parse` accepted) set to its value;
    `base` is left as it was."""
    config = copy.deepcopy(base)
    for name, value in values.items():
        *sections, field = name.split(".")
        node = config
        for key in sections:
            node = node.setdefault(key, {})  # strategy_overrides.COIN may not exist yet
        node[field] = value
    return config
