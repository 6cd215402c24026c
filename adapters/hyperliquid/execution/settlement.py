"""Settling an order from the exchange's record when an action's outcome is unknown.

A submit or modify whose reply never came (timeout, socket lost after sending), or a cancel
answered "already canceled or filled", leaves the node unsure of the order. Its record
(`orderStatus`, by oid or cloid) decides: its fills first, then how it ended. No order is left
hanging: one the exchange still does not know after a few checks was not placed.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal

from nautilus_trader.model.orders import Order

from adapters.hyperliquid.common.constants import CANCELED_STATUSES
from adapters.hyperliquid.common.constants import POST_ONLY_REJECTED_STATUS
from adapters.hyperliquid.common.constants import REJECTED_STATUSES
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.fills import FillIntake
from adapters.hyperliquid.execution.order_events import NS_PER_MS
from adapters.hyperliquid.execution.order_events import OrderEvents
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.execution.tracking import TrackedOrder

# After a submit's outcome was left unknown, `orderStatus` is asked this often (seconds between)
# before an order the exchange still does not know is declared not placed.
UNKNOWN_ORDER_RECHECKS_SECS = (0.0, 0.5, 1.0, 2.0)


class Settlement:
    def __init__(
        self,
        queries: AccountQueries,
        tracker: OrderTracker,
        events: OrderEvents,
        fills: FillIntake,
        log: LogLike,
    ) -> None:
        self._queries = queries
        self._tracker = tracker
        self._events = events
        self._fills = fills
        self._log = log
        self.settled_by_order_status = 0

    async def settle_from_exchange(self, tracked: TrackedOrder) -> str | None:
        """Bring an order in line with the exchange's record (`orderStatus`): its fills first, then its end.

        Returns the exchange's status ("open", "filled", "canceled", ...), or None when the exchange
        does not know the order. Raises when the query fails.
        """
        key: int | str | None = tracked.oid if tracked.oid is not None else tracked.cloid
        if key is None:
            return None
        info = await self._queries.order_status(key)
        if info is None:
            return None
        self.settled_by_order_status += 1
        o, status = info.order, info.status
        ts = info.statusTimestamp * NS_PER_MS
        if status in REJECTED_STATUSES:
            self._events.reject_once(tracked, status, due_post_only=status == POST_ONLY_REJECTED_STATUS)
            return status
        if tracked.oid is None:
            self._tracker.bind_oid(tracked, o.oid)
        self._events.accept_once(tracked, ts)
        if status in ("open", "triggered"):
            return status
        # Closed on the exchange: its fills (deduped by tid) before the cancel.
        self._fills.apply([f for f in await self._queries.fills_since(o.timestamp) if f.oid == o.oid])
        if status in CANCELED_STATUSES and not tracked.fully_filled:
            self._events.canceled_on_exchange(tracked, o.oid, ts)
        elif status == "filled" and not tracked.fully_filled:
            self._log.error(f"{tracked.client_order_id} filled on the exchange but only {tracked.filled} seen")
        return status

    async def settle_unknown_submit(self, tracked: TrackedOrder, cause: str) -> None:
        """An order whose submit got no reply: accepted / filled / canceled from `orderStatus`, or
        rejected once the exchange still does not know its cloid after a few checks."""
        for delay in UNKNOWN_ORDER_RECHECKS_SECS:
            await asyncio.sleep(delay)
            if tracked.accepted or tracked.closed:
                return  # the user stream settled it meanwhile
            try:
                status = await self.settle_from_exchange(tracked)
            except Exception as exc:
                self._log.warning(f"orderStatus for {tracked.client_order_id} failed: {type(exc).__name__}: {exc}")
                continue
            if status is not None:
                return
        if not tracked.accepted and not tracked.closed:
            self._events.reject_once(
                tracked, f"order not placed: submit outcome unknown ({cause}) and the exchange does not know cloid "
                f"{tracked.cloid}",
            )

    async def settle_unknown_modify(
        self, order: Order, tracked: TrackedOrder, old_oid: int | None, quantity: Decimal, cause: str
    ) -> None:
        """A modify that got no reply: the order's cloid shows whether a replacement now stands."""
        info = None
        if tracked.cloid is not None:
            try:
                info = await self._queries.order_status(tracked.cloid)
            except Exception as exc:
                cause += f"; orderStatus failed: {type(exc).__name__}: {exc}"
        if info is not None and old_oid is not None and info.order.oid != old_oid:
            # The replacement exists: the modify took effect.
            self._events.modified(order, tracked, info.order.oid, quantity, info.order.limitPx)
            if info.status != "open":
                await self.settle_from_exchange(tracked)
            return
        self._events.end_modify(tracked)
        if info is not None and info.status != "open":
            await self.settle_from_exchange(tracked)
        if not tracked.closed:
            self._events.modify_rejected(
                order, f"modify outcome unknown ({cause}); no replacement order found on the exchange"
            )

    async def settle_after_cancel(self, order: Order, tracked: TrackedOrder, reason: str) -> None:
        """A cancel without a plain success: settle the order from `orderStatus` (fills, then its
        cancel); only an order the exchange still has open gets `OrderCancelRejected`."""
        try:
            status = await self.settle_from_exchange(tracked)
        except Exception as exc:
            status = f"unavailable ({type(exc).__name__}: {exc})"
        if not tracked.closed:
            self._events.cancel_rejected(order, tracked, f"{reason}; exchange order status: {status}")
