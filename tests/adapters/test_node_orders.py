"""A TradingNode built from our factories trades ALO orders on hlsim over real sockets."""

from __future__ import annotations

import time
from decimal import Decimal

from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import TimeInForce

from adapters.hyperliquid.types import TOPIC_RATE_LIMIT
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import prepared_sim
from tests.node_kit import record_topic
from tests.node_kit import run_node
from tests.node_kit import wait_for


def test_node_subscribes_places_modifies_and_cancels_alo_orders(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes and rec.deltas, what="quotes and book deltas")
        quote = rec.quotes[-1]
        assert (quote.bid_price.as_double(), quote.ask_price.as_double()) == (3000.0, 3001.0)

        order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        (resting,) = sim.open_orders(ACCOUNT)
        assert resting["oid"] == int(order.venue_order_id.value)
        assert Decimal(resting["limitPx"]) == Decimal("2990")

        old_oid = order.venue_order_id
        rec.modify_order(order, price=rec.cache.instrument(order.instrument_id).make_price(2995.5))
        await wait_for(lambda: order.venue_order_id != old_oid, what="new venue order id")
        assert order.price.as_double() == 2995.5 and order.status == OrderStatus.ACCEPTED
        (replaced,) = sim.open_orders(ACCOUNT)
        assert replaced["oid"] == int(order.venue_order_id.value)
        assert len(rec.events_of("OrderUpdated")) == 1

        rec.cancel_order(order)
        await wait_for(lambda: order.status == OrderStatus.CANCELED, what="canceled")
        assert sim.open_orders(ACCOUNT) == []
        assert len(rec.events_of("OrderCanceled")) == 1

    run_node(node_config(sim), scenario)


def test_post_only_order_that_would_cross_is_rejected_as_post_only(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "3001.0", "0.01")  # at the best ask: would take
        await wait_for(lambda: order.status == OrderStatus.REJECTED, what="rejected")
        (rejected,) = rec.events_of("OrderRejected")
        assert rejected.due_post_only
        assert rejected.reason.startswith("Post only order would have immediately matched")
        assert sim.open_orders(ACCOUNT) == []

    run_node(node_config(sim), scenario)


def test_an_order_hyperliquid_cannot_express_is_rejected_once_with_the_reason_and_not_sent(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        market = rec.order_factory.market(
            instrument_id=ETH_ID, order_side=OrderSide.BUY, quantity=rec.cache.instrument(ETH_ID).make_qty(0.01),
        )
        rec.submit_order(market)
        await wait_for(lambda: market.status == OrderStatus.REJECTED, what="market order rejected")
        (rejected,) = rec.events_of("OrderRejected")
        assert "only LIMIT orders" in rejected.reason and not rejected.due_post_only
        assert sim.open_orders(ACCOUNT) == [] and sim.fills(ACCOUNT) == []

    run_node(node_config(sim), scenario)


def test_ioc_takes_liquidity_and_its_fill_is_a_taker_fill(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "3001.0", "0.01", post_only=False, tif=TimeInForce.IOC)
        await wait_for(lambda: order.status == OrderStatus.FILLED, what="IOC filled")
        (fill,) = rec.events_of("OrderFilled")
        assert fill.liquidity_side == LiquiditySide.TAKER and fill.last_px.as_double() == 3001.0
        assert fill.commission.as_decimal() > 0
        assert [str(f["tid"]) for f in sim.fills(ACCOUNT)] == [fill.trade_id.value]

    run_node(node_config(sim), scenario)


def test_gtc_rests_and_a_reduce_only_order_that_would_open_is_rejected_with_the_exchange_text(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        gtc = rec.limit(OrderSide.SELL, "3050.0", "0.01", post_only=False)
        await wait_for(lambda: gtc.status == OrderStatus.ACCEPTED, what="GTC accepted")
        instrument = rec.cache.instrument(ETH_ID)
        reduce_only = rec.order_factory.limit(
            instrument_id=ETH_ID, order_side=OrderSide.SELL, quantity=instrument.make_qty(0.01),
            price=instrument.make_price(3060.0), post_only=True, reduce_only=True,
        )
        rec.submit_order(reduce_only)
        await wait_for(lambda: reduce_only.status == OrderStatus.REJECTED, what="reduce-only rejected")
        (rejected,) = rec.events_of("OrderRejected")
        assert not rejected.due_post_only
        assert rejected.reason.startswith("Reduce only order would increase position")

    run_node(node_config(sim), scenario)


def test_order_list_goes_as_one_action_and_a_batch_cancel_cancels_them_all(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        statuses = record_topic(node, TOPIC_RATE_LIMIT)
        await wait_for(lambda: rec.quotes, what="quotes")
        instrument = rec.cache.instrument(ETH_ID)
        orders = [
            rec.order_factory.limit(
                instrument_id=ETH_ID, order_side=side, quantity=instrument.make_qty(0.01),
                price=instrument.make_price(px), post_only=True,
            )
            for side, px in ((OrderSide.BUY, 2990.0), (OrderSide.BUY, 2980.0), (OrderSide.SELL, 3010.0))
        ]
        before = client.actions_sent
        rec.submit_order_list(rec.order_factory.create_list(orders))
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in orders), what="list accepted")
        assert client.actions_sent - before == 1
        assert len(sim.open_orders(ACCOUNT)) == 3

        rec.cancel_orders(orders)
        await wait_for(lambda: all(o.status == OrderStatus.CANCELED for o in orders), what="batch canceled")
        assert client.actions_sent - before == 2
        assert sim.open_orders(ACCOUNT) == []
        # The address budget is counted per order and published for the governor.
        last = statuses[-1]
        assert last.address_requests_used >= 6 and last.address_requests_cap == 10_000

    run_node(node_config(sim), scenario)


def test_dead_mans_switch_refused_by_the_volume_gate_is_reported_and_quoting_goes_on(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: client.schedule_cancel_refused, what="scheduleCancel refusal")
        assert client.schedule_cancel_refused.startswith("Cannot set scheduled cancel time until enough volume")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="still quoting")

    run_node(node_config(sim, schedule_cancel=True, schedule_cancel_interval_secs=1.0,
                         schedule_cancel_horizon_secs=10.0), scenario)


