"""Repeated rejections become venue events on the message bus (a real TradingNode over hlsim):
an account that cannot margin its orders, and an agent key the exchange no longer knows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus

from adapters.hyperliquid.types import TOPIC_ORDER_REJECTIONS
from adapters.hyperliquid.types import TOPIC_TRADING_REFUSED
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread
from tests.node_kit import ACCOUNT
from tests.node_kit import AGENT
from tests.node_kit import ETH_BOOK
from tests.node_kit import node_config
from tests.node_kit import record_topic
from tests.node_kit import run_node
from tests.node_kit import wait_for


@pytest.fixture
def poor_sim(agent_key_env: str) -> Iterator[HlSimThread]:
    """Our account with 5 USDC: an order of 1 ETH (≈ $150 of margin at 20×) cannot be margined."""
    with run_hlsim_in_thread(HlSimConfig(coins={"BTC": 5, "ETH": 4})) as sim:
        sim.fund(ACCOUNT, 5)
        sim.register_agent(ACCOUNT, AGENT)
        sim.set_book("ETH", **ETH_BOOK)
        yield sim


def test_orders_the_account_cannot_margin_publish_an_event_every_n_rejections(poor_sim) -> None:
    async def scenario(node, rec) -> None:
        alarms = record_topic(node, TOPIC_ORDER_REJECTIONS)
        await wait_for(lambda: rec.quotes, what="quotes")
        orders = []
        for i in range(7):
            orders.append(rec.limit(OrderSide.BUY, f"{2990 - i}.0", "1"))
            await wait_for(lambda: orders[-1].status == OrderStatus.REJECTED, what=f"rejection {i + 1}")
        assert "Insufficient margin" in rec.events_of("OrderRejected")[0].reason
        assert [(a.instrument_id, a.kind, a.count) for a in alarms] == [
            ("ETH-USD-PERP.HYPERLIQUID", "insufficient_margin", 3),
            ("ETH-USD-PERP.HYPERLIQUID", "insufficient_margin", 3),
        ]
        assert alarms[0].window_secs == 60.0 and "Insufficient margin" in alarms[0].last_reason

    run_node(node_config(poor_sim, rejection_alarm_count=3), scenario)


def test_an_agent_key_the_exchange_no_longer_knows_publishes_trading_refused_once(sim) -> None:
    async def scenario(node, rec) -> None:
        refused = record_topic(node, TOPIC_TRADING_REFUSED)
        await wait_for(lambda: rec.quotes, what="quotes")
        placed = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: placed.status == OrderStatus.ACCEPTED, what="accepted while the key is known")
        assert sim.deregister_agent(AGENT)
        for i in range(4):
            order = rec.limit(OrderSide.BUY, f"{2980 - i}.0", "0.01")
            await wait_for(lambda order=order: order.status == OrderStatus.REJECTED, what=f"refusal {i + 1}")
            assert len(refused) == (1 if i >= 2 else 0)
        (event,) = refused
        assert event.kind == "unknown_signer" and event.count == 3
        assert "does not exist" in event.reason
        assert "another network" not in event.reason  # the exchange named our own agent

    run_node(node_config(sim, refusal_stop_count=3), scenario)


def test_actions_signed_for_another_network_are_refused_saying_so(sim) -> None:
    # Review 3: the exchange recovers each signature to a random address and knows no such wallet.
    async def scenario(node, rec) -> None:
        refused = record_topic(node, TOPIC_TRADING_REFUSED)
        await wait_for(lambda: rec.quotes, what="quotes")
        for i in range(2):
            order = rec.limit(OrderSide.BUY, f"{2980 - i}.0", "0.01")
            await wait_for(lambda order=order: order.status == OrderStatus.REJECTED, what=f"refusal {i + 1}")
        (event,) = refused
        assert event.kind == "unknown_signer"
        assert f"not this node's agent {AGENT}".lower() in event.reason.lower()
        assert "the action was signed for another network" in event.reason

    run_node(node_config(sim, refusal_stop_count=2, is_mainnet=True), scenario)  # hlsim signs as testnet
