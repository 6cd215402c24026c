"""The size ahead of our resting orders, estimated from book samples and the trades in between."""

from __future__ import annotations

import pytest

from dashboard.queue_estimate import PrintedTrade
from dashboard.queue_estimate import QueueEstimate
from dashboard.queue_estimate import RestingOrder
from simulation.matcher import QueueMatcher
from simulation.queue_model import make_queue_rule


def book(bids: dict[float, float], asks: dict[float, float]):
    """A `SizeAt` over a displayed window: 0 inside it where nothing shows, None beyond it."""

    def size_at(is_bid: bool, price: float) -> float | None:
        levels = bids if is_bid else asks
        if price in levels:
            return levels[price]
        edge = min(levels) if is_bid else max(levels)
        return 0.0 if (price >= edge if is_bid else price <= edge) else None

    return size_at


BID = RestingOrder("b1", True, 99.0, 1.0)
ASKS = {101.0: 5.0, 102.0: 5.0}


def test_a_new_order_joins_behind_what_the_book_shows_besides_our_own_size() -> None:
    estimate = QueueEstimate()
    # Hyperliquid's level holds our 1.0 as well: 7.0 is ahead of us.
    assert estimate.update([BID], book({100.0: 3.0, 99.0: 8.0}, ASKS)) == {"b1": 7.0}


def test_in_shadow_the_book_does_not_hold_our_virtual_orders() -> None:
    estimate = QueueEstimate(own_orders_displayed=False)
    assert estimate.update([BID], book({100.0: 3.0, 99.0: 8.0}, ASKS)) == {"b1": 8.0}


def test_trades_at_our_price_by_sellers_advance_us_and_buyers_do_not() -> None:
    estimate = QueueEstimate()
    estimate.update([BID], book({99.0: 8.0}, ASKS))
    trades = [PrintedTrade(99.0, 2.0, aggressor_is_buy=False), PrintedTrade(99.0, 3.0, aggressor_is_buy=True)]
    # The level shows the sold 2.0 gone: counted once, not twice.
    assert estimate.update([BID], book({99.0: 6.0}, ASKS), trades) == {"b1": 5.0}


def test_a_trade_through_our_price_leaves_nothing_ahead() -> None:
    estimate = QueueEstimate()
    estimate.update([BID], book({99.0: 8.0, 98.0: 1.0}, ASKS))
    assert estimate.update([BID], book({99.0: 8.0, 98.0: 1.0}, ASKS), [PrintedTrade(98.5, 0.1, False)]) == {"b1": 0.0}


def test_conservative_rule_cancels_only_cap_the_queue_at_the_level_size() -> None:
    estimate = QueueEstimate(make_queue_rule("conservative"))
    estimate.update([BID], book({99.0: 8.0}, ASKS))  # 7 ahead
    assert estimate.update([BID], book({99.0: 9.0}, ASKS)) == {"b1": 7.0}  # size added behind us
    assert estimate.update([BID], book({99.0: 4.0}, ASKS)) == {"b1": 3.0}  # others shrank to 3
    assert estimate.update([BID], book({99.0: 10.0}, ASKS)) == {"b1": 3.0}


def test_a_probabilistic_rule_moves_us_forward_by_its_share_of_a_cancel() -> None:
    estimate = QueueEstimate(make_queue_rule("power", 2.0), own_orders_displayed=False)
    estimate.update([BID], book({99.0: 4.0}, ASKS))  # front 4, nothing behind
    estimate.update([BID], book({99.0: 8.0}, ASKS))  # 4 joined behind us
    # A cancel of 4: equally likely ahead or behind (front 4, back 4 → p = 0.5): front 4 − 0.5·4 = 2.
    assert estimate.update([BID], book({99.0: 4.0}, ASKS)) == {"b1": pytest.approx(2.0)}


def test_a_price_beyond_the_displayed_window_is_unknown_until_it_shows() -> None:
    estimate = QueueEstimate()
    deep = RestingOrder("b2", True, 95.0, 1.0)
    assert estimate.update([deep], book({100.0: 1.0, 99.0: 1.0}, ASKS)) == {"b2": None}
    assert estimate.update([deep], book({100.0: 1.0, 95.0: 4.0}, ASKS)) == {"b2": 3.0}


def test_a_modified_order_starts_again_at_the_back_and_gone_orders_are_forgotten() -> None:
    estimate = QueueEstimate()
    estimate.update([BID], book({99.0: 8.0, 98.0: 2.0}, ASKS))
    moved = RestingOrder("b1", True, 98.0, 1.0)
    assert estimate.update([moved], book({99.0: 7.0, 98.0: 3.0}, ASKS)) == {"b1": 2.0}
    assert estimate.update([], book({99.0: 7.0}, ASKS)) == {}
    assert len(estimate) == 0


def test_sampled_estimate_matches_the_shadow_matchers_queue_on_the_same_events() -> None:
    """Fed once per event, the estimate is the shadow client's own queue (same rules, same order)."""
    rule = "conservative"
    matcher = QueueMatcher(make_queue_rule(rule), lot=0.001)
    estimate = QueueEstimate(make_queue_rule(rule), own_orders_displayed=False)
    levels = {99.0: 10.0, 98.0: 5.0}
    matcher.add("b1", True, 99.0, 1.0, levels[99.0])
    estimate.update([BID], book(levels, ASKS))
    script = [  # (trade or None, new size at 99)
        (PrintedTrade(99.0, 2.0, False), 8.0),
        (None, 9.5),
        (None, 6.0),
        (PrintedTrade(99.0, 1.0, False), 5.0),
        (PrintedTrade(99.0, 0.5, True), 5.0),
        (None, 12.0),
    ]
    for trade, size in script:
        trades = []
        if trade is not None:
            matcher.on_trade(trade.price, trade.size, trade.aggressor_is_buy)
            trades = [trade]
        levels = {99.0: size, 98.0: 5.0}
        matcher.on_book(99.0, 101.0, book(levels, ASKS))
        ahead = estimate.update([BID], book(levels, ASKS), trades)
        assert ahead["b1"] == pytest.approx(matcher.get("b1").queue.front)
