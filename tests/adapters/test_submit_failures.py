"""Actions that get no usable reply never leave an order hanging.

Not received by the exchange (429 through every retry, connection refused) → the order is
rejected / the cancel is rejected with the reason; outcome unknown (timeout after sending) →
the exchange's `orderStatus` (by cloid) settles it. Over hlsim with a real TradingNode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

import pytest
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.orders import OrderList

from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.http.errors import HyperliquidEndpointsDown
from adapters.hyperliquid.types import TOPIC_VENUE_HALT
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import record_request_kinds
from tests.node_kit import record_topic
from tests.node_kit import refused_url
from tests.node_kit import run_node
from tests.node_kit import wait_for


def test_a_submit_that_meets_a_few_429s_is_retried_and_placed(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        sim.faults.http_status(429, count=2)
        a = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, timeout=8.0, what="accepted after the retries")
        assert [o["oid"] for o in sim.open_orders(ACCOUNT)] == [int(a.venue_order_id.value)]
        assert not rec.events_of("OrderRejected")

    run_node(node_config(sim, use_ws_post=False), scenario)


@pytest.mark.slow
def test_a_submit_429_through_every_retry_is_rejected_as_not_placed(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        sim.faults.http_status(429)
        try:
            a = rec.limit(OrderSide.BUY, "2990.0", "0.01")
            await wait_for(lambda: a.status == OrderStatus.REJECTED, timeout=8.0, what="rejected")
        finally:
            sim.faults.http_status(None)
        (rejected,) = rec.events_of("OrderRejected")
        assert "not placed" in rejected.reason and "429" in rejected.reason
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim, use_ws_post=False), scenario)


@pytest.mark.slow
def test_a_cancel_429_through_every_retry_is_rejected_and_the_order_stays_open(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        a = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="accepted")
        sim.faults.http_status(429)
        try:
            rec.cancel_order(a)
            await wait_for(lambda: rec.events_of("OrderCancelRejected"), timeout=8.0, what="cancel rejected")
        finally:
            sim.faults.http_status(None)
        assert "cancel not sent" in rec.events_of("OrderCancelRejected")[0].reason
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="back to accepted")
        assert [o["oid"] for o in sim.open_orders(ACCOUNT)] == [int(a.venue_order_id.value)]

    run_node(node_config(sim, use_ws_post=False), scenario)


def test_a_submit_timing_out_after_sending_is_accepted_from_order_status_while_the_stream_is_dark(sim) -> None:
    async def scenario(node, rec) -> None:
        halts = record_topic(node, TOPIC_VENUE_HALT)
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        # No user stream (so no orderUpdates) and actions over REST, whose replies come too late.
        assert sim.faults.drop_user_ws(ACCOUNT, refuse_for_s=4.0) >= 1
        await wait_for(lambda: halts, what="VenueHalt")
        sim.faults.delay_replies(1500)
        a = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: sim.open_orders(ACCOUNT), what="order on the exchange")
        await asyncio.sleep(0.1)
        sim.faults.delay_replies(0)
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="accepted from orderStatus")
        assert client.halted and client.settled_by_order_status >= 1
        assert a.venue_order_id.value == str(sim.open_orders(ACCOUNT)[0]["oid"])

    run_node(node_config(sim, http_timeout_secs=0.5), scenario)


@pytest.mark.slow
def test_a_post_only_cross_whose_reply_times_out_is_rejected_once_the_exchange_does_not_know_it(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        sim.faults.delay_replies(1000)
        a = rec.limit(OrderSide.BUY, "3001.0", "0.01")  # crosses the 3001 ask: the exchange rejects it
        await asyncio.sleep(0.4)  # the WS post has timed out (0.3 s)
        sim.faults.delay_replies(0)
        await wait_for(lambda: a.status == OrderStatus.REJECTED, timeout=8.0, what="rejected")
        (rejected,) = rec.events_of("OrderRejected")
        assert "outcome unknown" in rejected.reason and "does not know" in rejected.reason
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim, post_timeout_secs=0.3), scenario)


def test_a_refused_connection_is_reported_as_not_delivered() -> None:
    async def main() -> None:
        http = HyperliquidHttpClient([refused_url()], timeout_secs=2.0)
        try:
            with pytest.raises(HyperliquidEndpointsDown) as err:
                await http.exchange({"action": {"type": "noop"}, "nonce": 1})
            assert err.value.maybe_delivered is False
        finally:
            await http.close()

    asyncio.run(main())


async def _replies_held_past_the_post_timeout(sim, send: Callable[[], None]) -> None:  # type: ignore[no-untyped-def]
    """`send` an action whose reply hlsim holds past the client's post timeout (0.3 s in these tests):
    its outcome is unknown to the client. Replies flow again afterwards."""
    sim.faults.delay_replies(1000)
    send()
    await asyncio.sleep(0.4)
    sim.faults.delay_replies(0)


@pytest.mark.parametrize("prices", [(2990.0,), (2990.0, 2989.0)], ids=["one_modify", "a_batch_of_two"])
def test_each_modify_whose_reply_times_out_is_applied_from_the_replacement_the_exchange_holds(
    sim, prices: tuple[float, ...],
) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        orders = [rec.limit(OrderSide.BUY, f"{px:.1f}", "0.01") for px in prices]
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in orders), what="accepted")
        old_oids = {o.venue_order_id.value for o in orders}
        kinds = record_request_kinds(sim)
        instrument = rec.cache.instrument(rec.instrument_id)

        def modify_all() -> None:  # one loop turn: one batchModify
            for order, px in zip(orders, prices, strict=True):
                rec.modify_order(order, price=instrument.make_price(px - 5.0))

        await _replies_held_past_the_post_timeout(sim, modify_all)
        await wait_for(lambda: len(rec.events_of("OrderUpdated")) == len(orders), what="every OrderUpdated")
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in orders), what="accepted again")
        assert kinds[0] == "batchModify" and kinds.count("batchModify") == 1
        resting = {float(o["limitPx"]): str(o["oid"]) for o in sim.open_orders(ACCOUNT)}
        assert resting == {px - 5.0: o.venue_order_id.value for o, px in zip(orders, prices, strict=True)}
        assert all(o.price.as_double() == px - 5.0 for o, px in zip(orders, prices, strict=True))
        assert not old_oids & set(resting.values())
        assert not rec.events_of("OrderModifyRejected")

    run_node(node_config(sim, post_timeout_secs=0.3), scenario)


def test_each_order_of_a_cancel_batch_whose_reply_times_out_ends_canceled_and_the_rest_stay_open(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        kept = rec.limit(OrderSide.BUY, "2988.0", "0.01")
        orders = [rec.limit(OrderSide.BUY, px, "0.01") for px in ("2990.0", "2989.0")]
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in [kept, *orders]), what="accepted")
        await _replies_held_past_the_post_timeout(sim, lambda: rec.cancel_orders(orders))
        await wait_for(lambda: all(o.status == OrderStatus.CANCELED for o in orders), what="both canceled")
        assert [str(o["oid"]) for o in sim.open_orders(ACCOUNT)] == [kept.venue_order_id.value]
        assert kept.status == OrderStatus.ACCEPTED
        assert not rec.events_of("OrderCancelRejected")

    run_node(node_config(sim, post_timeout_secs=0.3), scenario)


@pytest.mark.slow
def test_the_orders_of_a_batch_whose_reply_times_out_are_settled_together_not_one_after_another(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        instrument = rec.cache.instrument(rec.instrument_id)
        orders = [
            rec.order_factory.limit(
                instrument_id=rec.instrument_id, order_side=OrderSide.BUY, quantity=instrument.make_qty(0.01),
                price=instrument.make_price(px), time_in_force=TimeInForce.GTC, post_only=True,
            )
            for px in (3001.0, 3002.0, 3003.0)  # each crosses the 3001 ask: the exchange rejects all three
        ]
        order_list = OrderList(rec.order_factory.generate_order_list_id(), orders)
        await _replies_held_past_the_post_timeout(sim, lambda: rec.submit_order_list(order_list))
        await wait_for(lambda: all(o.status == OrderStatus.REJECTED for o in orders), timeout=15.0, what="rejected")
        rejected = rec.events_of("OrderRejected")
        assert len(rejected) == 3 and all("does not know" in r.reason for r in rejected)
        # Each order's rechecks take 3.5 s (0 + 0.5 + 1 + 2): one after another they would end 3.5 s apart.
        times = [r.ts_event for r in rejected]
        assert max(times) - min(times) < 1_500_000_000
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim, post_timeout_secs=0.3), scenario)


def test_a_cancel_issued_in_the_same_turn_as_its_submit_does_not_overtake_it(sim) -> None:
    """Nautilus sends a cancel straight to the execution engine and a submit through the risk
    engine first: the cancel reaches the client while the order has not left. It must wait for
    the order to leave, or the exchange refuses it ("never placed") and the order then rests."""

    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        kinds = record_request_kinds(sim)
        order = rec.limit(OrderSide.BUY, "2989.0", "0.01")
        rec.cancel_order(order)  # the same turn of the loop
        await wait_for(lambda: order.status == OrderStatus.CANCELED, what="canceled")
        assert kinds[0] == "order"
        assert not sim.open_orders(ACCOUNT)
        assert not rec.events_of("OrderCancelRejected")

    run_node(node_config(sim), scenario)


def test_a_cancel_all_issued_in_the_same_turn_as_a_submit_leaves_that_order_canceled(sim) -> None:
    """The cancel-all lists the exchange's open orders; an order whose submit is still in the risk
    engine is not among them yet. Once its submit is answered, it must be canceled too. (With no
    other order open, Nautilus's Strategy.cancel_all_orders sends no command at all: it does not
    count an order it has not submitted yet.)"""

    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        resting = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: resting.status == OrderStatus.ACCEPTED, what="accepted")
        order = rec.limit(OrderSide.BUY, "2989.0", "0.01")
        rec.cancel_all_orders(ETH_ID)  # the same turn of the loop
        await wait_for(lambda: order.status == OrderStatus.CANCELED, what="canceled")
        assert resting.status == OrderStatus.CANCELED
        await asyncio.sleep(0.3)
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim), scenario)


async def _cancel_all_while_the_exchange_holds(sim, rec, send: Callable[[], None], sent: Callable[[], bool]) -> None:  # type: ignore[no-untyped-def]
    """`send` an action that hlsim holds (no blocks) while it answers the cancel-all's `openOrders`,
    which then misses the action's order; the action is taken afterwards."""
    sim.faults.stall_all(True)
    send()
    await wait_for(sent, what="the action sent")
    await asyncio.sleep(0.1)  # it reaches the exchange, which holds it
    rec.cancel_all_orders(ETH_ID)
    await asyncio.sleep(0.3)  # the listing is answered while the action waits
    sim.faults.stall_all(False)


