"""The fast float price grid (`PriceGrid`) obeys the exact Decimal price rule it sits beside.

Inputs are prices with at most 8 decimals: the grid counts a price within 1e-9 of a step below a
grid price as on it (float noise, by design), and 8 decimals keep every input either on the grid
or further off it than that. Each property uses the shared grid of its precision, so consecutive
examples cross decades and exercise the grid's remembered band as the strategy does.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapters.hyperliquid.common.prices import PERP_MAX_DECIMALS
from adapters.hyperliquid.common.prices import float_price_step
from adapters.hyperliquid.common.prices import is_valid_hl_price
from adapters.hyperliquid.common.prices import price_grid
from adapters.hyperliquid.common.prices import round_price_to_hl

SZ_DECIMALS = st.integers(min_value=0, max_value=5)  # Hyperliquid perps: price precision 6 down to 1
PRICES = st.floats(min_value=1e-6, max_value=2_000_000.0, allow_nan=False, allow_infinity=False).map(
    lambda px: round(px, 8),
)


def _precision(sz_decimals: int) -> int:
    return PERP_MAX_DECIMALS - sz_decimals


def _above_smallest_tick(px: float, sz_decimals: int) -> bool:
    return px >= 10.0 ** -_precision(sz_decimals)


@settings(max_examples=500)
@given(px=PRICES, sz_decimals=SZ_DECIMALS)
def test_a_grid_bid_is_a_valid_price_never_above_the_input(px: float, sz_decimals: int) -> None:
    if not _above_smallest_tick(px, sz_decimals):
        return
    bid = price_grid(_precision(sz_decimals)).bid(px)
    assert is_valid_hl_price(bid, sz_decimals)
    assert Decimal(str(bid)) <= Decimal(str(px))


@settings(max_examples=500)
@given(px=PRICES, sz_decimals=SZ_DECIMALS)
def test_a_grid_ask_is_a_valid_price_never_below_the_input(px: float, sz_decimals: int) -> None:
    if not _above_smallest_tick(px, sz_decimals):
        return
    ask = price_grid(_precision(sz_decimals)).ask(px)
    assert is_valid_hl_price(ask, sz_decimals)
    assert Decimal(str(ask)) >= Decimal(str(px))


@settings(max_examples=500)
@given(px=PRICES, sz_decimals=SZ_DECIMALS)
def test_the_grid_rounds_to_the_same_price_as_the_exact_rule(px: float, sz_decimals: int) -> None:
    # Not just some valid price: the nearest one in the rounding direction, as the Decimal rule says.
    if not _above_smallest_tick(px, sz_decimals):
        return
    grid = price_grid(_precision(sz_decimals))
    assert Decimal(str(grid.bid(px))) == round_price_to_hl(px, sz_decimals, "down")
    assert Decimal(str(grid.ask(px))) == round_price_to_hl(px, sz_decimals, "up")


@settings(max_examples=500)
@given(px=PRICES, sz_decimals=SZ_DECIMALS)
def test_the_grid_step_is_the_gap_to_the_next_valid_price(px: float, sz_decimals: int) -> None:
    if not _above_smallest_tick(px, sz_decimals):
        return
    grid = price_grid(_precision(sz_decimals))
    on_grid = grid.bid(px)
    step = grid.step(on_grid)
    assert step == float_price_step(on_grid, _precision(sz_decimals))
    above = Decimal(str(on_grid)) + Decimal(str(step))
    assert is_valid_hl_price(above, sz_decimals)
    assert not is_valid_hl_price(Decimal(str(on_grid)) + Decimal(str(step)) / 2, sz_decimals)


@given(px=PRICES, sz_decimals=SZ_DECIMALS)
def test_a_valid_price_rounds_to_itself_both_ways(px: float, sz_decimals: int) -> None:
    if not _above_smallest_tick(px, sz_decimals):
        return
    grid = price_grid(_precision(sz_decimals))
    valid = float(round_price_to_hl(px, sz_decimals, "down"))
    assert grid.bid(valid) == valid
    assert grid.ask(valid) == valid


def test_float_noise_just_below_a_grid_price_counts_as_on_it() -> None:
    # 3301.2 reached by float arithmetic can come out a hair low; a bid must not drop a whole step for it.
    grid = price_grid(2)
    assert grid.bid(3301.2 - 1e-11) == 3301.2
    assert grid.ask(3301.2 + 1e-11) == 3301.2


def test_the_step_follows_five_significant_figures_and_integers_stay_valid() -> None:
    assert float_price_step(12.345, 4) == 0.001  # 5 sig figs: coarser than the 0.0001 tick
    assert float_price_step(1.2345, 4) == 0.0001  # the tick
    assert float_price_step(3300.0, 2) == 0.1
    assert float_price_step(105_000.0, 1) == 1.0  # 5 sig figs would say 10; integer prices are valid


def test_a_price_below_the_smallest_tick_has_no_bid() -> None:
    assert price_grid(2).bid(0.004) == 0.0
    assert price_grid(2).ask(0.004) == 0.01
