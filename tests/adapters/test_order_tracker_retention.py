"""The execution client's order records stay bounded: a closed order's record (its cloid and oids
with it) is forgotten once it has been closed for the retention (an hour, as the node's cache keeps
a closed order); an open order's never is."""

from __future__ import annotations

from decimal import Decimal

import pytest
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import StrategyId

from adapters.hyperliquid.common.cloids import cloid_for
from adapters.hyperliquid.execution.tracking import CLOSED_ORDER_RETENTION_NS
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.execution.tracking import TrackedOrder
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import run_node
from tests.node_kit import wait_for

RETENTION = 1_000


def _order(tracker: OrderTracker, n: int, oid: int) -> TrackedOrder:
    coid = ClientOrderId(f"O-{n}")
    tracked = tracker.add(TrackedOrder(
        client_order_id=coid, strategy_id=StrategyId("MM-001"), instrument_id=InstrumentId.from_str(str(ETH_ID)),
        side=OrderSide.BUY, order_type=OrderType.LIMIT, quantity=Decimal("0.01"), cloid=cloid_for(coid),
    ))
    tracker.bind_oid(tracked, oid)
    return tracked


def test_the_retention_is_the_hour_the_nodes_cache_keeps_a_closed_order() -> None:
    assert CLOSED_ORDER_RETENTION_NS == 3_600 * 10**9
    assert OrderTracker().closed_retention_ns == CLOSED_ORDER_RETENTION_NS


def test_a_closed_orders_record_cloid_and_oid_are_forgotten_once_it_has_been_closed_for_the_retention() -> None:
    tracker = OrderTracker(closed_retention_ns=RETENTION)
    old = _order(tracker, 1, oid=101)
    tracker.close(old, now_ns=0)
    recent = _order(tracker, 2, oid=102)
    tracker.close(recent, now_ns=RETENTION // 2)
    assert tracker.get(old.client_order_id) is old  # not yet: closed for less than the retention

    tracker.close(_order(tracker, 3, oid=103), now_ns=RETENTION + 1)
    assert tracker.get(old.client_order_id) is None
    assert tracker.resolve(101, old.cloid) is None
    assert tracker.cloids.by_cloid(old.cloid) is None
    assert tracker.get(recent.client_order_id) is recent
    assert tracker.resolve(102, None) is recent
    assert len(tracker) == 2


def test_an_open_order_is_never_forgotten() -> None:
    tracker = OrderTracker(closed_retention_ns=RETENTION)
    resting = _order(tracker, 1, oid=101)
    for n in range(2, 6):
        tracker.close(_order(tracker, n, oid=100 + n), now_ns=n * 10 * RETENTION)
    assert tracker.resolve(101, None) is resting
    assert tracker.open_orders() == [resting]
    assert len(tracker) == 2  # the open one and the last closed


def test_a_modified_orders_replaced_oids_are_forgotten_with_it() -> None:
    tracker = OrderTracker(closed_retention_ns=RETENTION)
    modified = _order(tracker, 1, oid=101)
    tracker.replace_oid(modified, 201)
    tracker.close(modified, now_ns=0)
    tracker.close(_order(tracker, 2, oid=102), now_ns=RETENTION + 1)
    assert tracker.cloids.by_oid(101) is None
    assert tracker.cloids.by_oid(201) is None


def test_closing_an_order_twice_keeps_its_first_closing_time() -> None:
    tracker = OrderTracker(closed_retention_ns=RETENTION)
    order = _order(tracker, 1, oid=101)
    tracker.close(order, now_ns=0)
    tracker.close(order, now_ns=RETENTION)  # a second sight of the cancel, later
    tracker.close(_order(tracker, 2, oid=102), now_ns=RETENTION + 1)
    assert tracker.get(order.client_order_id) is None


def test_a_negative_retention_is_refused() -> None:
    with pytest.raises(ValueError, match="closed_retention_ns"):
        OrderTracker(closed_retention_ns=-1)


def test_a_node_forgets_the_records_of_orders_closed_past_the_retention_and_keeps_trading(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        client.tracker.closed_retention_ns = 0  # forget a closed order at the next close
        instrument = rec.cache.instrument(ETH_ID)

        def place(px: float):  # type: ignore[no-untyped-def]
            order = rec.order_factory.limit(
                instrument_id=ETH_ID, order_side=OrderSide.BUY, quantity=instrument.make_qty(0.01),
                price=instrument.make_price(px), post_only=True,
            )
            rec.submit_order(order)
            return order

        first = place(2990.0)
        await wait_for(lambda: first.status == OrderStatus.ACCEPTED, what="first accepted")
        rec.cancel_order(first)
        await wait_for(lambda: first.status == OrderStatus.CANCELED, what="first canceled")
        assert client.tracker.get(first.client_order_id) is not None

        second = place(2980.0)
        await wait_for(lambda: second.status == OrderStatus.ACCEPTED, what="second accepted")
        rec.cancel_order(second)
        await wait_for(lambda: second.status == OrderStatus.CANCELED, what="second canceled")
        assert client.tracker.get(first.client_order_id) is None
        assert client.tracker.resolve(int(first.venue_order_id.value), cloid_for(first.client_order_id)) is None

        # Still trading: an order placed after the records were dropped rests, and the node's open
        # orders are the exchange's.
        third = place(2970.0)
        await wait_for(lambda: third.status == OrderStatus.ACCEPTED, what="third accepted")
        assert [o["oid"] for o in sim.open_orders(ACCOUNT)] == [int(third.venue_order_id.value)]
        assert rec.cache.orders_open(instrument_id=ETH_ID) == [third]
        assert first.status == OrderStatus.CANCELED and second.status == OrderStatus.CANCELED

    run_node(node_config(sim), scenario)
