"""Reports for Nautilus's reconciliation (start-up, and the open-order and in-flight checks while
running): order status, fills and positions, from the exchange's records.

At start-up Nautilus builds the orders from these reports, and the fills it is given are
remembered so the stream and the adoption never apply them again. While running, a report of one
of the node's orders states what this client has applied (see `as_applied`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.execution.messages import GenerateFillReports
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.execution.messages import GenerateOrderStatusReports
from nautilus_trader.execution.messages import GeneratePositionStatusReports
from nautilus_trader.execution.reports import FillReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.execution.reports import PositionStatusReport
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.instruments import Instrument

from adapters.hyperliquid.common.cloids import cloid_for
from adapters.hyperliquid.common.constants import CANCELED_STATUSES
from adapters.hyperliquid.common.constants import HYPERLIQUID_VENUE
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.adoption import Adoption
from adapters.hyperliquid.execution.order_events import NS_PER_MS
from adapters.hyperliquid.execution.order_events import OrderEvents
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.parsing.reports import fill_problem
from adapters.hyperliquid.parsing.reports import fill_report
from adapters.hyperliquid.parsing.reports import order_status_report
from adapters.hyperliquid.parsing.reports import position_reports
from adapters.hyperliquid.parsing.reports import qty_of
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import BasicOrder


def order_status_key(venue_order_id: VenueOrderId | None, client_order_id: ClientOrderId | None) -> int | str | None:
    """What `orderStatus` takes for an order: its oid when it has one, else its cloid."""
    if venue_order_id is not None and venue_order_id.value.isdigit():
        return int(venue_order_id.value)
    return cloid_for(client_order_id) if client_order_id is not None else None


class Reports:
    def __init__(
        self,
        queries: AccountQueries,
        cache: Cache,
        provider: HyperliquidInstrumentProvider,
        tracker: OrderTracker,
        events: OrderEvents,
        adoption: Adoption,
        account_id: AccountId,
        clock: LiveClock,
        is_reconciling: Callable[[], bool],
        audit_soon: Callable[[], None],
        fills_lookback_mins: int,
        log: LogLike,
    ) -> None:
        self._queries = queries
        self._cache = cache
        self._provider = provider
        self._tracker = tracker
        self._events = events
        self._adoption = adoption
        self._account_id = account_id
        self._clock = clock
        self._is_reconciling = is_reconciling
        self._audit_soon = audit_soon
        self._fills_lookback_mins = fills_lookback_mins
        self._log = log

    async def order_status_report(self, command: GenerateOrderStatusReport) -> OrderStatusReport | None:
        key = order_status_key(command.venue_order_id, command.client_order_id)
        if key is None:
            return None
        info = await self._queries.order_status(key)
        if info is None:
            return None
        instrument = self._provider.instrument_for_coin(info.order.coin)
        if instrument is None:
            return None
        report = order_status_report(
            info.order, info.status, instrument, self._account_id,
            command.client_order_id or self._events.client_order_id_for(info.order.oid, info.order.cloid),
            info.statusTimestamp, self._clock.timestamp_ns(),
        )
        return self.as_applied(report, info.order, instrument)

    async def order_status_reports(self, command: GenerateOrderStatusReports) -> list[OrderStatusReport]:
        """Open orders on the exchange (closed ones are settled by the fill reports).

        `frontendOpenOrders` adds tif and reduce-only, so adopted orders keep their post-only flag.
        """
        orders = await self._queries.frontend_open_orders()
        ts = self._clock.timestamp_ns()
        reports = []
        for o in orders:
            instrument = self._provider.instrument_for_coin(o.coin)
            if instrument is None or (command.instrument_id is not None and instrument.id != command.instrument_id):
                continue
            report = order_status_report(
                o, "open", instrument, self._account_id, self._events.client_order_id_for(o.oid, o.cloid),
                o.timestamp, ts,
            )
            reports.append(self.as_applied(report, o, instrument))
        if self._is_reconciling():
            reports += await self._canceled_while_down(orders, command, ts)
        self._log.info(f"generated {len(reports)} order status reports")
        return reports

    async def _canceled_while_down(
        self, listed: list[BasicOrder], command: GenerateOrderStatusReports, ts: int,
    ) -> list[OrderStatusReport]:
        """Orders a restored (Redis) cache holds as open that the exchange no longer lists and has
        cancelled (while the node was down, or by the start-up sweep): their reports, so that
        reconciliation closes them before any strategy starts (it would otherwise adopt and modify
        them). Fills are the fill reports' business; orders filled while down close by them."""
        listed_oids = {o.oid for o in listed}
        listed_cloids = {o.cloid.lower() for o in listed if o.cloid}
        reports = []
        for order in self._cache.orders_open(venue=HYPERLIQUID_VENUE, instrument_id=command.instrument_id):
            key = order_status_key(order.venue_order_id, order.client_order_id)
            if key in listed_oids or cloid_for(order.client_order_id) in listed_cloids:
                continue
            info = await self._queries.order_status(key)
            if info is None or info.status not in CANCELED_STATUSES:
                continue
            instrument = self._provider.instrument_for_coin(info.order.coin)
            if instrument is None:
                continue
            report = order_status_report(
                info.order, info.status, instrument, self._account_id, order.client_order_id, info.statusTimestamp, ts,
            )
            # As the cache holds the order: after a modify the exchange's record is only the
            # replacement (its size the rest), and its fills are already in the cache or in the fill reports.
            report.quantity = order.quantity
            report.filled_qty = order.filled_qty
            report.avg_px = Decimal(str(order.avg_px)) if order.filled_qty.as_decimal() > 0 else None
            reports.append(report)
            self._log.warning(f"{order.client_order_id}: open in the restored cache, {info.status} on the exchange")
        return reports

    def as_applied(self, report: OrderStatusReport, order: BasicOrder, instrument: Instrument) -> OrderStatusReport:
        """While running, a report of one of our orders states the quantity and fills this client
        has applied, not the exchange's: Nautilus's open-order and in-flight checks would otherwise
        book an inferred fill (with an invented trade id; the real one would then count again) or
        shrink a modified order to its replacement's size (then refuse its last fill as an
        overfill). Fills the exchange has and we lack are fetched by a fill audit started here."""
        if self._is_reconciling():
            return report  # start-up: Nautilus builds the order from these reports and the fill reports
        tracked = self._tracker.resolve(order.oid, order.cloid)
        if tracked is None:
            return report
        behind = report.filled_qty.as_decimal() > tracked.filled
        report.quantity = qty_of(tracked.quantity, instrument)
        report.filled_qty = qty_of(tracked.filled, instrument)
        # The average price of those fills: should Nautilus still find its order short of them, the
        # fill it infers is priced from this (without it, at 0).
        report.avg_px = tracked.avg_px
        # Until the audit applies the missing fills, the order is reported as still working.
        if behind or report.order_status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED):
            report.order_status = OrderStatus.PARTIALLY_FILLED if tracked.filled > 0 else OrderStatus.ACCEPTED
        if behind:
            self._audit_soon()
        return report

    async def fill_reports(self, command: GenerateFillReports) -> list[FillReport]:
        start_ms = (
            int(command.start.timestamp() * 1000)
            if command.start is not None
            else time.time_ns() // NS_PER_MS - self._fills_lookback_mins * 60_000
        )
        end_ms = int(command.end.timestamp() * 1000) if command.end is not None else None
        fills = await self._queries.fills_since(start_ms, end_ms)
        ts = self._clock.timestamp_ns()
        reports = []
        for fill in fills:
            instrument = self._provider.instrument_for_coin(fill.coin)
            if instrument is None or (command.instrument_id is not None and instrument.id != command.instrument_id):
                continue
            if command.venue_order_id is not None and command.venue_order_id.value != str(fill.oid):
                continue
            problem = fill_problem(fill, instrument)
            if problem is not None:
                self._log.error(f"fill {fill.tid} left out of the reports: {problem}")
                continue
            if self._is_reconciling():
                # Start-up reconciliation applies these itself: the stream must not emit them again.
                self._tracker.mark_fill_seen(fill.tid)
                self._adoption.note_reconciled_fill(fill.tid)
            reports.append(
                fill_report(
                    fill, instrument, self._account_id, self._events.client_order_id_for(fill.oid, fill.cloid), ts
                )
            )
        self._log.info(f"generated {len(reports)} fill reports")
        return reports

    async def position_status_reports(self, command: GeneratePositionStatusReports) -> list[PositionStatusReport]:
        state = await self._queries.clearinghouse_state()
        by_coin = {coin: inst for coin in self._provider.coins if (inst := self._provider.instrument_for_coin(coin))}
        # At start-up a position a restored cache holds on a coin the exchange holds none of is
        # reported flat, so reconciliation closes it (no report would leave the node quoting on it).
        held = ({p.instrument_id for p in self._cache.positions_open(venue=HYPERLIQUID_VENUE)}
                if self._is_reconciling() else set())
        reports = position_reports(state, by_coin, self._account_id, self._clock.timestamp_ns(), flat_unless_held=held)
        if command.instrument_id is not None:
            reports = [r for r in reports if r.instrument_id == command.instrument_id]
        self._log.info(f"generated {len(reports)} position status reports")
        return reports