def test_dead_mans_switch_is_armed_ahead_and_refreshed_when_the_exchange_allows_it(agent_key_env) -> None:
    with prepared_sim(schedule_cancel_volume_gate=False) as sim:

        def armed_at() -> int | None:
            return sim.call(lambda: sim.engine.account(ACCOUNT).schedule_cancel_ms)

        async def scenario(node, rec) -> None:
            client = exec_client(node)
            first = await wait_for(armed_at, what="switch armed")
            assert first >= time.time() * 1000 + 8_000  # horizon 10 s ahead
            await wait_for(lambda: (armed_at() or 0) > first, timeout=3.0, what="switch refreshed")
            assert client.schedule_cancel_refused is None

        run_node(node_config(sim, schedule_cancel=True, schedule_cancel_interval_secs=1.0,
                             schedule_cancel_horizon_secs=10.0), scenario)


def test_a_modify_whose_replacement_would_cross_leaves_the_order_canceled_like_the_exchange(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        rec.modify_order(order, price=rec.cache.instrument(ETH_ID).make_price(3001.0))  # at the ask
        await wait_for(lambda: order.status == OrderStatus.CANCELED, what="canceled")
        assert sim.open_orders(ACCOUNT) == []
        assert rec.events_of("OrderUpdated") == []
        (modify_rejected,) = rec.events_of("OrderModifyRejected") or [None]
        assert modify_rejected is None or "Post only" in modify_rejected.reason

    run_node(node_config(sim), scenario)


def test_modifying_a_partly_filled_order_rests_only_the_unfilled_rest(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.03")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        sim.fill_order(ACCOUNT, int(order.venue_order_id.value), sz="0.01")
        await wait_for(lambda: order.status == OrderStatus.PARTIALLY_FILLED, what="partial fill")
        old_oid = order.venue_order_id
        rec.modify_order(order, price=rec.cache.instrument(ETH_ID).make_price(2992.0))
        await wait_for(lambda: order.venue_order_id != old_oid, what="replaced")
        (replacement,) = sim.open_orders(ACCOUNT)
        assert Decimal(replacement["sz"]) == Decimal("0.02")
        assert order.quantity.as_decimal() == Decimal("0.0300") and order.leaves_qty.as_decimal() == Decimal("0.0200")
        sim.fill_order(ACCOUNT, replacement["oid"])
        await wait_for(lambda: order.status == OrderStatus.FILLED, what="filled through the replacement")
        assert sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.03")

    run_node(node_config(sim), scenario)
