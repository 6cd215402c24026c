"""The shadow matcher: FIFO behind displayed size, trades and cancels advance, crosses fill."""

from __future__ import annotations

import pytest

from simulation.matcher import QueueMatcher
from simulation.matcher import post_only_rejection
from simulation.queue_model import ConservativeQueue
from simulation.queue_model import make_queue_rule


def sizes(bids: dict[float, float], asks: dict[float, float]):
    return lambda is_bid, px: (bids if is_bid else asks).get(px, 0.0)


def test_order_waits_behind_displayed_size_until_trades_pass_it() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("b1", True, 100.0, 1.0, level_qty=5.0)
    assert m.on_trade(100.0, 4.0, aggressor_is_buy=False) == []
    fills = m.on_trade(100.0, 1.5, aggressor_is_buy=False)
    assert [(f.key, round(f.qty, 8), f.price, f.closed) for f in fills] == [("b1", 0.5, 100.0, False)]
    fills = m.on_trade(100.0, 3.0, aggressor_is_buy=False)
    assert round(fills[0].qty, 8) == 0.5 and fills[0].closed
    assert len(m) == 0


def test_trades_on_the_same_side_as_the_order_do_not_fill_it() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("b1", True, 100.0, 1.0, level_qty=0.0)
    assert m.on_trade(100.0, 10.0, aggressor_is_buy=True) == []


def test_trade_through_the_price_fills_the_whole_order() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("a1", False, 101.0, 0.7, level_qty=50.0)
    fills = m.on_trade(101.5, 0.01, aggressor_is_buy=True)
    assert round(fills[0].qty, 8) == 0.7 and fills[0].closed


def test_conservative_rule_cancels_only_cap_the_queue_at_the_level_size() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("b1", True, 100.0, 1.0, level_qty=5.0)
    assert m.on_book(100.0, 100.5, sizes({100.0: 8.0}, {})) == []  # size joined behind
    assert m.on_book(100.0, 100.5, sizes({100.0: 2.0}, {})) == []  # cancels: front capped at 2
    fills = m.on_trade(100.0, 2.5, aggressor_is_buy=False)
    assert round(fills[0].qty, 8) == 0.5


def test_probabilistic_rule_moves_the_order_forward_on_cancels() -> None:
    m = QueueMatcher(make_queue_rule("power", 2.0), lot=0.01)
    order = m.add("b1", True, 100.0, 1.0, level_qty=4.0)
    m.on_book(100.0, 100.5, sizes({100.0: 10.0}, {}))  # 6 behind
    m.on_book(100.0, 100.5, sizes({100.0: 8.0}, {}))
    assert 2.0 < order.queue.front < 4.0


def test_opposite_side_reaching_the_price_fills_completely() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("b1", True, 100.0, 0.3, level_qty=5.0)
    fills = m.on_book(99.5, 100.0, sizes({}, {100.0: 2.0}))
    assert [(f.key, round(f.qty, 8), f.closed) for f in fills] == [("b1", 0.3, True)]


def test_fills_are_whole_lots_and_never_exceed_the_order() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.1)
    m.add("b1", True, 100.0, 0.5, level_qty=0.0)
    fills = m.on_trade(100.0, 0.25, aggressor_is_buy=False)
    assert round(fills[0].qty, 8) == 0.2
    fills = m.on_trade(100.0, 10.0, aggressor_is_buy=False)
    assert round(fills[0].qty, 8) == 0.3 and fills[0].closed


def test_removed_orders_get_no_fills() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("b1", True, 100.0, 1.0, level_qty=0.0)
    assert m.remove("b1") is not None
    assert m.on_trade(99.0, 5.0, aggressor_is_buy=False) == []


def test_duplicate_and_invalid_orders_are_refused() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("b1", True, 100.0, 1.0, level_qty=0.0)
    with pytest.raises(ValueError, match="already resting"):
        m.add("b1", True, 100.0, 1.0, level_qty=0.0)
    with pytest.raises(ValueError, match="positive"):
        m.add("b2", True, 0.0, 1.0, level_qty=0.0)
    with pytest.raises(ValueError, match="lot"):
        QueueMatcher(ConservativeQueue(), lot=0.0)


