"""A position that stays off the exchange's after a reconnect stops the coin's quoting.

Over hlsim with a real TradingNode, its RiskGuard and a MarketMaker. The node is put off the exchange
by a fill booked that the exchange never made (as a fill counted twice would); the user socket then
drops, and the reconnect's catch-up compares positions.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from nautilus_trader.model.currencies import USDC
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Quantity

from adapters.hyperliquid.types import TOPIC_POSITION_MISMATCH
from adapters.hyperliquid.types import TOPIC_VENUE_RESUME
from mm_strategy import messages as msg
from mm_strategy.risk_guard import RiskGuard
from mm_strategy.risk_guard import RiskGuardConfig
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import cached_eth_position
from tests.node_kit import eth_quoter
from tests.node_kit import exec_client
from tests.node_kit import ladder_quoted
from tests.node_kit import node_config
from tests.node_kit import record_topic
from tests.node_kit import run_node
from tests.node_kit import wait_for


def test_a_position_still_off_the_exchanges_after_a_reconnect_stops_the_coins_quoting(sim) -> None:
    guard = RiskGuard(RiskGuardConfig(
        instrument_ids=(str(ETH_ID),), micro_move_bps=1_000.0, ofi_threshold=1.01, tfi_threshold=1.01,
    ))
    mm = eth_quoter()

    async def scenario(node, rec) -> None:
        client = exec_client(node)
        client.reconnect.position_recheck_secs = 0.5
        mismatches = record_topic(node, TOPIC_POSITION_MISMATCH)
        controls = record_topic(node, msg.control_topic(str(ETH_ID)))
        await ladder_quoted(sim, mm)
        order = rec.cache.orders_open(strategy_id=mm.id)[0]
        client.generate_order_filled(
            mm.id, ETH_ID, order.client_order_id, order.venue_order_id, None, TradeId("999999"), order.side,
            order.order_type, Quantity.from_str("0.0010"), order.price, USDC, Money(0, USDC), LiquiditySide.MAKER,
            node.kernel.clock.timestamp_ns(),
        )
        await wait_for(lambda: cached_eth_position(rec.cache) != 0, what="the fill the exchange never made")
        off_by = cached_eth_position(rec.cache)

        assert sim.faults.drop_user_ws(ACCOUNT, refuse_for_s=0.3) >= 1
        await wait_for(lambda: mismatches, timeout=15.0, what="the mismatch published")
        (mismatch,) = mismatches
        assert mismatch.coin == "ETH"
        assert Decimal(mismatch.cached) - Decimal(mismatch.exchange) == off_by
        assert [type(c).__name__ for c in controls if getattr(c, "source", None) == "position"] == ["Halt"]
        await wait_for(lambda: not sim.open_orders(ACCOUNT), timeout=5.0, what="the quotes withdrawn")
        await asyncio.sleep(1.5)  # the book moves on, the market maker does not quote again
        assert not sim.open_orders(ACCOUNT)
        assert guard.firings["position_mismatch"] == 1

    run_node(node_config(sim), scenario, actors=[guard], strategies=[mm], timeout=40)


def test_a_reconnect_with_the_position_in_step_publishes_no_mismatch(sim) -> None:
    mm = eth_quoter()

    async def scenario(node, rec) -> None:
        client = exec_client(node)
        client.reconnect.position_recheck_secs = 0.5
        mismatches = record_topic(node, TOPIC_POSITION_MISMATCH)
        resumes = record_topic(node, TOPIC_VENUE_RESUME)  # the catch-up ran, and started the check
        await ladder_quoted(sim, mm)
        order = rec.cache.orders_open(strategy_id=mm.id)[0]
        assert sim.fill_order(ACCOUNT, int(order.venue_order_id.value), sz="0.01")  # a real fill
        await wait_for(lambda: cached_eth_position(rec.cache) != 0, what="the fill")
        assert sim.faults.drop_user_ws(ACCOUNT, refuse_for_s=0.3) >= 1
        await wait_for(lambda: resumes, timeout=10.0, what="reconnected")
        await asyncio.sleep(2.0)  # past the check and its re-check
        assert mismatches == [] and client.position_mismatches == 0
        await wait_for(lambda: len(sim.open_orders(ACCOUNT)) >= 5, what="still quoting")

    run_node(node_config(sim), scenario, strategies=[mm], timeout=40)