def test_a_cancel_all_while_a_submit_waits_for_its_reply_cancels_the_order_once_placed(sim) -> None:
    """The exchange holds the order action (no blocks) but answers the cancel-all's openOrders: the
    listing misses the order, which is placed afterwards. It must not be left resting."""

    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        orders: list = []
        await _cancel_all_while_the_exchange_holds(
            sim, rec, lambda: orders.append(rec.limit(OrderSide.BUY, "2989.0", "0.01")),
            lambda: orders[0].status == OrderStatus.SUBMITTED,
        )
        await wait_for(lambda: orders[0].status == OrderStatus.CANCELED, timeout=8.0, what="canceled")
        await asyncio.sleep(0.3)
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim), scenario)


def test_a_cancel_all_while_a_modify_waits_for_its_reply_cancels_the_replacement(sim) -> None:
    """A modify is a cancel-replace with a new oid: the cancel-all's listing holds the old oid, and
    the replacement placed once the exchange takes the held modify must not be left resting."""

    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        await _cancel_all_while_the_exchange_holds(
            sim, rec, lambda: rec.modify_order(order, price=rec.cache.instrument(ETH_ID).make_price(Decimal("2985.0"))),
            lambda: order.status == OrderStatus.PENDING_UPDATE,
        )
        await wait_for(lambda: order.status == OrderStatus.CANCELED, timeout=8.0, what="canceled")
        await asyncio.sleep(0.3)
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim), scenario)


def test_a_replacement_canceled_on_the_exchange_before_its_modify_is_answered_ends_canceled(sim) -> None:
    """The stream shows the modify's replacement, then its cancel (from outside the node), before the
    modify's reply: the cancel is held until the modify is decided, and then it must count."""

    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        sim.faults.delay_replies(800)
        rec.modify_order(order, price=rec.cache.instrument(ETH_ID).make_price(Decimal("2985.0")))
        replaced = await wait_for(lambda: [o["oid"] for o in sim.open_orders(ACCOUNT) if o["limitPx"] == "2985.0"],
                                  what="the replacement on the exchange")
        await asyncio.sleep(0.1)  # its stream update reaches the node
        assert sim.cancel_order(ACCOUNT, replaced[0])  # e.g. from the web UI
        await asyncio.sleep(0.2)
        sim.faults.delay_replies(0)
        await wait_for(lambda: order.status == OrderStatus.CANCELED, timeout=3.0, what="canceled")

    run_node(node_config(sim), scenario)
