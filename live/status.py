"""What a running node shows: a rich status table on a terminal, a status line in the log
otherwise, and the JSON state file (fills, open orders, guards) that operators and tests read."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import time
from pathlib import Path
from typing import Any

from nautilus_trader.live.node import TradingNode
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue
from rich.console import Console
from rich.live import Live
from rich.table import Table

from adapters.hyperliquid.types import TOPIC_ORDER_REJECTIONS
from adapters.hyperliquid.types import OrderRejections
from live.cache_watch import CacheWatch
from live.gc_schedule import CollectionSchedule
from live.logs import log
from live.node_config import VENUE
from mm_strategy import messages as mm_msg
from mm_strategy.controls_in_force import ALL
from mm_strategy.controls_in_force import ControlsInForce
from mm_strategy.risk.marks import instrument_unrealized
from mm_strategy.risk_guard import RiskGuard


def orders_outstanding(node: TradingNode) -> int:
    """Orders the node's cache holds as open or in flight at the venue."""
    venue = Venue(VENUE)
    cache = node.cache
    return len(cache.orders_open(venue=venue)) + len(cache.orders_inflight(venue=venue))


class StatusBoard:
    """Quotes, inventory, PnL and guard states of a running node, as a rich table or a log line."""

    def __init__(
        self, node: TradingNode, collections: CollectionSchedule | None = None, cache_watch: CacheWatch | None = None,
    ) -> None:
        self.node = node
        self.collections = collections  # the garbage collector's timer, when the run has one
        self.cache_watch = cache_watch  # the Redis cache's health, when the run has one
        self.guards: dict[str, str] = {}
        self.guard_counts: dict[str, int] = {}
        # What stops the quoting now, as the strategies hear it (scope: "all" or an instrument's symbol).
        self.controls = ControlsInForce()
        self.screener_stale = False
        # The adapter's rejection alarms: (instrument, kind) -> the last `OrderRejections` and how many came.
        self.rejection_alarms: dict[str, dict[str, Any]] = {}
        # The shared budget's last cap per instrument (several nodes on one account), as the BudgetGuard sent it.
        self.shared_caps: dict[str, dict[str, Any]] = {}
        # The state file's fills, kept as they come: the snapshot runs on the event loop every
        # status interval, and a scan of every cached order there grows with the run (~0.3 s per
        # 100,000 orders, bench/order_path.py), holding up the quotes each time. The cache was
        # loaded (from Redis) when the node was built: its fills are read once here, every later
        # one comes through the fill topic.
        self._fills: dict[tuple[str, str], dict[str, Any]] = {}
        self._first_order_ns: int | None = None
        for order in node.cache.orders(venue=Venue(VENUE)):
            for event in order.events:
                if isinstance(event, OrderFilled):
                    self._on_fill(event)
        node.kernel.msgbus.subscribe("events.fills.*", self._on_fill)
        node.kernel.msgbus.subscribe(TOPIC_ORDER_REJECTIONS, self._on_rejections)
        node.kernel.msgbus.subscribe(mm_msg.TOPIC_GUARD, self._on_guard)
        node.kernel.msgbus.subscribe(mm_msg.TOPIC_CONTROL_ALL, functools.partial(self._on_control, ALL))
        for _, iid in self._quoters():
            node.kernel.msgbus.subscribe(mm_msg.control_topic(str(iid)), functools.partial(self._on_control, iid.symbol.value))

    def _on_fill(self, fill: OrderFilled) -> None:
        if fill.instrument_id.venue.value != VENUE:
            return
        key = (fill.client_order_id.value, fill.trade_id.value)
        if key in self._fills:
            return  # read from the cache at start and published again (a reconciliation's replay)
        self._fills[key] = {
            "trade_id": fill.trade_id.value,
            "venue_order_id": fill.venue_order_id.value if fill.venue_order_id else None,
            "client_order_id": fill.client_order_id.value,
            "instrument": fill.instrument_id.value,
            "side": fill.order_side.name,
            "px": str(fill.last_px),
            "qty": str(fill.last_qty),
            "liquidity": fill.liquidity_side.name,
            "ts_event": fill.ts_event,
        }

    def first_order_ns(self) -> int | None:
        """When the node's first order was made. Looked up until there is one, then kept: every
        later order is made later (those loaded from Redis are in the cache from the start)."""
        if self._first_order_ns is None:
            self._first_order_ns = min((o.ts_init for o in self.node.cache.orders(venue=Venue(VENUE))), default=None)
        return self._first_order_ns

    def _on_guard(self, event: mm_msg.GuardEvent) -> None:
        key = f"{event.source}.{event.guard}"
        self.guards[key] = event.reason
        self.guard_counts[key] = self.guard_counts.get(key, 0) + 1

    def _on_rejections(self, event: OrderRejections) -> None:
        key = f"{event.instrument_id}.{event.kind}"
        alarms = self.rejection_alarms.get(key, {}).get("alarms", 0) + 1
        self.rejection_alarms[key] = {
            "instrument": event.instrument_id, "kind": event.kind, "count": event.count,
            "window_secs": event.window_secs, "last_reason": event.last_reason, "alarms": alarms,
        }

    @property
    def day_pnl(self) -> float | None:
        """The account's PnL since the UTC day began, as the RiskGuard's loss cap counts it (equity
        against the day's start, kept across restarts); None without a RiskGuard or before its first
        reading. The instruments' `pnl` is only what this run's cache holds."""
        guard = next((a for a in self.node.trader.actors() if isinstance(a, RiskGuard)), None)
        day = guard.day_summary() if guard is not None else None
        return day.pnl if day is not None else None

    def _quoters(self) -> list[tuple[Any, InstrumentId]]:
        """Each strategy that quotes one instrument, with it."""
        pairs = ((strategy, getattr(strategy, "instrument_id", None)) for strategy in self.node.trader.strategies())
        return [(strategy, iid) for strategy, iid in pairs if isinstance(iid, InstrumentId)]

    @property
    def halted(self) -> str | None:
        """Every halt in force, "source: reason", the instrument's symbol after one of a single instrument."""
        return self.controls.halted()

    @property
    def paused(self) -> str | None:
        """Every pause in force (the governor's stand-downs and action-rate stops), as `halted`."""
        return self.controls.paused()

    def _on_control(self, scope: str, message: object) -> None:
        self.controls.on_control(scope, message)
        if isinstance(message, mm_msg.InventoryCap):
            self.shared_caps[message.instrument_id] = {
                "max_abs_usd": message.max_abs_usd, "reduce_only": message.reduce_only, "reason": message.reason,
            }
        elif isinstance(message, mm_msg.SpreadAdjust) and message.source == "screener":
            self.screener_stale = message.reason == "screener feed stale"

    def snapshot(self) -> dict[str, Any]:
        """Everything an operator (or a test) checks: fills, open orders, positions, guards."""
        cache = self.node.cache
        venue = Venue(VENUE)
        open_orders = [
            {
                "client_order_id": o.client_order_id.value,
                "venue_order_id": o.venue_order_id.value if o.venue_order_id else None,
                "instrument": o.instrument_id.value,
                "side": o.side.name,
                "px": str(o.price),
                "qty": str(o.leaves_qty),
                "status": o.status.name,
            }
            for o in cache.orders_open(venue=venue)
        ]
        return {
            # `running` is as of `ts_ns`: a node killed outright leaves its last write behind, so a
            # reader tells a live node by a fresh `ts_ns` or by `pid` still running.
            "ts_ns": time.time_ns(),
            "pid": os.getpid(),
            "first_order_ns": self.first_order_ns(),
            "running": self.node.trader.is_running,
            "fills": list(self._fills.values()),
            "open_orders": open_orders,
            "orders_outstanding": orders_outstanding(self.node),
            # Every order the cache holds, closed ones too (the whole index: no copy, no scan); the
            # engine's purge (live/node_config.py) keeps it bounded.
            "orders_in_cache": len(cache.client_order_ids()),
            "instruments": self.rows(),
            "day_pnl": self.day_pnl,
            "guards": dict(self.guards),
            "guard_counts": dict(self.guard_counts),
            "halted": self.halted,
            "paused": self.paused,
            "screener_stale": self.screener_stale,
            "rejection_alarms": dict(self.rejection_alarms),
            "shared_budget": dict(self.shared_caps),
            "garbage_collection": self.collections.figures() if self.collections is not None else None,
            "cache_database": self.cache_watch.figures() if self.cache_watch is not None else None,
        }

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.snapshot(), default=str))
        os.replace(tmp, path)  # readers never see half a file

    def rows(self) -> list[dict[str, Any]]:
        cache = self.node.cache
        portfolio = self.node.portfolio
        out = []
        for strategy, iid in self._quoters():
            orders = cache.orders_open(instrument_id=iid)
            bids = sorted((float(o.price) for o in orders if o.side.name == "BUY"), reverse=True)
            asks = sorted(float(o.price) for o in orders if o.side.name == "SELL")
            realized = portfolio.realized_pnl(iid)
            book = cache.order_book(iid)
            mid = book.midpoint() if book is not None else None
            unrealized = instrument_unrealized(cache, portfolio, iid, float(mid) if mid is not None else None)
            out.append(
                {
                    "instrument": str(iid.symbol),
                    "bids": bids,
                    "asks": asks,
                    "position": float(portfolio.net_position(iid)),
                    "realized": float(realized) if realized is not None else 0.0,
                    "unrealized": unrealized if unrealized is not None else 0.0,
                    "state": str(strategy.state.name),
                    "breaker": getattr(strategy, "breaker_state", None),
                }
            )
        return out

    def table(self) -> Table:
        table = Table(title="market maker", expand=False)
        for column in ("instrument", "bids", "asks", "position", "realized", "unrealized", "state"):
            table.add_column(column)
        rows = self.rows()
        for row in rows:
            table.add_row(
                row["instrument"],
                " ".join(f"{p:g}" for p in row["bids"]) or "-",
                " ".join(f"{p:g}" for p in row["asks"]) or "-",
                f"{row['position']:g}",
                f"{row['realized']:+.4f}",
                f"{row['unrealized']:+.4f}",
                row["state"],
            )
        guards = "; ".join(f"{k}: {v}" for k, v in sorted(self.guards.items())[-4:]) or "none"
        breakers = "; ".join(f"{r['instrument']} {r['breaker']}" for r in rows if r["breaker"]) or None
        table.caption = (f"halt: {self.halted or 'no'}{_shown(' | pause: ', self.paused)}"
                         f"{_shown(' | rejection breaker: ', breakers)}"
                         f"{_shown(' | budget: ', self.budget_held)}{_shown(' | Redis cache: ', self.cache_down)}"
                         f" | last guards: {guards}")
        return table

    def line(self) -> str:
        parts = [
            f"{r['instrument']} bids={len(r['bids'])} asks={len(r['asks'])} pos={r['position']:g} "
            f"pnl={r['realized'] + r['unrealized']:+.4f}{_shown(' breaker=', r['breaker'])}"
            for r in self.rows()
        ]
        day = self.day_pnl
        return ("status: " + " | ".join(parts) + _shown(" | day=", None if day is None else f"{day:+.4f}")
                + f" | halt={self.halted or 'no'}{_shown(' | pause=', self.paused)}{_shown(' | budget=', self.budget_held)}"
                + _shown(" | cache=", self.cache_down))

    @property
    def cache_down(self) -> str | None:
        """"DOWN (why)" while the Redis cache does not answer; None otherwise or without one."""
        watch = self.cache_watch
        return None if watch is None or watch.reachable else f"DOWN ({watch.last_error})"

    @property
    def budget_held(self) -> str | None:
        """The instruments the shared budget holds to reduce-only (no claim granted, or Redis away),
        with why; None when it holds none."""
        held = [f"{iid.split('.', 1)[0]} reduce-only: {cap['reason']}"
                for iid, cap in sorted(self.shared_caps.items()) if cap["reduce_only"]]
        return "; ".join(held) or None


def _shown(label: str, value: str | None) -> str:
    """`label` and `value` for a status line, nothing when there is no value (each read once)."""
    return "" if value is None else f"{label}{value}"


async def show_status(board: StatusBoard, interval: float, use_table: bool, state_file: Path | None) -> None:
    """Every `interval` s: rewrite the state file and refresh the table (or log a line every 10 s)."""
    next_line = time.monotonic() + 10.0
    with contextlib.ExitStack() as stack:
        live = None
        if use_table:
            live = stack.enter_context(Live(board.table(), console=Console(stderr=True), refresh_per_second=4))
        while True:
            await asyncio.sleep(interval)
            if state_file is not None:
                board.write(state_file)
            if live is not None:
                live.update(board.table())
            elif time.monotonic() >= next_line:
                next_line = time.monotonic() + 10.0
                log.info(board.line())
