"""The market-data stall panic, adapter side: every order of the account on the stalled coin is
canceled, the node's and those placed outside it (a real TradingNode over hlsim)."""

from __future__ import annotations

import asyncio

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.orders import Order

from adapters.hyperliquid.types import TOPIC_MARKET_DATA_STALL
from tests.node_kit import ACCOUNT
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import place_outside_order
from tests.node_kit import record_topic
from tests.node_kit import run_node
from tests.node_kit import wait_for

FAST_STALL = {"stall_timeout_secs": 1.0, "stall_check_interval_secs": 0.1}


async def _stall_with_two_orders_resting(sim, node, rec) -> Order:
    """Our order and one placed outside the node rest on ETH, then market data stalls; returns ours."""
    stalls = record_topic(node, TOPIC_MARKET_DATA_STALL)
    await wait_for(lambda: rec.quotes, what="quotes")
    ours = rec.limit(OrderSide.BUY, "2990.0", "0.01")
    await wait_for(lambda: ours.status == OrderStatus.ACCEPTED, what="accepted")
    await asyncio.to_thread(place_outside_order, sim, False, 0.01, 3010.0)
    assert len(sim.open_orders(ACCOUNT)) == 2
    sim.faults.stall_market_data(True)
    await wait_for(lambda: stalls, timeout=3.0, what="the stall")
    return ours


def test_a_market_data_stall_cancels_every_order_of_the_account_on_the_coin(sim) -> None:
    async def scenario(node, rec) -> None:
        ours = await _stall_with_two_orders_resting(sim, node, rec)
        await wait_for(lambda: not sim.open_orders(ACCOUNT), timeout=2.0, what="every ETH order canceled")
        await wait_for(lambda: ours.status == OrderStatus.CANCELED, what="our order canceled in the cache")

    run_node(node_config(sim, data_overrides=FAST_STALL), scenario)


def test_with_the_stall_panic_off_a_stall_leaves_the_orders_to_the_strategy(sim) -> None:
    async def scenario(node, rec) -> None:
        ours = await _stall_with_two_orders_resting(sim, node, rec)
        await asyncio.sleep(0.5)
        assert len(sim.open_orders(ACCOUNT)) == 2 and ours.status == OrderStatus.ACCEPTED

    run_node(node_config(sim, data_overrides=FAST_STALL, cancel_all_on_stall=False), scenario)


def test_a_stall_of_every_coin_at_once_sends_one_cancel_all_not_one_per_stall_event(sim) -> None:
    # The node watches ETH only: a silence publishes ETH's stall and the all-coins one, stamped alike.
    async def scenario(node, rec) -> None:
        await _stall_with_two_orders_resting(sim, node, rec)
        await wait_for(lambda: not sim.open_orders(ACCOUNT), timeout=2.0, what="every ETH order canceled")
        await asyncio.sleep(0.3)
        panic = exec_client(node).stall_panic
        assert (panic.panics, panic.cancel_alls) == (2, 1)

    run_node(node_config(sim, data_overrides=FAST_STALL), scenario)
