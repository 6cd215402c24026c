"""What ends a run with a fault: a component that failed to start or stopped on its own, clients that
never connected, a trader that never reached RUNNING, the exchange refusing every action of the
account (the adapter's `TradingRefused`), or every market maker having stopped quoting for good
(`QuotingStopped`, e.g. its rejection circuit breaker tripped).

Nautilus itself keeps a node running through all of these (it logs them and waits), so a supervisor
would never learn of them; the runner stops the node gracefully instead and exits with `ExitCode.FAULT`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from nautilus_trader.common.enums import ComponentState
from nautilus_trader.config import TradingNodeConfig
from nautilus_trader.live.node import TradingNode

from adapters.hyperliquid.types import TOPIC_TRADING_REFUSED
from adapters.hyperliquid.types import TradingRefused
from mm_strategy.market_maker import MarketMaker
from mm_strategy.messages import TOPIC_QUOTING_STOPPED
from mm_strategy.messages import QuotingStopped

# Added to Nautilus's own start-up timeouts before the runner gives up on a node that has not started:
# Nautilus decides at its deadline, the runner looks a moment later.
START_GRACE_SECS = 2.0
CHECK_INTERVAL_SECS = 0.2


class FaultLatch:
    """The first fault of the run (later ones are only logged by whoever found them)."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.is_config_error = False  # a setting to fix: the run exits 2, not 1 (a supervisor stops)
        self._tripped = asyncio.Event()

    def trip(self, reason: str, *, config_error: bool = False) -> None:
        if self.reason is None:
            self.reason = reason
            self.is_config_error = config_error
            self._tripped.set()

    async def wait(self) -> str:
        await self._tripped.wait()
        assert self.reason is not None
        return self.reason


@dataclass(frozen=True)
class StartDeadlines:
    """When (seconds after `node.run_async()` began) Nautilus has given up connecting / starting."""

    connect_secs: float
    start_secs: float

    @classmethod
    def of(cls, config: TradingNodeConfig) -> StartDeadlines:
        connect = config.timeout_connection + START_GRACE_SECS
        start = connect + config.timeout_reconciliation + config.timeout_portfolio
        return cls(connect_secs=connect, start_secs=start)


def unconnected_clients(node: TradingNode) -> list[str]:
    """The data and execution clients that are not connected."""
    engines = (node.kernel.data_engine, node.kernel.exec_engine)
    return sorted(
        f"{client.id} ({kind})"
        for engine, kind in zip(engines, ("data", "execution"), strict=True)
        for client in engine._clients.values()  # no public accessor in Nautilus 1.231
        if not client.is_connected
    )


def failed_component(node: TradingNode) -> str | None:
    """An actor or strategy that faulted, or that is not running while the trader runs."""
    trader = node.trader
    for component in [*trader.actors(), *trader.strategies()]:
        state = component.state
        if state in (ComponentState.FAULTED, ComponentState.FAULTING):
            return f"{component.id} faulted"
        if trader.is_running and state != ComponentState.RUNNING:
            return f"{component.id} is {state.name} while the node runs"
    return None


def stuck_component(node: TradingNode) -> str | None:
    """The component whose start raised (Nautilus leaves it STARTING and stops starting the rest)."""
    for component in [*node.trader.actors(), *node.trader.strategies()]:
        if component.state == ComponentState.STARTING:
            return str(component.id)
    return None


def run_task_fault(node: TradingNode, run_task: asyncio.Task) -> str:
    """Why `node.run_async()` ended by itself (it runs until the node is stopped)."""
    exc = None if run_task.cancelled() else run_task.exception()
    cause = f"{type(exc).__name__}: {exc}" if exc is not None else "it returned"
    stuck = stuck_component(node)
    if stuck is not None:
        return f"{stuck} failed to start ({cause})"
    return f"the node stopped by itself ({cause})"


def start_fault(node: TradingNode, elapsed_secs: float, deadlines: StartDeadlines) -> str | None:
    """Clients not connected, or a trader not running, past the time Nautilus allows for either."""
    if node.trader.is_running:
        return None
    if elapsed_secs >= deadlines.connect_secs:
        missing = unconnected_clients(node)
        if missing:
            return f"could not connect within {deadlines.connect_secs - START_GRACE_SECS:g} s: {', '.join(missing)}"
    if elapsed_secs >= deadlines.start_secs:
        return f"the node did not start trading within {deadlines.start_secs - START_GRACE_SECS:g} s"
    return None


async def watch_node(node: TradingNode, run_task: asyncio.Task, deadlines: StartDeadlines, latch: FaultLatch) -> None:
    """Trip `latch` with the first fault found (checked every `CHECK_INTERVAL_SECS`)."""
    started = time.monotonic()
    while latch.reason is None:
        if run_task.done():
            latch.trip(run_task_fault(node, run_task))
            return
        fault = failed_component(node) or start_fault(node, time.monotonic() - started, deadlines)
        if fault is not None:
            latch.trip(fault)
            return
        await asyncio.sleep(CHECK_INTERVAL_SECS)


def trip_on_trading_refused(node: TradingNode, latch: FaultLatch) -> None:
    """The adapter's `TradingRefused` (e.g. the agent key was de-registered) ends the run."""

    def on_refused(event: TradingRefused) -> None:
        latch.trip(f"the exchange refuses this account's actions ({event.kind}): {event.reason}",
                   config_error=event.signed_for_another_network)

    node.kernel.msgbus.subscribe(TOPIC_TRADING_REFUSED, on_refused)


def no_instrument_left(quoted: set[str], stopped: dict[str, str]) -> str | None:
    """The fault when every quoted instrument has stopped quoting (`stopped`: instrument → why), else None."""
    if not quoted or not quoted <= stopped.keys():
        return None
    return "no instrument can trade any more: " + "; ".join(f"{i}: {stopped[i]}" for i in sorted(quoted))


def trip_when_no_instrument_trades(node: TradingNode, latch: FaultLatch) -> None:
    """A market maker that stopped quoting for good leaves the node to the others; when none is left,
    the node cannot trade and the run ends with a fault (a supervisor restarts it, or gives up)."""
    quoted = {str(s.instrument_id) for s in node.trader.strategies() if isinstance(s, MarketMaker)}
    stopped: dict[str, str] = {}

    def on_stopped(event: QuotingStopped) -> None:
        stopped[event.instrument_id] = event.reason
        fault = no_instrument_left(quoted, stopped)
        if fault is not None:
            latch.trip(fault)

    node.kernel.msgbus.subscribe(TOPIC_QUOTING_STOPPED, on_stopped)
