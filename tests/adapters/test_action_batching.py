"""One book event's actions leave as at most one signed request per kind (issue 18).

Over hlsim with a real TradingNode: hlsim's `Traffic` counts the /exchange requests that reach it
and their order. Commands issued in one turn of the loop (as one book event's are): the cancels as
one `BatchCancelOrders`, the modifies coalesced by the client into one `batchModify`, the new
orders as one `SubmitOrderList`. With `batch_actions` off each modify is its own request.
"""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import pytest
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.orders import OrderList

from adapters.hyperliquid.types import TOPIC_VENUE_HALT
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import eth_quoter
from tests.node_kit import exec_client
from tests.node_kit import ladder_quoted
from tests.node_kit import node_config
from tests.node_kit import record_request_kinds
from tests.node_kit import record_topic
from tests.node_kit import run_node
from tests.node_kit import wait_for


def _unsubmitted(rec, side: OrderSide, px: str):  # type: ignore[no-untyped-def]
    instrument = rec.cache.instrument(rec.instrument_id)
    return rec.order_factory.limit(
        instrument_id=rec.instrument_id, order_side=side, quantity=instrument.make_qty(Decimal("0.01")),
        price=instrument.make_price(Decimal(px)), time_in_force=TimeInForce.GTC, post_only=True,
    )


@pytest.mark.parametrize("batch", [True, False])
def test_one_turns_cancels_modifies_and_orders_leave_as_one_request_of_each_kind(sim, batch: bool) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        resting = [rec.limit(OrderSide.BUY, px, "0.01") for px in ("2990.0", "2989.0", "2988.0", "2987.0")]
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in resting), what="accepted")
        kinds = record_request_kinds(sim)
        # One turn of the loop, in the strategy's order: cancels, modifies, new orders.
        rec.cancel_orders(resting[:2])
        rec.modify_order(resting[2], price=rec.cache.instrument(ETH_ID).make_price(Decimal("2986.0")))
        rec.modify_order(resting[3], price=rec.cache.instrument(ETH_ID).make_price(Decimal("2985.0")))
        new = [_unsubmitted(rec, OrderSide.BUY, "2980.0"), _unsubmitted(rec, OrderSide.BUY, "2979.0")]
        rec.submit_order_list(OrderList(rec.order_factory.generate_order_list_id(), new))
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in new), what="new orders accepted")
        await wait_for(lambda: all(o.status == OrderStatus.CANCELED for o in resting[:2]), what="canceled")
        await wait_for(lambda: [float(o.price) for o in resting[2:]] == [2986.0, 2985.0], what="modified")
        if batch:
            assert kinds == ["cancel", "batchModify", "order"]
            assert exec_client(node)._batch.batches_sent >= 1
        else:
            assert kinds == ["cancel", "batchModify", "batchModify", "order"]
        prices = sorted(float(o["limitPx"]) for o in sim.open_orders(ACCOUNT))
        assert prices == [2979.0, 2980.0, 2985.0, 2986.0]

    run_node(node_config(sim, batch_actions=batch), scenario)


@pytest.mark.parametrize("batch", [True, False])
def test_a_book_move_sends_one_cancel_request_and_one_order_request(sim, batch: bool) -> None:
    mm = eth_quoter(batch_actions=batch)

    async def scenario(node, rec) -> None:
        await ladder_quoted(sim, mm)
        before = sorted(float(o["limitPx"]) for o in sim.open_orders(ACCOUNT))
        kinds = record_request_kinds(sim)
        # The whole book 1.0 up (10 ticks, past the re-quote tolerance): every quote moves. The
        # exchange's book then shows our old asks as its best until they are canceled: one re-quote
        # still, from the market's own touch.
        sim.set_book("ETH", bids=[(3001.0, 5), (3000.0, 5)], asks=[(3002.0, 5), (3003.0, 5)])
        await wait_for(lambda: len(sim.open_orders(ACCOUNT)) == 6
                       and sorted(float(o["limitPx"]) for o in sim.open_orders(ACCOUNT)) != before,
                       timeout=10.0, what="re-quoted")
        await wait_for(lambda: not any(s.busy for s in mm._slots.values()), what="re-quote settled")
        if batch:
            assert kinds == ["cancel", "order"]
        else:
            assert kinds.count("cancel") == 6 and kinds[-1] == "order"
        assert mm.actions["cancel"] == 6 and mm.actions["submit"] == 12

    run_node(node_config(sim, batch_actions=batch), scenario, strategies=[mm])


def test_two_modifies_of_one_order_in_one_turn_leave_as_one_entry_and_the_last_price_stands(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        a = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="accepted")
        kinds = record_request_kinds(sim)
        instrument = rec.cache.instrument(ETH_ID)
        # Two book events handled back to back: the second re-quote of the order supersedes the first.
        rec.modify_order(a, price=instrument.make_price(Decimal("2989.0")))
        rec.modify_order(a, price=instrument.make_price(Decimal("2988.0")))
        await wait_for(lambda: rec.events_of("OrderUpdated"), what="OrderUpdated")
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="accepted again")
        assert kinds == ["batchModify"]
        assert [float(o["limitPx"]) for o in sim.open_orders(ACCOUNT)] == [2988.0] == [float(a.price)]
        assert not rec.events_of("OrderModifyRejected")

    run_node(node_config(sim, batch_actions=True), scenario)


