"""Actions over a WS socket that stops answering posts go over REST, without placing anything twice
(a real TradingNode over hlsim, `use_ws_post` on as in the shipped config)."""

from __future__ import annotations

import asyncio

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus

from tests.node_kit import ACCOUNT
from tests.node_kit import TcpProxy
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import place_outside_order
from tests.node_kit import run_node
from tests.node_kit import wait_for


def test_a_cancel_whose_ws_post_gets_no_reply_is_resent_over_rest_and_the_order_is_canceled(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        sim.faults.hang_ws_posts(True)  # the socket stays open; posts are never answered (nor applied)
        rec.cancel_order(order)
        await wait_for(lambda: order.status == OrderStatus.CANCELED, timeout=5.0, what="canceled over REST")
        assert sim.open_orders(ACCOUNT) == []
        assert client.actions.resent_over_rest == 1
        assert not rec.events_of("OrderCancelRejected")

    run_node(node_config(sim, post_timeout_secs=0.3), scenario)


def test_after_a_ws_post_times_out_a_submit_is_settled_not_resent_and_the_next_goes_over_rest(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        sim.faults.hang_ws_posts(True, applied=True)  # the order is placed; only the reply is lost
        first = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        # Settled by the exchange's record of it (the stream or orderStatus), never sent again.
        await wait_for(lambda: first.status == OrderStatus.ACCEPTED, timeout=5.0, what="first accepted")
        await wait_for(lambda: not client.actions.ws_usable, what="the post's timeout")
        over_ws, over_rest = client.actions.sent_over_ws, client.actions.sent_over_rest
        second = rec.limit(OrderSide.BUY, "2980.0", "0.01")
        await wait_for(lambda: second.status == OrderStatus.ACCEPTED, timeout=2.0, what="second accepted")
        assert (client.actions.sent_over_ws, client.actions.sent_over_rest) == (over_ws, over_rest + 1)
        on_exchange = sorted(str(o["oid"]) for o in sim.open_orders(ACCOUNT))
        assert on_exchange == sorted([first.venue_order_id.value, second.venue_order_id.value])  # none twice
        assert client.actions.resent_over_rest == 0

    run_node(node_config(sim, post_timeout_secs=0.3), scenario)


def test_with_every_rest_endpoint_down_cancel_all_lists_and_cancels_over_the_socket(sim) -> None:
    proxy = TcpProxy(sim.ports[0])  # the exec client's REST goes through it; its WS does not
    try:
        config = node_config(sim, base_url=proxy.url, ws_url=sim.ws_url)

        async def scenario(node, rec) -> None:
            client = exec_client(node)
            await wait_for(lambda: rec.quotes, what="quotes")
            order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
            await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
            await asyncio.to_thread(place_outside_order, sim, True, 0.01, 2980.0)
            assert len(sim.open_orders(ACCOUNT)) == 2
            proxy.refuse()
            assert await client.cancel_all_on_exchange("ETH") == 2
            assert sim.open_orders(ACCOUNT) == []
            await wait_for(lambda: order.status == OrderStatus.CANCELED, what="our order canceled")

        run_node(config, scenario)
    finally:
        proxy.close()
