"""A bare TradingNode builds and runs our clients from the factory paths of a JSON config.

Nautilus 1.231 turns `{"factory": {"path": ...}}` into a factory *instance* and reads its
`__name__` while building exec clients; these tests fail if our factories lose that attribute.
"""

from __future__ import annotations

import asyncio
import json

from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus

from adapters.hyperliquid.data import HyperliquidDataClient
from adapters.hyperliquid.execution import HyperliquidExecutionClient
from screener.node_config import NodeConfigOptions
from screener.node_config import build_node_config
from screener_link.payload import AssetParams
from screener_link.payload import make_snapshot
from tests.node_kit import ACCOUNT
from tests.node_kit import data_client
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import run_node
from tests.node_kit import wait_for


def _screener_config(rest_url: str) -> TradingNodeConfig:
    asset = AssetParams(
        asset="ETH", base_spread_bps=10.0, max_inventory_usd=1000.0, level_spacing_ticks=2,
        order_size_usd=50.0, score=1.0,
    )
    snapshot = make_snapshot(1_700_000_000_000, [asset])
    options = NodeConfigOptions(base_url=rest_url, account_address=ACCOUNT)
    return TradingNodeConfig.parse(json.dumps(build_node_config(snapshot, options)))


def test_a_bare_node_builds_our_clients_from_the_screeners_generated_config(sim) -> None:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    node = TradingNode(config=_screener_config(sim.rest_url), loop=loop)
    try:
        node.build()  # no add_*_client_factory: the config's factory paths are used
        assert isinstance(exec_client(node), HyperliquidExecutionClient)
        assert isinstance(data_client(node), HyperliquidDataClient)
    finally:
        node.dispose()
        asyncio.set_event_loop(None)


def test_a_bare_node_from_a_json_config_places_an_order_through_our_exec_client(sim) -> None:
    async def scenario(node, recorder) -> None:
        assert isinstance(exec_client(node), HyperliquidExecutionClient)
        await wait_for(lambda: recorder.quotes, what="quotes")
        order = recorder.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="order accepted")
        assert [o["oid"] for o in sim.open_orders(ACCOUNT)] == [int(order.venue_order_id.value)]

    run_node(node_config(sim), scenario, register_factories=False)
