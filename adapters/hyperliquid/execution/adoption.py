"""Adopting orders this node did not place: another client on the same account, the web UI, a
liquidation.

A fill of such an order is held until the exchange's record of the order (`orderStatus`) is
read; the order is then adopted with every fill of it the exchange has, through a
reconciliation report, as at start-up. The cache's position, which the strategy's inventory and
the risk limits come from, so stays the exchange's. Fills from before this session belong to
the start-up reconciliation and are never adopted.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from nautilus_trader.common.component import LiveClock
from nautilus_trader.execution.reports import FillReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.instruments import Instrument

from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.order_events import NS_PER_MS
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.execution.tasks import StartTask
from adapters.hyperliquid.execution.tracking import AuditWindow
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.http.errors import REST_ERRORS
from adapters.hyperliquid.parsing.reports import adoption_reports
from adapters.hyperliquid.parsing.reports import fill_problem
from adapters.hyperliquid.parsing.reports import order_status_report
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import Fill

# Waits before each orderStatus ask when adopting an order (transport errors are retried).
ORDER_RECORD_RETRY_SECS = (0.0, 0.5, 2.0, 5.0)

# Hands the adopting reports (each order report with its fill reports) to Nautilus.
SendReports = Callable[[list[tuple[OrderStatusReport, list[FillReport]]]], None]


class Adoption:
    def __init__(
        self,
        queries: AccountQueries,
        provider: HyperliquidInstrumentProvider,
        tracker: OrderTracker,
        window: AuditWindow,
        account_id: AccountId,
        clock: LiveClock,
        is_reconciling: Callable[[], bool],
        send_reports: SendReports,
        on_adopted: Callable[[], None],
        start_task: StartTask,
        log: LogLike,
    ) -> None:
        self._queries = queries
        self._provider = provider
        self._tracker = tracker
        self._window = window
        self._account_id = account_id
        self._clock = clock
        self._is_reconciling = is_reconciling
        self._send_reports = send_reports
        self._on_adopted = on_adopted
        self._start_task = start_task
        self._log = log
        self._pending: dict[int, list[Fill]] = {}  # oid -> fills waiting for their order's adoption
        # Fill ids the start-up reconciliation reported to Nautilus: never adopted a second time.
        self._reconciled_tids: set[int] = set()
        self.record_retry_secs = ORDER_RECORD_RETRY_SECS
        self.fills_adopted = 0
        self.fills_unapplied = 0

    @property
    def orders_pending(self) -> int:
        """Orders whose adoption is under way."""
        return len(self._pending)

    def note_reconciled_fill(self, tid: int) -> None:
        self._reconciled_tids.add(tid)

    def on_outside_fill(self, fill: Fill) -> None:
        """A fill of an order the node does not know (already deduped by tid)."""
        instrument = self._provider.instrument_for_coin(fill.coin)
        if instrument is None or fill.time < self._window.session_start_ms:
            self._log.debug(f"fill {fill.tid} of order {fill.oid} (not this node's, {fill.coin}) not emitted")
            return
        pending = self._pending.setdefault(fill.oid, [])
        pending.append(fill)
        if len(pending) == 1:  # one adoption per order; later fills ride along until it is sent
            self._start_task(self._adopt(fill.oid, instrument), f"adopting external order {fill.oid}")

    async def order_record(self, oid: int, instrument: Instrument) -> OrderStatusReport | None:
        """The exchange's record of an order as a report (None: it keeps none, e.g. a liquidation's)."""
        info = await self._queries.order_status(oid)
        if info is None:
            return None
        return order_status_report(
            info.order, info.status, instrument, self._account_id, None, info.statusTimestamp,
            self._clock.timestamp_ns(),
        )

    async def _adopt(self, oid: int, instrument: Instrument) -> None:
        try:
            while self._is_reconciling():
                # Start-up reconciliation is reporting fills: those it reports are Nautilus's already.
                await asyncio.sleep(0.05)
            report = await self._record_with_retries(oid, instrument)
            if report is not None:
                # orderStatus may count fills not pushed yet: take every fill of the order the
                # exchange has, so the adopted order is made of real fills only.
                for fill in await self._queries.fills_since(report.ts_accepted // NS_PER_MS):
                    if fill.oid != oid or fill.time < self._window.session_start_ms:
                        continue  # older ones are the start-up reconciliation's
                    if fill_problem(fill, instrument) is None and self._tracker.first_sight_of_fill(fill.tid, fill.time):
                        self._pending[oid].append(fill)
        except Exception as exc:
            self._unsee(oid, exc)
            return
        # No await from here to the send: a fill of this order arriving meanwhile is in the list, and
        # once the reports are processed (synchronously) the order is in the cache and found directly.
        fills = [f for f in self._pending.pop(oid, []) if f.tid not in self._reconciled_tids]
        if not fills:
            return
        ts = self._clock.timestamp_ns()
        self._log.warning(f"adopting order {oid} placed outside this node with {len(fills)} fill(s)")
        self._send_reports(adoption_reports(report, fills, instrument, self._account_id, ts))
        self.fills_adopted += len(fills)
        self._on_adopted()

    def _unsee(self, oid: int, exc: Exception) -> None:
        """Unsee the order's fills: the next fill audit (or reconnect) brings them back for another try."""
        fills = self._pending.pop(oid, [])
        for fill in fills:
            self._tracker.forget_fill(fill.tid)
        if fills:  # the next audit's window reaches back to them
            self._window.reach_back_to(min(f.time for f in fills))
        self.fills_unapplied += len(fills)
        self._log.error(f"external order {oid}: {len(fills)} fill(s) not applied yet ({type(exc).__name__}: {exc})")

    async def _record_with_retries(self, oid: int, instrument: Instrument) -> OrderStatusReport | None:
        """`order_record`, retrying transport errors; the last attempt's error goes to the caller."""
        *retries, last = self.record_retry_secs
        for delay in retries:
            await asyncio.sleep(delay)
            try:
                return await self.order_record(oid, instrument)
            except REST_ERRORS as exc:
                self._log.warning(f"external order {oid}: orderStatus failed ({exc}); retrying")
        await asyncio.sleep(last)
        return await self.order_record(oid, instrument)
