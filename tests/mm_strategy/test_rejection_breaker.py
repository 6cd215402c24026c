"""The rejection circuit breaker: repeated rejections that retrying cannot cure trip it, transient ones
never do (pure logic); and what the strategy does when it trips."""

from __future__ import annotations

import pytest
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.events import OrderRejected
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientOrderId

from adapters.hyperliquid.parsing.rejections import RejectionKind
from backtest.scripted import scripted_perp
from mm_strategy.risk.rejection_breaker import RejectionBreaker
from tests.mm_strategy.test_guards import _flicker_market
from tests.mm_strategy.test_guards import _mm
from tests.mm_strategy.test_guards import _run

SEC = 1_000_000_000
MARGIN = "Insufficient margin to place order. asset=4"
TICK = "Price must be divisible by tick size. asset=4"


def test_ten_rejections_of_one_incurable_kind_within_the_window_trip_it_naming_the_kind_and_reason() -> None:
    breaker = RejectionBreaker(10, 60.0)
    trips = [breaker.on_rejected(MARGIN, i * SEC) for i in range(10)]
    assert trips[:9] == [None] * 9
    trip = trips[9]
    assert trip is not None and trip.kind is RejectionKind.INSUFFICIENT_MARGIN and trip.count == 10
    assert trip.describe() == f"10 orders rejected as insufficient_margin within 60 s (last: {MARGIN})"
    assert breaker.tripped == trip


@pytest.mark.parametrize(
    "reason",
    [MARGIN, TICK, "Order has invalid size.", "Order must have minimum value of $10. asset=4",
     "Too many open orders"],
    ids=["margin", "tick", "size", "min_value", "open_orders"],
)
def test_every_kind_that_retrying_cannot_cure_is_counted(reason: str) -> None:
    breaker = RejectionBreaker(3, 60.0)
    assert [breaker.on_rejected(reason, i) is not None for i in range(3)] == [False, False, True]


@pytest.mark.parametrize(
    "reason",
    ["Post only order would have immediately matched, bbo was 3000.0@3000.1. asset=4", "badAloPxRejected",
     "Cannot modify canceled or filled order", "Invalid nonce: duplicate nonce",
     "the exchange did not receive it", "Reduce only order would increase position.", "something new"],
    ids=["alo_cross", "alo_status", "order_gone", "nonce", "not_delivered", "reduce_only", "unknown"],
)
def test_transient_or_unknown_rejections_never_trip_it(reason: str) -> None:
    breaker = RejectionBreaker(3, 60.0)
    assert all(breaker.on_rejected(reason, i) is None for i in range(50))
    assert breaker.tripped is None


def test_kinds_are_counted_apart() -> None:
    breaker = RejectionBreaker(10, 60.0)
    assert all(breaker.on_rejected(MARGIN if i % 2 else TICK, i) is None for i in range(18))


def test_rejections_older_than_the_window_are_forgotten() -> None:
    breaker = RejectionBreaker(10, 60.0)
    assert all(breaker.on_rejected(MARGIN, i * 7 * SEC) is None for i in range(30))  # 9 within any 60 s


def test_it_trips_only_once() -> None:
    breaker = RejectionBreaker(2, 60.0)
    assert breaker.on_rejected(MARGIN, 0) is None and breaker.on_rejected(MARGIN, 1) is not None
    assert all(breaker.on_rejected(MARGIN, 2 + i) is None for i in range(10))


@pytest.mark.parametrize(("count", "window"), [(0, 60.0), (10, 0.0), (10, float("nan"))])
def test_a_breaker_that_could_never_or_always_trip_is_refused(count: int, window: float) -> None:
    with pytest.raises(ValueError, match="rejection breaker"):
        RejectionBreaker(count, window)


@pytest.mark.parametrize(
    ("reason", "cures"),
    [(MARGIN, True), (TICK, False), ("Order has invalid size.", False),
     ("Order must have minimum value of $10. asset=4", False), ("Too many open orders", False)],
    ids=["margin", "tick", "size", "min_value", "open_orders"],
)
def test_only_a_margin_trip_is_cured_by_reducing_the_position(reason: str, cures: bool) -> None:
    trip = RejectionBreaker(1, 60.0).on_rejected(reason, 0)
    assert trip is not None and trip.reducing_cures is cures


def _order(mm, inst, reduce_only: bool) -> ClientOrderId:
    """An order of the strategy's in the cache, as it would have sent it."""
    order = mm.order_factory.limit(mm.instrument_id, OrderSide.SELL, inst.make_qty(0.01), inst.make_price(3001.0),
                                   post_only=True, reduce_only=reduce_only)
    mm.cache.add_order(order)
    return order.client_order_id


def _rejected(mm, cid: ClientOrderId, reason: str, ts_ns: int) -> OrderRejected:
    return OrderRejected(mm.trader_id, mm.id, mm.instrument_id, cid, AccountId("HYPERLIQUID-001"), reason, UUID4(),
                         ts_ns, ts_ns)


def _tripped_for_margin(count: int = 3):
    inst = scripted_perp()
    mm = _mm(inst, rejection_breaker_count=count)
    _run(inst, _flicker_market(inst, seconds=5), mm)
    for i in range(count):
        mm.on_order_rejected(_rejected(mm, _order(mm, inst, reduce_only=False), MARGIN, (10 + i) * SEC))
    assert mm.reduce_only_for_good is not None and mm.reduce_only_for_good.startswith(f"{count} orders rejected as insufficient")
    return mm, inst


def test_after_a_margin_trip_a_second_trip_of_the_exit_orders_stops_quoting() -> None:
    mm, inst = _tripped_for_margin()
    assert mm.quoting_stopped is None
    for i in range(3):  # the exit orders refused too: counted afresh, and this trip stops
        mm.on_order_rejected(_rejected(mm, _order(mm, inst, reduce_only=True), TICK, (20 + i) * SEC))
    assert mm.quoting_stopped is not None and "price_rule" in mm.quoting_stopped


def test_after_a_margin_trip_the_rest_of_the_ladders_refusals_are_not_counted() -> None:
    # Review 9: the rest of the trip's own order list, refused for margin just after it, tripped the
    # re-armed breaker at once and left the position unmanaged.
    mm, inst = _tripped_for_margin()
    for i in range(5):
        mm.on_order_rejected(_rejected(mm, _order(mm, inst, reduce_only=False), MARGIN, (14 + i) * SEC))
    assert mm.quoting_stopped is None and mm.reduce_only_for_good is not None
