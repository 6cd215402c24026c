"""Fair price and the quote ladder (the price grid itself: tests/adapters/test_prices_float_grid.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.hyperliquid.common.prices import is_valid_hl_price
from mm_strategy.quoting.ladder import FairPrice
from mm_strategy.quoting.ladder import InstrumentSpec
from mm_strategy.quoting.ladder import LadderParams
from mm_strategy.quoting.ladder import build_side
from mm_strategy.quoting.ladder import fair_price
from mm_strategy.quoting.ladder import min_edge_bps
from mm_strategy.quoting.ladder import passes_edge

ETH = InstrumentSpec(price_precision=2, size_precision=4, maker_fee=0.00015)
ETH_SZ_DECIMALS = 4  # price precision 6 - 4 = 2


def test_microprice_leans_toward_the_thin_side() -> None:
    mid = fair_price(100.0, 1.0, 101.0, 1.0, FairPrice.MICROPRICE)
    leaning = fair_price(100.0, 9.0, 101.0, 1.0, FairPrice.MICROPRICE)  # big bid: price goes up
    assert mid == pytest.approx(100.5)
    assert leaning == pytest.approx(100.9)
    assert fair_price(100.0, 9.0, 101.0, 1.0, FairPrice.MID) == pytest.approx(100.5)


def test_fair_price_rejects_a_crossed_book() -> None:
    with pytest.raises(ValueError):
        fair_price(101.0, 1.0, 100.0, 1.0, FairPrice.MID)


def _params(**kw) -> LadderParams:
    base = {"base_spread_bps": 4.0, "level_spacing_ticks": 2, "order_size_usd": 20.0, "adverse_selection_bps": 0.5}
    base.update(kw)
    return LadderParams(**base)


def test_ladder_has_three_levels_with_1x_2x_4x_sizes_widening_outwards() -> None:
    bids = build_side(is_bid=True, anchor=3300.0, fair=3300.0, best_bid=3299.9, best_ask=3300.0, spec=ETH, params=_params())
    asks = build_side(is_bid=False, anchor=3300.0, fair=3300.0, best_bid=3299.9, best_ask=3300.0, spec=ETH, params=_params())
    assert [q.level for q in bids] == [0, 1, 2]
    assert [q.price for q in bids] == pytest.approx([3299.3, 3299.1, 3298.9])  # 2 bps half-spread, 2-tick spacing
    assert [q.price for q in asks] == pytest.approx([3300.7, 3300.9, 3301.1])
    sizes = [q.size for q in bids]
    assert sizes[1] == pytest.approx(2 * sizes[0], rel=0.01) and sizes[2] == pytest.approx(4 * sizes[0], rel=0.01)
    for q in bids + asks:
        assert q.price * q.size >= 10.0
        assert is_valid_hl_price(q.price, ETH_SZ_DECIMALS)
        assert round(q.size, 4) == q.size


def test_every_order_is_worth_at_least_ten_dollars_after_lot_rounding() -> None:
    spec = InstrumentSpec(price_precision=1, size_precision=3, maker_fee=0.0)
    bids = build_side(is_bid=True, anchor=42_000.0, fair=42_000.0, best_bid=41_999.0, best_ask=42_000.0, spec=spec,
                      params=_params(order_size_usd=10.0))
    assert bids[0].size * bids[0].price >= 10.0


def test_levels_that_cannot_pay_the_maker_fee_are_dropped() -> None:
    # 1 bps full spread = 0.5 bps from fair, below the 1.5 bps fee + 0.5 bps allowance
    tight = _params(base_spread_bps=1.0, level_spacing_ticks=1)
    bids = build_side(is_bid=True, anchor=3300.0, fair=3300.0, best_bid=3299.9, best_ask=3300.0, spec=ETH, params=tight)
    assert min_edge_bps(ETH, tight) == pytest.approx(2.0)
    assert all((3300.0 - q.price) / 3300.0 * 1e4 >= 2.0 - 1e-9 for q in bids)
    assert 0 not in [q.level for q in bids]


def test_quotes_never_cross_the_opposite_touch() -> None:
    # anchor far above the market (e.g. heavy short skew): bids stay below the best ask
    bids = build_side(is_bid=True, anchor=3310.0, fair=3310.0, best_bid=3299.9, best_ask=3300.0, spec=ETH,
                      params=_params(), enforce_edge=False)
    assert bids[0].price < 3300.0
    assert len({q.price for q in bids}) == len(bids)


def test_capacity_caps_total_size_on_the_adding_side() -> None:
    bids = build_side(is_bid=True, anchor=3300.0, fair=3300.0, best_bid=3299.9, best_ask=3300.0, spec=ETH,
                      params=_params(), capacity=0.02)
    assert sum(q.size for q in bids) <= 0.02 + 1e-12


def test_ladder_params_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        _params(level_spacing_ticks=0)
    with pytest.raises(ValueError):
        _params(size_multipliers=())



@given(
    fair=st.floats(min_value=0.01, max_value=150_000.0),
    sz_decimals=st.integers(min_value=0, max_value=5),
    spread_bps=st.floats(min_value=0.0, max_value=50.0),
    is_bid=st.booleans(),
)
def test_every_ladder_price_is_valid_by_the_exact_rule_and_stays_passive(
    fair: float, sz_decimals: int, spread_bps: float, is_bid: bool,
) -> None:
    spec = InstrumentSpec(price_precision=6 - sz_decimals, size_precision=sz_decimals, maker_fee=0.00015)
    touch_gap = fair * 2e-4  # a 2 bps wide book around fair
    best_bid, best_ask = fair - touch_gap / 2, fair + touch_gap / 2
    side = build_side(is_bid=is_bid, anchor=fair, fair=fair, best_bid=best_bid, best_ask=best_ask, spec=spec,
                      params=_params(base_spread_bps=spread_bps, order_size_usd=1_000.0), enforce_edge=False)
    for q in side:
        assert is_valid_hl_price(q.price, sz_decimals)
        assert q.price < best_ask if is_bid else q.price > best_bid


def test_edge_rule_keeps_a_quoted_level_down_to_the_requirement() -> None:
    assert passes_edge(2.0, need_bps=2.0, hysteresis_bps=0.25, quoted=True)
    assert not passes_edge(1.99, need_bps=2.0, hysteresis_bps=0.25, quoted=True)


def test_edge_rule_adds_a_level_only_past_the_requirement_plus_the_margin() -> None:
    assert not passes_edge(2.2, need_bps=2.0, hysteresis_bps=0.25, quoted=False)
    assert passes_edge(2.25, need_bps=2.0, hysteresis_bps=0.25, quoted=False)
    assert passes_edge(2.0, need_bps=2.0, hysteresis_bps=0.0, quoted=False)


def test_a_level_between_the_requirement_and_the_margin_is_kept_if_quoted_but_not_added() -> None:
    # L1 bid lands at 3299.3: 2.12 bps from fair, above the 2.0 bps requirement but below 2.25
    params = _params(base_spread_bps=4.0, edge_hysteresis_bps=0.25)
    kwargs = dict(is_bid=True, anchor=3300.0, fair=3300.0, best_bid=3299.9, best_ask=3300.0, spec=ETH, params=params)
    kept = build_side(**kwargs, quoted={0, 1, 2})
    fresh = build_side(**kwargs, quoted={1, 2})
    assert kept[0].level == 0 and kept[0].price == pytest.approx(3299.3)
    assert [q.level for q in fresh] == [1, 2]
    # the same level with no hysteresis is quoted either way
    assert build_side(**{**kwargs, "params": _params(base_spread_bps=4.0, edge_hysteresis_bps=0.0)})[0].level == 0


def test_a_quoted_level_below_the_requirement_is_dropped() -> None:
    # 3 bps full spread: L1 at 3299.5, 1.5 bps from fair
    bids = build_side(is_bid=True, anchor=3300.0, fair=3300.0, best_bid=3299.9, best_ask=3300.0, spec=ETH,
                      params=_params(base_spread_bps=3.0, edge_hysteresis_bps=0.25), quoted={0, 1, 2})
    assert 0 not in [q.level for q in bids]


def test_a_quote_cap_keeps_the_innermost_levels_that_pay_the_fee() -> None:
    # L1 at 1.5 bps from fair cannot pay fee 1.5 + adverse selection 0.5 bps; L2 and L3 can.
    side = dict(is_bid=True, anchor=3300.0, fair=3300.0, best_bid=3299.9, best_ask=3300.0, spec=ETH,
                params=_params(base_spread_bps=3.0, level_spacing_ticks=20))
    assert [q.level for q in build_side(**side)] == [1, 2]
    assert [q.level for q in build_side(**side, max_quotes=1)] == [1]
    assert [q.level for q in build_side(**side, enforce_edge=False, max_quotes=2)] == [0, 1]
