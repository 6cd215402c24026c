"""The screener's tick is the adapter's price rule (`common.prices`), in float form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.hyperliquid.common.prices import is_valid_hl_price
from adapters.hyperliquid.common.prices import price_tick_float
from adapters.hyperliquid.common.prices import round_price_to_hl


@pytest.mark.parametrize(
    ("px", "sz_decimals", "tick"),
    [
        (91026.5, 5, 1.0),  # 5 significant figures would allow 10: integers are always valid
        (3000.0, 4, 0.1),
        (0.187, 0, 1e-5),  # WLFI: 5 significant figures
        (0.005, 0, 1e-6),  # kPEPE: the 6 − szDecimals cap
        (2.111, 2, 1e-4),
    ],
)
def test_tick_at_known_prices(px: float, sz_decimals: int, tick: float) -> None:
    assert price_tick_float(px, sz_decimals) == tick


@given(
    px=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000000"), places=6),
    sz_decimals=st.integers(0, 6),
)
def test_a_valid_price_plus_one_tick_is_valid_and_half_a_tick_is_not(px: Decimal, sz_decimals: int) -> None:
    on_grid = round_price_to_hl(px, sz_decimals, "down")
    tick = Decimal(repr(price_tick_float(float(on_grid), sz_decimals)))
    assert is_valid_hl_price(on_grid + tick, sz_decimals)
    assert not is_valid_hl_price(on_grid + tick / 2, sz_decimals)


@pytest.mark.parametrize(("px", "sz_decimals"), [(0.0, 2), (-1.0, 2), (float("nan"), 2), (1.0, 7)])
def test_a_price_or_sz_decimals_outside_the_rule_is_refused(px: float, sz_decimals: int) -> None:
    with pytest.raises(ValueError):
        price_tick_float(px, sz_decimals)
