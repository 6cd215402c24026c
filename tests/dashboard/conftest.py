"""A built (not running) TradingNode with the market maker and its governor: enough for the
dashboard's collector and server to read, without any exchange."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from typing import TypeVar

import pytest
from nautilus_trader.config import LoggingConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode

from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig

ETH = "ETH-USD-PERP.HYPERLIQUID"
T = TypeVar("T")


@dataclass
class BuiltNode:
    node: TradingNode
    loop: asyncio.AbstractEventLoop

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)


@pytest.fixture
def built_node() -> Iterator[BuiltNode]:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    node = TradingNode(
        config=TradingNodeConfig(trader_id="TESTER-001", logging=LoggingConfig(log_level="ERROR")), loop=loop
    )
    node.trader.add_actor(RegimeGovernor(RegimeGovernorConfig(instrument_ids=(ETH,))))
    node.trader.add_strategy(MarketMaker(MarketMakerConfig(instrument_id=ETH, order_id_tag="001")))
    node.build()
    try:
        yield BuiltNode(node, loop)
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        node.dispose()
        asyncio.set_event_loop(None)
