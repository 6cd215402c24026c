"""The graceful stop: SIGINT/SIGTERM handling, cancelling every order and waiting for the
acknowledgements, then a final check of what the exchange still lists."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass

from nautilus_trader.live.node import TradingNode

from adapters.hyperliquid.config import HyperliquidExecClientConfig
from live.logs import log
from live.status import orders_outstanding
from live.sweep import exchange_open_orders
from live.sweep import own_coins
from live.sweep import sweep_open_orders


def install_stop_signals(loop: asyncio.AbstractEventLoop, stop: asyncio.Event | None = None) -> asyncio.Event:
    """An event set by SIGINT/SIGTERM (`stop`, when given: handlers installed again after the
    TradingNode put its own in place)."""
    stop = stop or asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)  # replaces the node's own handler: we wind down first
    return stop


def stop_components(node: TradingNode) -> None:
    """Stop the strategies (each cancels its orders) and actors; when the trader's start failed part way,
    the components that did start are stopped one by one (Nautilus stops only a running trader)."""
    trader = node.trader
    if trader.is_running:
        trader.stop()
        return
    for component in [*trader.strategies(), *trader.actors()]:
        if component.is_running:
            component.stop()


async def wind_down(node: TradingNode, timeout_secs: float) -> int:
    """Stop the strategies (each cancels its orders), wait for the acknowledgements; returns orders left."""
    stop_components(node)
    deadline = time.monotonic() + timeout_secs
    while orders_outstanding(node) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return orders_outstanding(node)


@dataclass(frozen=True)
class Leftovers:
    """What the shutdown could not clear: orders the exchange still lists, and accounts whose open
    orders could not be listed at all (how many rest there is then unknown)."""

    orders: int = 0
    unverified_accounts: int = 0

    def __bool__(self) -> bool:
        return bool(self.orders or self.unverified_accounts)

    def describe(self) -> str:
        parts = []
        if self.orders:
            parts.append(f"{self.orders} orders remain open on the exchange after the wind-down")
        if self.unverified_accounts:
            parts.append(f"the open orders of {self.unverified_accounts} account(s) could not be listed, so how many "
                         "remain is unknown (the next start's sweep cancels them)")
        return "; ".join(parts)


def open_positions(node: TradingNode) -> str | None:
    """What the node's cache holds per coin, net, "SYMBOL +qty (~$notional)": a stop cancels orders,
    it does not close positions, and the operator must hear what stays on the account. A coin may
    have several open positions in the cache (one a restart's reconciliation inferred, one the
    strategy's own): the account holds their sum."""
    net: dict = {}
    entry_px: dict = {}
    for position in node.cache.positions_open():
        iid = position.instrument_id
        net[iid] = net.get(iid, 0.0) + float(position.signed_qty)
        entry_px.setdefault(iid, float(position.avg_px_open))
    parts = []
    for iid, qty in net.items():
        qty = round(qty, 12)  # a long and a short of the same size leave float dust, not a position
        if qty == 0.0:
            continue
        book = node.cache.order_book(iid)
        mid = book.midpoint() if book is not None else None
        px = float(mid) if mid is not None else entry_px[iid]
        parts.append(f"{iid.symbol} {qty:+g} (~${abs(qty) * px:,.0f})")
    return ", ".join(parts) or None


async def final_exchange_check(
    exec_configs: list[HyperliquidExecClientConfig], timeout_secs: float, own_coins_only: bool = False
) -> Leftovers:
    """After the node stopped: cancel what still rests on the exchange (only on the node's coins when
    `own_coins_only`: other nodes trade the rest of the account), then count what is left."""
    # The exchange is the truth: sweep what still rests there, then count what is left.
    left = unverified = 0
    for cfg in exec_configs:
        try:
            left += await asyncio.wait_for(_sweep_and_count(cfg, own_coins(cfg) if own_coins_only else None), timeout_secs)
        except Exception as exc:
            log.error(f"shutdown: cannot list the open orders of {cfg.account_address} ({type(exc).__name__}: {exc})")
            unverified += 1
    leftovers = Leftovers(left, unverified)
    if leftovers:
        log.error(f"shutdown: {leftovers.describe()}")
    return leftovers


async def _sweep_and_count(config: HyperliquidExecClientConfig, coins: frozenset[str] | None) -> int:
    late = await sweep_open_orders(config, coins)
    if late:
        log.error(f"shutdown: {len(late)} orders were still resting on the exchange; cancelled")
    return len(await exchange_open_orders(config, coins))
