"""Catching up with the exchange's record of what the user stream did not deliver.

- Reconnect: when the user WS drops, `VenueHalt` is published; once it is back, the fills and
  cancels that happened in the dark are applied (fills first; cancels the exchange confirmed
  meanwhile wait for them), then `VenueResume` is published.
- Fill audit: while the stream is up, the exchange's fills are read every few seconds and any
  the stream lost is applied, as is the end of an order the exchange no longer lists.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from decimal import Decimal

from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.model.identifiers import ClientOrderId

from adapters.hyperliquid.common.backoff import Backoff
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.account import Account
from adapters.hyperliquid.execution.fills import FillIntake
from adapters.hyperliquid.execution.order_events import NS_PER_MS
from adapters.hyperliquid.execution.order_events import OrderEvents
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.execution.settlement import Settlement
from adapters.hyperliquid.execution.tasks import StartTask
from adapters.hyperliquid.execution.tracking import AuditWindow
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.execution.tracking import TrackedOrder
from adapters.hyperliquid.http.errors import REST_ERRORS
from adapters.hyperliquid.schemas.user import BasicOrder
from adapters.hyperliquid.schemas.user import ClearinghouseState
from adapters.hyperliquid.types import TOPIC_VENUE_HALT
from adapters.hyperliquid.types import TOPIC_VENUE_RESUME
from adapters.hyperliquid.types import VenueHalt
from adapters.hyperliquid.types import VenueResume

# Each audit reads again this far before where the last one ended: a fill a little late in the
# exchange's record is still found.
FILL_AUDIT_OVERLAP_MS = 60_000
# The position check after a catch-up waits this long for outside orders still being adopted.
_ADOPTION_WAIT_SECS = 10.0
# A gap the check finds is looked at again this much later, on a fresh state of the exchange: fills
# still on their way (an audit, a push) change it, a fill missing or counted twice does not.
POSITION_RECHECK_SECS = 3.0
# Events emitted reach the cache through the engine's queue: a comparison waits this long for them.
_EVENTS_LAND_SECS = 0.5


def unlisted_orders(tracker: OrderTracker, open_orders: list[BasicOrder]) -> list[TrackedOrder]:
    """Our accepted, not fully filled orders missing from an `openOrders` snapshot (ones still
    in flight are settled by their reply)."""
    open_oids = {o.oid for o in open_orders}
    open_cloids = {o.cloid.lower() for o in open_orders if o.cloid}
    return [
        t for t in tracker.open_orders()
        if t.accepted and not t.fully_filled
        and t.oid not in open_oids and (t.cloid is None or t.cloid not in open_cloids)
    ]


class ReconnectRecovery:
    """Halts on a lost user stream, catches up once it is back, then resumes."""

    def __init__(
        self,
        queries: AccountQueries,
        tracker: OrderTracker,
        events: OrderEvents,
        fills: FillIntake,
        settlement: Settlement,
        account: Account,
        outside_orders_pending: Callable[[], int],
        backoff: Backoff,
        msgbus: MessageBus,
        clock: LiveClock,
        start_task: StartTask,
        log: LogLike,
    ) -> None:
        self._queries = queries
        self._tracker = tracker
        self._events = events
        self._fills = fills
        self._settlement = settlement
        self._account = account
        self._outside_orders_pending = outside_orders_pending
        self._backoff = backoff
        self._msgbus = msgbus
        self._clock = clock
        self._start_task = start_task
        self._log = log
        self.halted = False
        # Cancels the exchange confirmed while the user stream was down: emitted only after the
        # dark fills (catch-up), so a partly filled order gets its fill before its cancel.
        self._cancels_in_dark: dict[ClientOrderId, TrackedOrder] = {}
        self._dark_since_ms: int | None = None
        self.dark_fills_recovered = 0
        self.dark_cancels_recovered = 0
        self.position_recheck_secs = POSITION_RECHECK_SECS
        self._mismatches_published: set[str] = set()

    def confirm_cancel(self, tracked: TrackedOrder, ts: int) -> None:
        """The exchange canceled the order. While the user stream is down, fills of this order may
        still be unknown: the cancel then waits for the catch-up, which applies fills first."""
        if self.halted and not tracked.closed:
            self._cancels_in_dark[tracked.client_order_id] = tracked
            return
        self._events.cancel_once(tracked, ts)

    async def on_stream_lost(self) -> None:
        if not self.halted:
            # Fills applied while halted (e.g. by `orderStatus` settlements) must not move the
            # start of the dark window that the catch-up asks `userFillsByTime` for.
            self._dark_since_ms = self._tracker.last_fill_ms
        self.halted = True
        self._log.warning("user WS lost: publishing VenueHalt")
        self._msgbus.publish(TOPIC_VENUE_HALT, VenueHalt("user stream lost", self._clock.timestamp_ns()))

    async def on_stream_back(self) -> None:
        self._backoff.reset()
        while True:
            try:
                await self.reconcile_with_exchange()
                break
            except Exception as exc:
                delay = self._backoff.next_delay()
                self._log.warning(f"reconciliation after reconnect failed ({type(exc).__name__}: {exc}); retry in {delay:.1f} s")
                await asyncio.sleep(delay)
        self.halted = False
        self._log.info("user WS back and state reconciled: publishing VenueResume")
        self._msgbus.publish(TOPIC_VENUE_RESUME, VenueResume("user stream restored", self._clock.timestamp_ns()))

    async def reconcile_with_exchange(self) -> tuple[int, int]:
        """Apply what happened while the user stream was down; returns (fills, cancels) emitted."""
        known_ms = [ms for ms in (self._dark_since_ms, self._tracker.last_fill_ms) if ms]
        since_ms = min(known_ms) if known_ms else 0
        # Open orders first: an order missing from them ended before the fills are asked for, so
        # all its fills are in that reply (fills, then cancels, in the order they happened).
        open_orders = await self._queries.open_orders()
        fills = await self._queries.fills_since(since_ms)
        state = await self._queries.clearinghouse_state()
        n_fills = self._fills.apply(fills)
        ts = self._clock.timestamp_ns()
        n_cancels = 0
        for tracked in unlisted_orders(self._tracker, open_orders):
            self._events.cancel_once(tracked, ts)
            n_cancels += 1
        # Cancels confirmed in the dark after the open-orders snapshot: each from its own record.
        for tracked in list(self._cancels_in_dark.values()):
            if not tracked.closed:
                await self._settlement.settle_from_exchange(tracked)
                if tracked.closed:
                    n_cancels += 1
        self._cancels_in_dark.clear()
        self._dark_since_ms = None
        await self._account.refresh(state)
        # The emitted events reach the cache through the engine's queue: compare a moment later.
        self._start_task(self._check_positions_later(state), "position check")
        self.dark_fills_recovered += n_fills
        self.dark_cancels_recovered += n_cancels
        self._log.info(f"reconciled after reconnect: {n_fills} fills and {n_cancels} cancels happened in the dark")
        return n_fills, n_cancels

    async def _check_positions_later(self, state: ClearinghouseState, delay_secs: float = _EVENTS_LAND_SECS) -> None:
        await asyncio.sleep(delay_secs)
        # Orders placed outside the node that filled in the dark are still being adopted: their
        # fills are part of the exchange's position, so the comparison waits for them (bounded).
        deadline = time.monotonic() + _ADOPTION_WAIT_SECS
        while self._outside_orders_pending() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        gaps = self._account.position_gaps(state)
        self._account.report_gaps(gaps)
        if gaps:
            await self._recheck_positions(gaps)

    async def _recheck_positions(self, gaps: dict[str, tuple[Decimal, Decimal]]) -> None:
        """A coin whose cache is off the exchange by the same amount on a fresh state a little later is
        published (`PositionMismatch`, once per coin): the RiskGuard stops its quoting."""
        await asyncio.sleep(self.position_recheck_secs)
        try:
            fresh = await self._queries.clearinghouse_state()
        except REST_ERRORS as exc:
            self._log.warning(f"position re-check skipped: clearinghouseState failed ({type(exc).__name__}: {exc})")
            return
        await asyncio.sleep(_EVENTS_LAND_SECS)  # what was emitted before the state reaches the cache
        for coin, (cached, exchange) in self._account.position_gaps(fresh).items():
            if coin not in gaps or coin in self._mismatches_published:
                continue
            if cached - exchange != gaps[coin][0] - gaps[coin][1]:
                continue  # it moved: trading since, not a lasting gap
            self._mismatches_published.add(coin)
            self._log.error(
                f"position on {coin} stays off the exchange's (cache {cached} vs exchange {exchange}): "
                "its quoting stops; a restart takes the exchange's position"
            )
            self._account.publish_position_mismatch(coin, cached, exchange)


class FillAudit:
    """Applies what the stream did not deliver (a push lost on the way, an order placed outside
    the node), every `interval_secs` while the stream is up."""

    def __init__(
        self,
        queries: AccountQueries,
        tracker: OrderTracker,
        fills: FillIntake,
        settlement: Settlement,
        window: AuditWindow,
        paused: Callable[[], bool],
        start_task: StartTask,
        log: LogLike,
    ) -> None:
        self._queries = queries
        self._tracker = tracker
        self._fills = fills
        self._settlement = settlement
        self._window = window
        self._paused = paused
        self._start_task = start_task
        self._log = log
        self._soon: asyncio.Task | None = None
        self.fills_recovered = 0
        self.orders_settled = 0

    async def run_every(self, interval_secs: float) -> None:
        while True:
            await asyncio.sleep(interval_secs)
            if self._paused():
                continue  # the reconnect's own catch-up (or start-up reconciliation) covers this time
            try:
                await self.audit_fills()
            except Exception as exc:  # the next round asks again, from where this one would have
                self._log.warning(f"fill audit failed ({type(exc).__name__}: {exc})")

    def audit_soon(self) -> None:
        """An audit now, unless one started this way is still running."""
        if self._soon is None or self._soon.done():
            self._soon = self._start_task(self.audit_fills(), "fill audit")

    async def audit_fills(self) -> int:
        """The exchange's fills, then the end of our orders it no longer lists. Returns how many of
        the node's own fills were recovered."""
        now_ms = time.time_ns() // NS_PER_MS
        # Open orders first: an order missing from them ended before the fills are asked for.
        open_orders = await self._queries.open_orders()
        since_ms = max(self._window.session_start_ms, self._window.audited_until_ms - FILL_AUDIT_OVERLAP_MS)
        recovered = self._fills.apply(await self._queries.fills_since(since_ms))
        self._window.audited_until_ms = now_ms
        if recovered:
            self._log.warning(f"fill audit: {recovered} fill(s) the stream had not delivered applied")
        self.fills_recovered += recovered
        for tracked in unlisted_orders(self._tracker, open_orders):
            if tracked.modifying:
                continue  # mid cancel-replace: its old oid is gone on purpose
            # Not listed: its own record decides (it may also have been placed after the snapshot).
            status = await self._settlement.settle_from_exchange(tracked)
            if tracked.closed:
                self.orders_settled += 1
                self._log.warning(f"fill audit: {tracked.client_order_id} ended on the exchange ({status}) unseen")
        return recovered
