"""The market's top of book with our own resting orders taken out (mm_strategy/quoting/market_touch.py)."""

from __future__ import annotations

from mm_strategy.quoting.market_touch import market_touch
from mm_strategy.quoting.market_touch import own_size_at

TICK = 0.1
HALF_TICK = TICK / 2
HALF_LOT = 0.00005


def test_a_touch_without_our_orders_is_the_books_touch() -> None:
    assert market_touch([(3001.0, 5.0), (3000.0, 5.0)], [(2999.4, 0.0066)], HALF_TICK, HALF_LOT) == (3001.0, 5.0)


def test_a_level_holding_only_our_order_is_skipped_for_the_next() -> None:
    asks = [(3001.2, 0.0066), (3001.4, 0.0133), (3002.0, 5.0)]
    ours = [(3001.2, 0.0066), (3001.4, 0.0133)]
    assert market_touch(asks, ours, HALF_TICK, HALF_LOT) == (3002.0, 5.0)


def test_a_level_we_share_with_others_stays_the_touch_with_only_their_size() -> None:
    price, size = market_touch([(3000.0, 2.5), (2999.0, 5.0)], [(3000.0, 0.5)], HALF_TICK, HALF_LOT)
    assert price == 3000.0 and abs(size - 2.0) < 1e-12


def test_several_of_our_orders_at_one_price_count_together() -> None:
    assert market_touch([(3000.0, 0.3), (2999.0, 5.0)], [(3000.0, 0.1), (3000.0, 0.2)], HALF_TICK, HALF_LOT) == (
        2999.0, 5.0)


def test_a_side_made_only_of_our_orders_has_no_market_touch() -> None:
    assert market_touch([(3001.2, 0.0066)], [(3001.2, 0.0066)], HALF_TICK, HALF_LOT) is None
    assert market_touch([], [], HALF_TICK, HALF_LOT) is None


def test_prices_within_half_a_tick_are_one_price() -> None:
    # 0.1 + 0.2 is not 0.3 in floats: grid prices from different arithmetic must still match.
    assert own_size_at([(0.1 + 0.2, 1.0)], 0.3, 0.005) == 1.0
    assert own_size_at([(0.31, 1.0)], 0.3, 0.005) == 0.0
