"""The start-up sweep: cancel orders an earlier run (a crash, a kill -9) left on the exchange.

Goes through the adapter's own signed-action path (its signer, nonce source, HTTP client with the
exec client's endpoints and backups, typed replies), before the node is built; orders a restored
(Redis) cache still holds as open are then reported cancelled through the execution client.
"""

from __future__ import annotations

import asyncio
import time

from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import Venue

from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import resolve_endpoints
from adapters.hyperliquid.execution.actions import ExchangeActions
from adapters.hyperliquid.execution.actions import cancel_listed_orders
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.factories import agent_signer
from adapters.hyperliquid.factories import http_client_for
from adapters.hyperliquid.parsing.instruments import meta_universe
from adapters.hyperliquid.schemas.user import BasicOrder
from live.errors import StartupError
from live.logs import log
from live.node_config import VENUE


class SweepRefused(StartupError):
    """The exchange refused the cancel action as a whole (e.g. the agent key is not registered)."""


async def exchange_open_orders(config: HyperliquidExecClientConfig, coins: frozenset[str] | None = None) -> list[BasicOrder]:
    """The account's open orders as the exchange lists them (REST, with the backups); only those on
    `coins` when given."""
    http = http_client_for(config)
    try:
        return _on(await AccountQueries(http, _address(config)).open_orders(), coins)
    finally:
        await http.close()


def _on(orders: list[BasicOrder], coins: frozenset[str] | None) -> list[BasicOrder]:
    return orders if coins is None else [o for o in orders if o.coin in coins]


def own_coins(config: HyperliquidExecClientConfig) -> frozenset[str]:
    """The coins a node trades: its sweeps' scope when other nodes trade the same account."""
    if not config.coins:
        raise ValueError("a node sharing its account with others must list its coins in the exec client config")
    return frozenset(config.coins)


async def sweep_open_orders(config: HyperliquidExecClientConfig, coins: frozenset[str] | None = None) -> list[str]:
    """Cancel every order the exchange lists for the account (left by an earlier run), or only those
    on `coins` (other nodes trade the account's other coins); returns their oids.

    The agent key is read only when there is something to cancel.
    """
    http = http_client_for(config)
    try:
        open_orders = _on(await AccountQueries(http, _address(config)).open_orders(), coins)
        if not open_orders:
            return []
        assets = {asset["name"]: i for i, asset in enumerate(meta_universe(await http.info({"type": "meta"})))}
        entries = [(o, assets[o.coin]) for o in open_orders if o.coin in assets]
        if not entries:
            return []
        actions = ExchangeActions(http, agent_signer(config), is_mainnet=resolve_endpoints(config).is_mainnet)
        results = await cancel_listed_orders(actions, entries)
        refused = [outcome.text for _, outcome in results if outcome.action_refused]
        if refused:
            raise SweepRefused(f"the exchange refused the cancel of the open orders: {refused[0]}")
        return [str(order.oid) for order, outcome in results if outcome.ok]
    finally:
        await http.close()


def _address(config: HyperliquidExecClientConfig) -> str:
    if config.account_address is None:
        raise ValueError("the exec client config has no account_address")
    return config.account_address.lower()


async def sweep_leftover_orders(exec_configs: list[HyperliquidExecClientConfig], own_coins_only: bool = False) -> set[str]:
    """The start-up sweep over every exec client's account (only the client's coins when
    `own_coins_only`); returns the oids it cancelled."""
    swept: set[str] = set()
    for cfg in exec_configs:
        oids = await sweep_open_orders(cfg, own_coins(cfg) if own_coins_only else None)
        if oids:
            log.warning(f"start-up: cancelled {len(oids)} orders left on the exchange by an earlier run")
        swept.update(oids)
    return swept


async def settle_swept_orders(node: TradingNode, swept: set[str], timeout_secs: float) -> int:
    """Orders the start-up sweep cancelled that a restored (Redis) cache still holds as open: they are
    cancelled at the venue, so the execution client reports them cancelled. Returns how many."""
    deadline = time.monotonic() + timeout_secs
    while not node.trader.is_running and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    settled = 0
    ts = node.kernel.clock.timestamp_ns()
    for order in node.cache.orders_open(venue=Venue(VENUE)):
        if order.venue_order_id is None or order.venue_order_id.value not in swept:
            continue
        for client in node.kernel.exec_engine.get_clients_for_orders([order]):
            client.generate_order_canceled(
                order.strategy_id, order.instrument_id, order.client_order_id, order.venue_order_id, ts
            )
            settled += 1
    if settled:
        log.warning(f"start-up: {settled} orders restored from the cache were cancelled by the start-up sweep")
    return settled