def test_post_only_rejection_uses_the_venue_text() -> None:
    assert post_only_rejection(True, 100.0, 99.0, 100.0) == (
        "Post only order would have immediately matched, bbo was 99@100."
    )
    assert post_only_rejection(False, 99.0, 99.0, 100.0) is not None
    assert post_only_rejection(True, 99.5, 99.0, 100.0) is None
    assert post_only_rejection(False, 99.5, None, None) is None


def test_cancels_alone_never_fill_an_order() -> None:
    m = QueueMatcher(make_queue_rule("power", 2.0), lot=0.01)
    order = m.add("b1", True, 100.0, 1.0, level_qty=4.0)
    assert m.on_book(100.0, 100.5, sizes({100.0: 0.5}, {})) == []
    assert m.on_book(99.9, 100.5, sizes({99.9: 1.0}, {})) == []
    assert order.queue.front == 0.0
    assert len(m) == 1


def test_a_price_beyond_the_displayed_window_keeps_its_queue() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    order = m.add("b1", True, 95.0, 1.0, level_qty=3.0)
    assert m.on_book(100.0, 100.5, lambda is_bid, px: None) == []
    assert order.queue.front == 3.0


def test_after_a_partial_fill_the_rest_is_first_in_the_queue() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("b1", True, 100.0, 1.0, level_qty=1.0)
    fills = m.on_trade(100.0, 1.25, aggressor_is_buy=False)
    assert round(fills[0].qty, 8) == 0.25
    fills = m.on_trade(100.0, 0.5, aggressor_is_buy=False)
    assert round(fills[0].qty, 8) == 0.5


def test_an_order_beyond_the_window_is_not_first_in_line() -> None:
    # placed where the feed shows nothing (size unknown): a trade at its price does not fill it
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    order = m.add("b1", True, 95.0, 1.0, level_qty=None)
    assert m.on_trade(95.0, 0.5, aggressor_is_buy=False) == []
    assert order.queue.front > 1e9


def test_an_order_beyond_the_window_joins_behind_the_size_shown_when_its_price_appears() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    order = m.add("b1", True, 95.0, 1.0, level_qty=None)
    m.on_book(100.0, 100.5, lambda is_bid, px: None)
    m.on_book(96.0, 96.5, sizes({95.0: 2.0}, {}))
    assert order.queue.front == 2.0
    assert m.on_trade(95.0, 2.5, aggressor_is_buy=False)[0].qty == pytest.approx(0.5)


def test_a_trade_through_fills_an_order_beyond_the_window() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    m.add("b1", True, 95.0, 1.0, level_qty=None)
    fills = m.on_trade(94.9, 0.1, aggressor_is_buy=False)
    assert [f.qty for f in fills] == [1.0] and fills[0].closed


def test_on_cross_fills_only_crossed_orders_and_leaves_queues_alone() -> None:
    m = QueueMatcher(ConservativeQueue(), lot=0.01)
    bid = m.add("b1", True, 100.0, 0.3, level_qty=5.0)
    m.add("a1", False, 100.5, 0.2, level_qty=5.0)
    assert m.on_cross(100.0, 100.5) == []
    assert bid.queue.front == 5.0 and bid.level_qty == 5.0
    fills = m.on_cross(99.5, 100.0)  # the ask side reached our bid
    assert [(f.key, round(f.qty, 8), f.closed) for f in fills] == [("b1", 0.3, True)]
    assert [o.key for o in m.orders()] == ["a1"]


def test_level_sizes_over_price_maps_matches_window_sizes_over_a_book() -> None:
    from types import SimpleNamespace

    from simulation.matcher import level_sizes
    from simulation.matcher import window_sizes

    def level(px: float, sz: float) -> SimpleNamespace:
        return SimpleNamespace(price=px, size=lambda: sz)

    bids, asks = {100.0: 2.0, 99.8: 1.0}, {100.1: 3.0}
    book = SimpleNamespace(bids=lambda: [level(p, s) for p, s in bids.items()],
                           asks=lambda: [level(p, s) for p, s in asks.items()])
    a, b = window_sizes(book), level_sizes(bids, asks)
    for is_bid in (True, False):
        for px in (99.7, 99.8, 99.9, 100.0, 100.1, 100.2):
            assert a(is_bid, px) == b(is_bid, px)
    assert b(True, 99.9) == 0.0 and b(True, 99.7) is None and b(False, 100.2) is None
