"""Where every fill the client hears of goes in (the user stream, the fill audit, the reconnect
catch-up, an order's settlement): checked, deduped by `tid`, applied to the node's order or
handed to the adoption when the order is not the node's."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable

from nautilus_trader.model.orders import Order

from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.order_events import OrderEvents
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.parsing.reports import fill_problem
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import Fill


class FillIntake:
    def __init__(
        self,
        provider: HyperliquidInstrumentProvider,
        tracker: OrderTracker,
        events: OrderEvents,
        on_outside_fill: Callable[[Fill], None],
        on_applied: Callable[[], None],
        log: LogLike,
    ) -> None:
        self._provider = provider
        self._tracker = tracker
        self._events = events
        self._on_outside_fill = on_outside_fill
        self._on_applied = on_applied
        self._log = log

    def apply(self, fills: Iterable[Fill]) -> int:
        """Emit each fill of the node's orders once, in the exchange's order; returns how many were new."""
        emitted = 0
        for fill in sorted(fills, key=lambda f: (f.time, f.tid)):
            problem = fill_problem(fill, self._provider.instrument_for_coin(fill.coin))
            if problem is not None:
                # Not marked as seen: a valid copy (e.g. from the REST diff) can still be applied.
                self._log.error(f"fill {fill.tid} dropped: {problem}")
                continue
            if not self._tracker.first_sight_of_fill(fill.tid, fill.time):
                continue
            tracked = self._events.resolve(fill.oid, fill.cloid)
            if tracked is None:
                self._on_outside_fill(fill)
                continue
            if self._events.fill_once(tracked, fill):
                emitted += 1
        if emitted:
            self._on_applied()
        return emitted

    def seed_seen(self, orders: Iterable[Order]) -> None:
        """Fills already in the cache (e.g. a Redis-backed cache after a restart) are never re-emitted."""
        for order in orders:
            for trade_id in order.trade_ids:
                if trade_id.value.isdigit():
                    self._tracker.mark_fill_seen(int(trade_id.value))
