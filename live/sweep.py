"""The start-up sweep: cancel orders an earlier run (a crash, a kill -9) left on the exchange.

Goes over REST with the exec client's endpoints (backups included), signed with the agent key,
before the node is built; orders a restored (Redis) cache still holds as open are then reported
cancelled through the execution client.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.identifiers import Venue

from adapters.hyperliquid.common.credentials import load_agent_key
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import resolve_endpoints
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.parsing.instruments import meta_universe
from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import cancel_action
from live.logs import log
from live.node_config import VENUE


async def exchange_open_orders(config: HyperliquidExecClientConfig) -> list[dict[str, Any]]:
    """The account's open orders as the exchange lists them (REST, with the backups)."""
    assert config.account_address is not None
    http = HyperliquidHttpClient(resolve_endpoints(config).rest_urls, timeout_secs=config.http_timeout_secs)
    try:
        orders = json.loads(await http.info({"type": "openOrders", "user": config.account_address.lower()}))
    finally:
        await http.close()
    if not isinstance(orders, list):
        raise ValueError(f"unexpected openOrders reply: {str(orders)[:200]}")
    return orders


async def sweep_open_orders(config: HyperliquidExecClientConfig) -> list[str]:
    """Cancel every order the exchange lists for the account (left by an earlier run); returns their oids.

    Goes over REST with the exec client's endpoints (backups included), signed with the agent key.
    """
    assert config.account_address is not None
    endpoints = resolve_endpoints(config)
    http = HyperliquidHttpClient(endpoints.rest_urls, timeout_secs=config.http_timeout_secs)
    try:
        address = config.account_address.lower()
        open_orders = json.loads(await http.info({"type": "openOrders", "user": address}))
        if not open_orders:
            return []
        assets = {asset["name"]: i for i, asset in enumerate(meta_universe(await http.info({"type": "meta"})))}
        cancels = [(assets[o["coin"]], int(o["oid"])) for o in open_orders if o.get("coin") in assets]
        if not cancels:
            return []
        signer = L1Signer(load_agent_key(config.agent_key_env, config.key_file).reveal())
        action = cancel_action(cancels)
        nonce = time.time_ns() // 1_000_000
        body = {
            "action": action,
            "nonce": nonce,
            "signature": signer.sign_action(action, nonce, is_mainnet=endpoints.is_mainnet),
            "vaultAddress": None,
            "expiresAfter": None,
        }
        reply = json.loads(await http.exchange(body))
        if reply.get("status") != "ok":
            raise RuntimeError(f"start-up cancel refused: {reply}")
        statuses = reply["response"]["data"]["statuses"]
        return [str(oid) for (_, oid), status in zip(cancels, statuses, strict=True) if status == "success"]
    finally:
        await http.close()


async def sweep_leftover_orders(exec_configs: list[HyperliquidExecClientConfig]) -> set[str]:
    """The start-up sweep over every exec client's account; returns the oids it cancelled."""
    swept: set[str] = set()
    for cfg in exec_configs:
        oids = await sweep_open_orders(cfg)
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
