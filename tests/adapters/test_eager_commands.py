"""Order commands go out while the engine hands them over, not on a later turn of the loop.

The latency of a quote refresh includes the hop from the execution engine to the client's
task; the client starts submit/modify/cancel tasks eagerly, so the signed action is already on
the socket when `submit_order` returns.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import CancelOrder
from nautilus_trader.execution.messages import SubmitOrder
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import TimeInForce

from tests.node_kit import ACCOUNT
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import run_node
from tests.node_kit import wait_for


def test_a_submit_is_signed_and_sent_before_the_client_returns_the_command(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        instrument = rec.cache.instrument(rec.instrument_id)
        order = rec.order_factory.limit(
            instrument_id=rec.instrument_id,
            order_side=OrderSide.BUY,
            quantity=instrument.make_qty(Decimal("0.01")),
            price=instrument.make_price(Decimal("2990.0")),
            time_in_force=TimeInForce.GTC,
            post_only=True,
        )
        rec.cache.add_order(order)
        command = SubmitOrder(
            trader_id=rec.trader_id, strategy_id=rec.id, order=order, command_id=UUID4(),
            ts_init=rec.clock.timestamp_ns(),
        )
        sent_before = client.actions_sent
        client.submit_order(command)
        assert client.actions_sent == sent_before + 1  # no await in between
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        assert [o["oid"] for o in sim.open_orders(ACCOUNT)] == [int(order.venue_order_id.value)]

    run_node(node_config(sim), scenario)


def test_a_cancel_is_signed_and_sent_before_the_client_returns_the_command(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        command = CancelOrder(
            trader_id=rec.trader_id, strategy_id=rec.id, instrument_id=order.instrument_id,
            client_order_id=order.client_order_id, venue_order_id=order.venue_order_id, command_id=UUID4(),
            ts_init=rec.clock.timestamp_ns(),
        )
        sent_before = client.actions_sent
        client.cancel_order(command)
        assert client.actions_sent == sent_before + 1  # no await in between
        await wait_for(lambda: order.status == OrderStatus.CANCELED, what="canceled")
        assert not sim.open_orders(ACCOUNT)

    run_node(node_config(sim), scenario)
