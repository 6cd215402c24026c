"""The mirror of a venue's resting orders in a QueueMatcher: joins, modifies, cancels, and no size filled twice."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from simulation.matcher import QueueMatcher
from simulation.order_mirror import LevelBook
from simulation.order_mirror import OrderMirror
from simulation.order_mirror import RestingOrder
from simulation.queue_model import ConservativeQueue
from simulation.queue_model import make_queue_rule

LOT = 0.1


def _mirror(rule: str = "conservative") -> OrderMirror:
    return OrderMirror(QueueMatcher(make_queue_rule(rule), LOT))


def _book(bids: dict[float, float], asks: dict[float, float]) -> LevelBook:
    book = LevelBook()
    for px, sz in bids.items():
        book.set(True, px, sz)
    for px, sz in asks.items():
        book.set(False, px, sz)
    return book


def test_the_level_book_follows_adds_updates_deletes_and_clears() -> None:
    book = _book({100.0: 5.0, 99.9: 3.0}, {100.1: 2.0, 100.3: 4.0})
    assert (book.best_bid(), book.best_ask()) == (100.0, 100.1)
    book.set(True, 100.0, 0.0)  # an UPDATE to nothing removes the level
    book.delete(False, 100.1)
    assert (book.best_bid(), book.best_ask()) == (99.9, 100.3)
    sizes = book.sizes()
    assert sizes(True, 99.9) == 3.0
    assert sizes(True, 100.0) == 0.0  # empty, inside the window
    assert sizes(True, 99.0) is None  # beyond the deepest bid: unknown
    assert sizes(False, 100.2) == 0.0 and sizes(False, 100.4) is None
    book.clear()
    assert (book.best_bid(), book.best_ask()) == (None, None)
    assert book.sizes()(True, 99.9) == 0.0  # an empty side has no window: nothing is ahead


def test_a_new_order_joins_behind_the_displayed_size() -> None:
    m = _mirror()
    book = _book({100.0: 5.0}, {100.1: 5.0})
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0)], book.sizes())
    assert m.on_trade(100.0, 4.9, aggressor_is_buy=False) == []
    fills = m.on_trade(100.0, 0.5, aggressor_is_buy=False)
    assert [(f.key, round(f.qty, 9)) for f in fills] == [("b1", 0.4)]
    assert m.added == 1


def test_an_order_that_arrives_mid_event_joins_behind_the_book_at_the_events_end() -> None:
    m = _mirror()
    book = LevelBook()  # a snapshot in progress: CLEAR done, bids not yet re-added
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0)], None)
    assert m.on_trade(100.0, 3.0, aggressor_is_buy=False) == []  # queue unknown yet: no advance
    book.set(True, 100.0, 5.0)
    book.set(False, 100.1, 5.0)
    assert m.on_book(book) == []
    assert m.matcher.get("b1").queue.front == 5.0  # not at the front, as an empty mid-event book would say


def test_a_modified_order_takes_a_new_place_at_the_back() -> None:
    m = _mirror()
    book = _book({100.0: 5.0}, {100.1: 5.0})
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0)], book.sizes())
    assert m.on_trade(100.0, 4.0, aggressor_is_buy=False) == []  # 1.0 ahead now
    book.set(True, 100.0, 1.0)
    m.on_book(book)
    # the size changes (Hyperliquid's modify is a cancel and a new order): back behind the 1.0 displayed
    book.set(True, 100.0, 3.0)
    m.sync([RestingOrder("b1", True, 100.0, 2.0, 0.0)], book.sizes())
    assert m.replaced == 1 and m.matcher.get("b1").queue.front == 3.0
    # the price changes: behind what shows at the new price
    book.set(True, 99.9, 7.0)
    m.sync([RestingOrder("b1", True, 99.9, 2.0, 0.0)], book.sizes())
    assert m.replaced == 2 and m.matcher.get("b1").queue.front == 7.0
    assert m.on_trade(100.0, 10.0, aggressor_is_buy=False) == []  # its old price no longer concerns it


def test_a_modified_partly_filled_order_keeps_its_filled_size() -> None:
    m = _mirror()
    book = _book({100.0: 0.0}, {100.1: 5.0})
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0)], book.sizes())
    fills = m.on_trade(100.0, 0.3, aggressor_is_buy=False)
    assert round(fills[0].qty, 9) == 0.3
    m.sync([RestingOrder("b1", True, 100.0, 0.5, 0.3)], book.sizes())  # quantity cut to 0.5: 0.2 left
    fills = m.on_trade(100.0, 5.0, aggressor_is_buy=False)
    assert [round(f.qty, 9) for f in fills] == [0.2] and fills[0].closed


def test_an_order_gone_from_the_venue_leaves_the_matcher_and_never_fills() -> None:
    m = _mirror()
    book = _book({100.0: 0.0}, {100.1: 5.0})
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0), RestingOrder("a1", False, 100.2, 1.0, 0.0)], book.sizes())
    m.sync([RestingOrder("a1", False, 100.2, 1.0, 0.0)], book.sizes())  # b1 cancelled
    assert m.removed == 1 and "b1" not in m.matcher
    assert m.on_trade(99.0, 10.0, aggressor_is_buy=False) == []  # a trade through its old price
    assert m.on_book(_book({99.0: 1.0}, {99.5: 1.0})) == []  # and a book through it


def test_a_fill_the_venue_made_itself_is_adopted_and_not_made_again() -> None:
    m = _mirror()
    book = _book({100.0: 0.0}, {100.1: 5.0})
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0)], book.sizes())
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.6)], book.sizes())  # the venue filled 0.6 by itself
    assert m.adopted == 1
    fills = m.on_book(_book({99.9: 1.0}, {100.0: 1.0}))  # crossed: the rest, only the rest
    assert [round(f.qty, 9) for f in fills] == [0.4] and fills[0].closed


def test_an_order_the_venue_filled_completely_is_dropped() -> None:
    m = _mirror()
    book = _book({100.0: 0.0}, {100.1: 5.0})
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0)], book.sizes())
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 1.0)], book.sizes())
    assert len(m) == 0
    assert m.on_trade(99.0, 10.0, aggressor_is_buy=False) == []


def test_a_fill_the_venue_applied_is_not_counted_as_a_venue_fill() -> None:
    m = _mirror()
    book = _book({100.0: 0.0}, {100.1: 5.0})
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0)], book.sizes())
    fills = m.on_trade(100.0, 0.3, aggressor_is_buy=False)  # 0.1 * 3 is not 0.3 in floats: no matter
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.3)], book.sizes())
    assert m.adopted == 0 and round(fills[0].qty, 9) == 0.3
    assert m.matcher.get("b1").queue.front == pytest.approx(0.0, abs=1e-9)  # still first in line after its partial fill


def test_mid_event_only_a_level_reaching_our_price_is_checked_and_a_cross_fills_completely() -> None:
    m = _mirror()
    book = _book({100.0: 5.0}, {100.1: 5.0, 100.2: 5.0})
    m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0), RestingOrder("a1", False, 100.2, 1.0, 0.0)], book.sizes())
    book.delete(False, 100.1)
    assert m.on_level(book, False, 100.3) == []  # an ask above our bid cannot cross it
    book.set(False, 100.0, 0.5)  # an ask at our bid: crossed, whatever its size
    fills = m.on_level(book, False, 100.0)
    assert [(f.key, round(f.qty, 9), f.closed) for f in fills] == [("b1", 1.0, True)]
    book.set(True, 100.2, 0.1)
    fills = m.on_level(book, True, 100.2)
    assert [(f.key, round(f.qty, 9)) for f in fills] == [("a1", 1.0)]


def test_cancels_ahead_advance_a_probabilistic_order_and_not_a_conservative_one() -> None:
    filled = {}
    for rule in ("conservative", "power"):
        m = _mirror(rule)
        book = _book({100.0: 10.0}, {100.1: 5.0})
        m.sync([RestingOrder("b1", True, 100.0, 1.0, 0.0)], book.sizes())
        book.set(True, 100.0, 20.0)  # 10 join behind us
        m.on_book(book)
        book.set(True, 100.0, 11.0)  # 9 cancelled, ahead or behind: the rule decides
        m.on_book(book)
        filled[rule] = sum(f.qty for f in m.on_trade(100.0, 6.0, aggressor_is_buy=False))
    assert filled["conservative"] == 0.0
    assert filled["power"] > 0.0


# -- no size is ever filled twice, whatever the venue does ---------------------------------------

_step = st.one_of(
    st.tuples(st.just("trade"), st.sampled_from([99.9, 100.0, 100.1, 100.2]), st.floats(0.05, 3.0), st.booleans()),
    st.tuples(st.just("level"), st.booleans(), st.sampled_from([99.9, 100.0, 100.1, 100.2]), st.floats(0.0, 6.0)),
    st.tuples(st.just("venue_fill"), st.integers(0, 2), st.floats(0.0, 1.0)),
    st.tuples(st.just("cancel"), st.integers(0, 2)),
    st.tuples(st.just("modify"), st.integers(0, 2), st.sampled_from([99.9, 100.0, 100.1]), st.floats(0.5, 2.0)),
    st.tuples(st.just("drop_fill"), st.booleans()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_step, max_size=40))
def test_no_size_is_filled_twice_and_only_resting_orders_fill(steps: list[tuple]) -> None:
    """A toy venue: three orders; it applies the mirror's fills (or, when told, drops one), fills
    orders by itself, cancels and modifies them. After every step it syncs the mirror, as the
    module does after every data item. Its records are the truth the mirror must never exceed."""
    m = OrderMirror(QueueMatcher(ConservativeQueue(), LOT))
    book = _book({100.0: 2.0, 99.9: 2.0}, {100.1: 2.0, 100.2: 2.0})
    venue = {  # key → [is_buy, price, quantity, filled, open]
        "b0": [True, 99.9, 1.0, 0.0, True],
        "b1": [True, 100.0, 1.5, 0.0, True],
        "a2": [False, 100.2, 1.0, 0.0, True],
    }
    drop_next = False

    def resting() -> list[RestingOrder]:
        return [RestingOrder(k, v[0], v[1], v[2], v[3]) for k, v in venue.items() if v[4]]

    def apply(fills) -> None:
        nonlocal drop_next
        for f in fills:
            v = venue[f.key]
            assert v[4], f"fill for {f.key}, which does not rest"
            assert f.qty <= v[2] - v[3] + 1e-9, f"fill {f.qty} for {f.key} exceeds what is left"
            if drop_next:  # the venue refuses this one (as if the order had gone)
                drop_next = False
                continue
            v[3] += f.qty
            if v[2] - v[3] <= LOT * 1e-6:
                v[4] = False

    m.sync(resting(), book.sizes())
    keys = list(venue)
    for step in steps:
        kind = step[0]
        if kind == "trade":
            apply(m.on_trade(step[1], step[2], step[3]))
        elif kind == "level":
            book.set(step[1], step[2], step[3])
            apply(m.on_book(book))
        elif kind == "venue_fill":
            v = venue[keys[step[1]]]
            if v[4]:
                v[3] += round((v[2] - v[3]) * step[2], 1)
                v[4] = v[2] - v[3] > LOT * 1e-6
        elif kind == "cancel":
            venue[keys[step[1]]][4] = False
        elif kind == "modify":
            v = venue[keys[step[1]]]
            if v[4] and step[3] > v[3] + LOT:
                is_buy = v[0]
                price = step[2] if is_buy else step[2] + 0.2  # a sell stays above the bids
                v[1], v[2] = price, round(step[3], 1)
        else:
            drop_next = step[1]
        m.sync(resting(), book.sizes())
        # the mirror holds exactly what rests, each with what is left of it at the venue
        assert {o.key for o in m.matcher.orders()} == {r.key for r in resting()}
        for order in m.matcher.orders():
            v = venue[order.key]
            assert order.price == v[1] and order.quantity == v[2]
            assert order.filled == pytest.approx(v[3], abs=1e-9)
    for v in venue.values():
        assert v[3] <= v[2] + 1e-9
