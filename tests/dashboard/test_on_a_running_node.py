"""The dashboard on an in-process node quoting on hlsim: it adds no handler on the strategy's
book-event path, and its snapshot holds the node's orders, their queues and the fills."""

from __future__ import annotations

import asyncio

from nautilus_trader.live.node import TradingNode

from adapters.hyperliquid.factories import HyperliquidLiveDataClientFactory
from adapters.hyperliquid.factories import HyperliquidLiveExecClientFactory
from dashboard.address import ListenAddress
from dashboard.server import serve
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.messages import InventoryCap
from mm_strategy.messages import control_topic
from mm_strategy.risk_guard import RiskGuard
from mm_strategy.risk_guard import RiskGuardConfig
from tests.node_kit import ACCOUNT
from tests.node_kit import AGENT_KEY
from tests.node_kit import ETH_ID
from tests.node_kit import node_config
from tests.node_kit import prepared_sim
from tests.node_kit import wait_for

BOOK_TOPIC = f"data.book.deltas.{ETH_ID.venue}.{ETH_ID.symbol.topic()}"


def test_no_book_handler_is_added_and_the_snapshot_follows_orders_and_fills(monkeypatch) -> None:
    monkeypatch.setenv("HYPERLIQUID_AGENT_KEY", AGENT_KEY)
    with prepared_sim() as sim:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        node = TradingNode(config=node_config(sim), loop=loop)
        guard = RiskGuard(RiskGuardConfig(instrument_ids=(str(ETH_ID),)))
        node.trader.add_actor(guard)
        strategy = MarketMaker(MarketMakerConfig(
            instrument_id=str(ETH_ID), order_id_tag="001", base_spread_bps=1.0, enforce_fee_edge=False,
            order_size_usd=15.0,
        ))
        node.trader.add_strategy(strategy)
        node.add_data_client_factory("HYPERLIQUID", HyperliquidLiveDataClientFactory)
        node.add_exec_client_factory("HYPERLIQUID", HyperliquidLiveExecClientFactory)
        node.build()
        result: dict = {}

        async def scenario() -> None:
            dashboard = await serve(node, ListenAddress("127.0.0.1", 0), "live", interval_s=0.2)
            run_task = loop.create_task(node.run_async())
            try:
                await wait_for(lambda: len(sim.open_orders(ACCOUNT)) >= 2, timeout=30, what="quotes on hlsim")
                await asyncio.sleep(0.5)
                result["book_handlers"] = [s.handler for s in node.kernel.msgbus.subscriptions(BOOK_TOPIC)]
                snapshot = await wait_for(
                    lambda: (s := dashboard.collector.sample())["instruments"][0]["orders"] and s, what="orders sampled"
                )
                result["orders"] = {o["voi"] for o in snapshot["instruments"][0]["orders"]}
                result["on_exchange"] = {str(o["oid"]) for o in sim.open_orders(ACCOUNT)}
                result["ahead"] = [o["ahead"] for o in snapshot["instruments"][0]["orders"]]
                bid = next(o for o in sim.open_orders(ACCOUNT) if o["side"] == "B")
                sim.fill_order(ACCOUNT, bid["oid"])
                snapshot = await wait_for(
                    lambda: (s := dashboard.collector.sample())["instruments"][0]["fills"] and s, what="the fill sampled"
                )
                result["fill"] = snapshot["instruments"][0]["fills"][0]
                result["position"] = snapshot["instruments"][0]["inventory"]["position"]
                result["bid"] = bid
                # A shared budget holding the coin to reduce-only shows, with why (review 3: "blocked: false").
                result["budget_before"] = snapshot["instruments"][0]["shared_budget"]
                node.kernel.msgbus.publish(control_topic(str(ETH_ID)), InventoryCap(
                    "shared_budget", 0.0, True, "the account's shared cap is taken by other nodes", str(ETH_ID)))
                result["budget_after"] = dashboard.collector.sample()["instruments"][0]["shared_budget"]
            finally:
                await dashboard.stop()
                await node.stop_async()
                await asyncio.sleep(0.1)
                for task in [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]:
                    task.cancel()
                await asyncio.gather(run_task, return_exceptions=True)

        try:
            loop.run_until_complete(asyncio.wait_for(scenario(), 60))
        finally:
            node.dispose()
            asyncio.set_event_loop(None)

    # The book event reaches the data engine, the RiskGuard and the strategy: nothing of the dashboard.
    owners = [getattr(h, "__self__", None) for h in result["book_handlers"]]
    assert {id(o) for o in owners} == {id(strategy), id(guard), id(node.kernel.data_engine)}, owners
    assert result["orders"] == result["on_exchange"]
    assert all(a is None or a >= 0.0 for a in result["ahead"]) and any(a is not None for a in result["ahead"])
    fill, bid = result["fill"], result["bid"]
    assert (fill["side"], fill["px"], fill["qty"]) == ("BUY", float(bid["limitPx"]), float(bid["sz"]))
    assert result["position"] == float(bid["sz"])
    assert result["budget_before"] is None  # no shared budget in this node
    assert result["budget_after"] == {
        "max_abs_usd": 0.0, "reduce_only": True, "reason": "the account's shared cap is taken by other nodes",
    }
