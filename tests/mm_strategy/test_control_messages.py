"""The control messages' own rules (mm_strategy/messages.py)."""

from __future__ import annotations

from dataclasses import fields
from dataclasses import replace

import pytest

from mm_strategy import messages as msg

REGIME = msg.SpreadAdjust("regime", 1.2, 0.8, 0, "regime normal: vol 3.10 bps", vol_bps=3.1)


def test_a_spread_adjust_differing_only_in_its_words_and_vol_steers_the_ladder_the_same() -> None:
    assert REGIME.steers_as(replace(REGIME, reason="regime normal: vol 3.40 bps", vol_bps=3.4))


@pytest.mark.parametrize("name", [f.name for f in fields(msg.SpreadAdjust) if f.name not in ("reason", "vol_bps")])
def test_a_spread_adjust_differing_in_any_other_field_steers_it_differently(name: str) -> None:
    other = {"source": "edge_probe", "spread_mult": 1.5, "size_mult": 0.5, "min_quote_lifetime_ms": 500,
             "tolerance_mult": 2.0, "max_levels": 1}
    assert name in other, f"a new SpreadAdjust field {name!r}: give it a value here"
    assert not REGIME.steers_as(replace(REGIME, **{name: other[name]}))
