"""Running a real TradingNode with our factories against a real hlsim, for the adapter tests.

The node runs on its own event loop in the test thread; hlsim runs in its thread. Every run
stops the node, disposes it (closing its loop) and leaves no thread behind.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import StrategyConfig
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import LimitOrder
from nautilus_trader.trading.strategy import Strategy

from adapters.hyperliquid.factories import HyperliquidLiveDataClientFactory
from adapters.hyperliquid.factories import HyperliquidLiveExecClientFactory
from adapters.hyperliquid.signing import L1Signer
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread

# Throwaway test keys (never funded anywhere but in hlsim).
ACCOUNT_KEY = "0x" + "11" * 32
AGENT_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
ACCOUNT = L1Signer(ACCOUNT_KEY).address.lower()
AGENT = L1Signer(AGENT_KEY).address.lower()
ETH_ID = InstrumentId.from_str("ETH-USD-PERP.HYPERLIQUID")
ETH_BOOK = {"bids": [(3000.0, 5), (2999.0, 5)], "asks": [(3001.0, 5), (3002.0, 5)]}


@contextmanager
def prepared_sim(**config: Any) -> Iterator[HlSimThread]:
    """hlsim with BTC and ETH listed, our account funded, its agent registered and an ETH book."""
    with run_hlsim_in_thread(HlSimConfig(coins={"BTC": 5, "ETH": 4}, **config)) as sim:
        sim.fund(ACCOUNT, 100_000)
        sim.register_agent(ACCOUNT, AGENT)
        sim.set_book("ETH", **ETH_BOOK)
        yield sim


class RecorderConfig(StrategyConfig, frozen=True):
    instrument_id: str = "ETH-USD-PERP.HYPERLIQUID"
    subscribe: bool = True
    subscribe_asset_ctx: bool = False  # mark prices and funding rates as well


class Recorder(Strategy):
    """Subscribes to the market data and records every event it receives."""

    def __init__(self, config: RecorderConfig) -> None:
        super().__init__(config)
        self.instrument_id = InstrumentId.from_str(config.instrument_id)
        self.events: list[Any] = []
        self.quotes: list[Any] = []
        self.deltas: list[Any] = []
        self.trades: list[Any] = []
        self.marks: list[Any] = []
        self.funding: list[Any] = []

    def on_start(self) -> None:
        if self.config.subscribe:
            self.subscribe_quote_ticks(self.instrument_id)
            self.subscribe_order_book_deltas(self.instrument_id)
            self.subscribe_trade_ticks(self.instrument_id)
        if self.config.subscribe_asset_ctx:
            self.subscribe_mark_prices(self.instrument_id)
            self.subscribe_funding_rates(self.instrument_id)

    def on_quote_tick(self, tick: Any) -> None:
        self.quotes.append(tick)

    def on_order_book_deltas(self, deltas: Any) -> None:
        self.deltas.append(deltas)

    def on_trade_tick(self, tick: Any) -> None:
        self.trades.append(tick)

    def on_mark_price(self, mark_price: Any) -> None:
        self.marks.append(mark_price)

    def on_funding_rate(self, funding_rate: Any) -> None:
        self.funding.append(funding_rate)

    def on_event(self, event: Any) -> None:
        self.events.append(event)

    def events_of(self, name: str) -> list[Any]:
        return [e for e in self.events if type(e).__name__ == name]

    def limit(self, side: OrderSide, px: str, qty: str, *, post_only: bool = True,
              tif: TimeInForce = TimeInForce.GTC) -> LimitOrder:
        instrument = self.cache.instrument(self.instrument_id)
        order = self.order_factory.limit(
            instrument_id=self.instrument_id,
            order_side=side,
            quantity=instrument.make_qty(Decimal(qty)),
            price=instrument.make_price(Decimal(px)),
            time_in_force=tif,
            post_only=post_only,
        )
        self.submit_order(order)
        return order


def place_outside_order(sim: Any, is_buy: bool, sz: float, px: float) -> int:
    """An ALO ETH order put on our account by another client (the official SDK, same agent key), as
    the web UI or a script would; returns its oid. Blocking: use `asyncio.to_thread` in a scenario."""
    import eth_account
    from hyperliquid.exchange import Exchange

    sdk = Exchange(eth_account.Account.from_key(AGENT_KEY), base_url=sim.rest_url, account_address=ACCOUNT)
    reply = sdk.order("ETH", is_buy, sz, px, {"limit": {"tif": "Alo"}})
    return reply["response"]["data"]["statuses"][0]["resting"]["oid"]


def client_configs(sim: Any, data_overrides: dict[str, Any] | None = None, **exec_overrides: Any) -> dict[str, Any]:
    """The node's data/exec client entries, as a JSON node config holds them."""
    common = {"base_url": sim.rest_url, "coins": ["ETH"]}
    exec_config = {
        **common,
        "account_address": ACCOUNT,
        "reconnect_backoff_initial_secs": 0.5,
        **exec_overrides,
    }
    return {
        "data_clients": {
            "HYPERLIQUID": {
                "path": "adapters.hyperliquid.config:HyperliquidDataClientConfig",
                "factory": {"path": "adapters.hyperliquid.factories:HyperliquidLiveDataClientFactory"},
                "config": {**common, "stall_timeout_secs": 30.0, **(data_overrides or {})},
            }
        },
        "exec_clients": {
            "HYPERLIQUID": {
                "path": "adapters.hyperliquid.config:HyperliquidExecClientConfig",
                "factory": {"path": "adapters.hyperliquid.factories:HyperliquidLiveExecClientFactory"},
                "config": exec_config,
            }
        },
    }