def test_a_batch_modify_with_one_refused_entry_updates_the_other_and_reports_what_the_exchange_did(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        good, bad = rec.limit(OrderSide.BUY, "2990.0", "0.01"), rec.limit(OrderSide.BUY, "2989.0", "0.01")
        await wait_for(lambda: good.status == bad.status == OrderStatus.ACCEPTED, what="accepted")
        kinds = record_request_kinds(sim)
        instrument = rec.cache.instrument(ETH_ID)
        rec.modify_order(good, price=instrument.make_price(Decimal("2985.0")))
        # Through the ask: the replacement is refused (ALO), and a modify being a cancel and a new
        # order, the exchange has cancelled the original.
        rec.modify_order(bad, price=instrument.make_price(Decimal("3005.0")))
        await wait_for(lambda: good.status == OrderStatus.ACCEPTED and float(good.price) == 2985.0, what="good modified")
        await wait_for(lambda: bad.is_closed, what="the refused entry's order settled")
        assert kinds == ["batchModify"]
        assert [e.client_order_id for e in rec.events_of("OrderUpdated")] == [good.client_order_id]
        # Nothing hangs: what the node holds open is what the exchange holds open.
        assert [int(o["oid"]) for o in sim.open_orders(ACCOUNT)] == [int(good.venue_order_id.value)]
        assert bad.status == OrderStatus.CANCELED

    run_node(node_config(sim, batch_actions=True), scenario)


def test_a_cancel_all_right_after_a_modify_leaves_nothing_open(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        a = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="accepted")
        # One turn: the modify waits in the batch for the end of the turn; whichever reaches the
        # exchange first, the replacement the modify makes must not survive the cancel-all.
        rec.modify_order(a, price=rec.cache.instrument(ETH_ID).make_price(Decimal("2985.0")))
        rec.cancel_all_orders(ETH_ID)
        await wait_for(lambda: a.is_closed, what="the order closed")
        await wait_for(lambda: not sim.open_orders(ACCOUNT), what="nothing open on the exchange")
        await asyncio.sleep(0.3)
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim, batch_actions=True), scenario)


def test_a_cancel_batch_leaves_in_its_commands_order_so_the_strategys_most_urgent_cancel_goes_first(sim) -> None:
    """The strategy puts the cancel of a quote the market crosses first (tests/mm_strategy/
    test_batching.py); the client must keep that order in the one `cancel` request."""

    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        resting = [rec.limit(OrderSide.BUY, px, "0.01") for px in ("2990.0", "2989.0", "2988.0")]
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in resting), what="accepted")
        actions: list[dict] = []
        traffic = sim.engine.traffic
        record = traffic.record

        def recording(action: dict) -> None:
            actions.append(action)
            record(action)

        sim.call(lambda: setattr(traffic, "record", recording))
        urgent_first = [resting[2], resting[0], resting[1]]
        rec.cancel_orders(urgent_first)
        await wait_for(lambda: all(o.status == OrderStatus.CANCELED for o in resting), what="canceled")
        (cancel,) = [a for a in actions if a.get("type") == "cancel"]
        assert [e["o"] for e in cancel["cancels"]] == [int(o.venue_order_id.value) for o in urgent_first]

    run_node(node_config(sim), scenario)


def test_a_cancel_batch_of_orders_with_and_without_an_oid_sends_both_requests_without_waiting_for_a_reply(sim) -> None:
    """An order whose submit is not answered (and, the user stream down, not streamed) has no oid
    yet: it is canceled by cloid, in a second request. That request must not wait for the first
    one's reply, and the request holding the strategy's first (most urgent) cancel leaves first."""

    async def scenario(node, rec) -> None:
        halts = record_topic(node, TOPIC_VENUE_HALT)
        await wait_for(lambda: rec.quotes, what="quotes")
        known = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: known.status == OrderStatus.ACCEPTED, what="accepted")
        assert sim.faults.drop_user_ws(ACCOUNT, refuse_for_s=3.0) >= 1
        await wait_for(lambda: halts, what="VenueHalt")
        arrivals: list[tuple[str, float]] = []
        sim.call(lambda: setattr(sim.engine.traffic, "listener",
                                 lambda kind, assets: arrivals.append((kind, time.monotonic()))))
        sim.faults.delay_replies(800)
        unanswered = rec.limit(OrderSide.BUY, "2989.0", "0.01")
        await wait_for(lambda: arrivals, what="the second order on the exchange")
        rec.cancel_orders([unanswered, known])
        await wait_for(lambda: len(arrivals) >= 3, timeout=3.0, what="both cancel requests")
        sim.faults.delay_replies(0)
        assert [kind for kind, _ in arrivals[1:3]] == ["cancelByCloid", "cancel"]
        assert arrivals[2][1] - arrivals[1][1] < 0.4  # a reply is held 0.8 s
        await wait_for(lambda: known.is_closed and unanswered.is_closed, timeout=10.0, what="both closed")
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim), scenario)
