"""A fill that reaches the node only after its order was modified (a lost or late push, found by the
fill audit). Hyperliquid's modify gives the order a new oid, and its replacement is sized as asked,
so the fill is of an oid the order no longer has, and may take the order past its quantity.

Over hlsim with a real TradingNode, Nautilus's open-order check running as live.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.objects import Price

from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import cached_eth_position
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import record_topic
from tests.node_kit import resting_limit
from tests.node_kit import run_node
from tests.node_kit import wait_for


def _fills(order) -> list[OrderFilled]:  # type: ignore[no-untyped-def]
    return [e for e in order.events if isinstance(e, OrderFilled)]


async def _fill_unheard_then_modify(sim, rec):  # type: ignore[no-untyped-def]
    """An order of 0.04 filled 0.01 on the exchange, the push lost, then modified by the node (which
    does not know of the fill): returns the order and its oid before the modify."""
    order = await resting_limit(rec, OrderSide.BUY, "2990.0", "0.04")
    first_oid = int(order.venue_order_id.value)
    sim.faults.lose_user_messages(ACCOUNT, "userFills")
    assert sim.fill_order(ACCOUNT, first_oid, sz="0.01")
    rec.modify_order(order, price=Price.from_str("2991.00"))
    await wait_for(lambda: order.price == Price.from_str("2991.00"), what="modified")
    assert int(order.venue_order_id.value) != first_oid and order.filled_qty.as_decimal() == 0
    return order, first_oid


def test_a_fill_of_the_oid_a_modify_replaced_is_applied_to_the_order_under_its_new_oid(sim) -> None:
    async def scenario(node, rec) -> None:
        order, _ = await _fill_unheard_then_modify(sim, rec)
        new_oid = order.venue_order_id
        await wait_for(lambda: order.filled_qty.as_decimal() == Decimal("0.01"), timeout=10.0, what="the audit's fill")
        await asyncio.sleep(2.5)  # open checks and audits go on
        assert [str(f.trade_id) for f in _fills(order)] == [str(f["tid"]) for f in sim.fills(ACCOUNT)]
        assert _fills(order)[0].last_px == Price.from_str("2990.00")
        assert order.venue_order_id == new_oid
        assert [str(o["oid"]) for o in sim.open_orders(ACCOUNT)] == [new_oid.value]
        assert cached_eth_position(rec.cache) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.01")

    run_node(node_config(sim, open_check=True, fill_audit_interval_secs=1.0), scenario, timeout=40)


def test_a_late_fill_that_takes_the_order_past_its_quantity_is_booked_so_the_position_stays_the_exchanges(sim) -> None:
    async def scenario(node, rec) -> None:
        fills = record_topic(node, "events.fills.*")  # what the position, the journal and the state file take
        order, _ = await _fill_unheard_then_modify(sim, rec)
        # The replacement rests for the whole 0.04: the exchange fills it before the audit finds the
        # first 0.01, so the order's fills add up to 0.05.
        (replacement,) = sim.open_orders(ACCOUNT)
        assert Decimal(replacement["sz"]) == Decimal("0.04")
        assert sim.fill_order(ACCOUNT, replacement["oid"])
        await wait_for(lambda: order.status == OrderStatus.FILLED, what="the replacement's fill")
        await wait_for(lambda: len(fills) == 2, timeout=10.0, what="the audit's fill")
        await asyncio.sleep(1.5)  # open checks go on
        # Nautilus keeps the order at its quantity (a FILLED order takes no more fills) but books the
        # fill to the position.
        assert sorted(str(f.trade_id) for f in fills) == sorted(str(f["tid"]) for f in sim.fills(ACCOUNT))
        assert [f.last_px for f in fills] == [Price.from_str("2991.00"), Price.from_str("2990.00")]
        assert cached_eth_position(rec.cache) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.05")

    run_node(node_config(sim, open_check=True, fill_audit_interval_secs=3.0), scenario, timeout=40)


def test_an_orders_report_carries_the_average_price_of_the_fills_applied_across_its_oids(sim) -> None:
    # Nautilus's open-order check prices a fill it infers from this (without it, at 0).
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        order = await resting_limit(rec, OrderSide.BUY, "2990.0", "0.04")
        assert sim.fill_order(ACCOUNT, int(order.venue_order_id.value), sz="0.01")
        await wait_for(lambda: order.filled_qty.as_decimal() == Decimal("0.01"), what="first fill")
        rec.modify_order(order, price=Price.from_str("2991.00"))
        await wait_for(lambda: order.price == Price.from_str("2991.00"), what="modified")
        assert sim.fill_order(ACCOUNT, int(order.venue_order_id.value), sz="0.01")
        await wait_for(lambda: order.filled_qty.as_decimal() == Decimal("0.02"), what="second fill")
        report = await client.generate_order_status_report(
            GenerateOrderStatusReport(ETH_ID, order.client_order_id, None, UUID4(), 0)
        )
        assert report.filled_qty.as_decimal() == Decimal("0.02")
        assert report.avg_px == Decimal("2990.5")

    run_node(node_config(sim), scenario)