def node_config(
    sim: Any,
    *,
    log_level: str = "WARNING",
    reconciliation: bool = True,
    data_overrides: dict[str, Any] | None = None,
    open_check: bool = False,
    **exec_overrides: Any,
) -> TradingNodeConfig:
    """`open_check`: Nautilus's open-order check on, as run_live has it, every second (from 1 s in)."""
    engine: dict[str, Any] = {"reconciliation": reconciliation, "reconciliation_lookback_mins": 60}
    if open_check:
        engine |= {"open_check_interval_secs": 1.0, "open_check_threshold_ms": 500, "reconciliation_startup_delay_secs": 1.0}
    raw = {
        "trader_id": "TESTER-001",
        "logging": {"log_level": log_level, "bypass_logging": False},
        "exec_engine": engine,
        "timeout_connection": 10.0,
        "timeout_reconciliation": 10.0,
        "timeout_portfolio": 5.0,
        "timeout_disconnection": 5.0,
        "timeout_post_stop": 0.5,
        **client_configs(sim, data_overrides, **exec_overrides),
    }
    return TradingNodeConfig.parse(json.dumps(raw))


async def wait_for(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def run_node(
    config: TradingNodeConfig,
    scenario: Callable[[TradingNode, Recorder], Awaitable[None]],
    *,
    strategy_config: RecorderConfig | None = None,
    timeout: float = 30.0,
    actors: Sequence[Actor] = (),
    register_factories: bool = True,
) -> None:
    """Build a node with our factories (plus `actors`), run `scenario(node, recorder)` once it is running, then
    stop and dispose it (closing its loop), whatever happened. `register_factories=False` leaves the
    factories to the config's own `factory.path` entries (what a bare TradingNode does)."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    node = TradingNode(config=config, loop=loop)
    recorder = Recorder(strategy_config or RecorderConfig())
    node.trader.add_strategy(recorder)
    for actor in actors:
        node.trader.add_actor(actor)
    if register_factories:
        node.add_data_client_factory("HYPERLIQUID", HyperliquidLiveDataClientFactory)
        node.add_exec_client_factory("HYPERLIQUID", HyperliquidLiveExecClientFactory)
    node.build()

    async def main() -> None:
        run_task = loop.create_task(node.run_async())
        try:
            await wait_for(lambda: node.is_running or run_task.done(), timeout=20.0, what="node running")
            if run_task.done():
                run_task.result()
            await wait_for(lambda: recorder.is_running, timeout=5.0, what="strategy running")
            await asyncio.wait_for(scenario(node, recorder), timeout)
        finally:
            await node.stop_async()
            await asyncio.sleep(0.1)
            if not run_task.done():
                run_task.cancel()
            try:
                await run_task
            except (asyncio.CancelledError, Exception):
                pass
            # Leave no task behind for dispose() to find on a closed loop.
            pending = [t for t in asyncio.all_tasks(loop) if t is not asyncio.current_task()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    try:
        loop.run_until_complete(main())
    finally:
        node.dispose()
        asyncio.set_event_loop(None)


def exec_client(node: TradingNode) -> Any:
    from nautilus_trader.model.identifiers import ClientId

    return node.kernel.exec_engine._clients[ClientId("HYPERLIQUID")]


def data_client(node: TradingNode) -> Any:
    from nautilus_trader.model.identifiers import ClientId

    return node.kernel.data_engine._clients[ClientId("HYPERLIQUID")]


def record_topic(node: TradingNode, topic: str) -> list[Any]:
    seen: list[Any] = []
    node.kernel.msgbus.subscribe(topic, seen.append)
    return seen
