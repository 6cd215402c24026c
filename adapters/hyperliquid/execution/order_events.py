"""Nautilus order events from what the exchange says, each emitted once.

Events reach the cache through the engine's queue, so the cache lags behind; the tracker is the
client's immediate record. An order is accepted, canceled or rejected once, each fill (by tid)
is applied once, and an order the exchange knows only by its oid (adopted at start-up) is found
through the cache.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Protocol

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.model.currencies import USDC
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import PositionId
from nautilus_trader.model.identifiers import StrategyId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import Order

from adapters.hyperliquid.common.cloids import cloid_for
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.execution.tracking import TrackedOrder
from adapters.hyperliquid.parsing.order_wires import UnsupportedOrder
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import Fill

NS_PER_MS = 1_000_000
_NO_VENUE_ID = VenueOrderId("-")


class OrderEventSink(Protocol):
    """The execution client's `generate_order_*` emitters these events go out through."""

    def generate_order_submitted(
        self, strategy_id: StrategyId, instrument_id: InstrumentId, client_order_id: ClientOrderId, ts_event: int,
    ) -> None: ...

    def generate_order_rejected(
        self, strategy_id: StrategyId, instrument_id: InstrumentId, client_order_id: ClientOrderId, reason: str,
        ts_event: int, due_post_only: bool = False,
    ) -> None: ...

    def generate_order_accepted(
        self, strategy_id: StrategyId, instrument_id: InstrumentId, client_order_id: ClientOrderId,
        venue_order_id: VenueOrderId, ts_event: int,
    ) -> None: ...

    def generate_order_canceled(
        self, strategy_id: StrategyId, instrument_id: InstrumentId, client_order_id: ClientOrderId,
        venue_order_id: VenueOrderId | None, ts_event: int,
    ) -> None: ...

    def generate_order_updated(
        self, strategy_id: StrategyId, instrument_id: InstrumentId, client_order_id: ClientOrderId,
        venue_order_id: VenueOrderId, quantity: Quantity, price: Price, trigger_price: Price | None, ts_event: int,
        venue_order_id_modified: bool = False,
    ) -> None: ...

    def generate_order_modify_rejected(
        self, strategy_id: StrategyId, instrument_id: InstrumentId, client_order_id: ClientOrderId,
        venue_order_id: VenueOrderId, reason: str, ts_event: int,
    ) -> None: ...

    def generate_order_cancel_rejected(
        self, strategy_id: StrategyId, instrument_id: InstrumentId, client_order_id: ClientOrderId,
        venue_order_id: VenueOrderId, reason: str, ts_event: int,
    ) -> None: ...

    def generate_order_filled(
        self, strategy_id: StrategyId, instrument_id: InstrumentId, client_order_id: ClientOrderId,
        venue_order_id: VenueOrderId, venue_position_id: PositionId | None, trade_id: TradeId,
        order_side: OrderSide, order_type: OrderType, last_qty: Quantity, last_px: Price,
        quote_currency: Currency, commission: Money, liquidity_side: LiquiditySide, ts_event: int,
    ) -> None: ...


class OrderEvents:
    """The tracked record of each order and the events that move it, each emitted once.

    `on_rejected(instrument_id, reason)` hears of every order and modify rejection (the rejection
    monitor counts them).
    """

    def __init__(
        self,
        sink: OrderEventSink,
        tracker: OrderTracker,
        cache: Cache,
        provider: HyperliquidInstrumentProvider,
        clock: LiveClock,
        log: LogLike,
        on_rejected: Callable[[InstrumentId, str], None] = lambda instrument_id, reason: None,
    ) -> None:
        self._sink = sink
        self._on_rejected = on_rejected
        self._tracker = tracker
        self._cache = cache
        self._provider = provider
        self._clock = clock
        self._log = log

    # -- finding an order's record -------------------------------------------------------------------

    def instrument(self, order: Order) -> Instrument:
        instrument = self._cache.instrument(order.instrument_id) or self._provider.find(order.instrument_id)
        if instrument is None:
            raise UnsupportedOrder(f"instrument {order.instrument_id} not loaded")
        return instrument

    def track(self, order: Order) -> TrackedOrder:
        """The order's record, made on first sight (its cloid derived from its client order id)."""
        tracked = self._tracker.get(order.client_order_id)
        if tracked is None:
            tracked = self._tracker.add(
                TrackedOrder(
                    client_order_id=order.client_order_id,
                    strategy_id=order.strategy_id,
                    instrument_id=order.instrument_id,
                    side=order.side,
                    order_type=order.order_type,
                    quantity=order.quantity.as_decimal(),
                    cloid=cloid_for(order.client_order_id),
                )
            )
        return tracked

    def resolve_cached(self, order: Order) -> TrackedOrder:
        """The tracked record of an order in the cache (adopted orders get one on first use)."""
        tracked = self.track(order)
        if tracked.oid is None and order.venue_order_id is not None and order.venue_order_id.value.isdigit():
            self._tracker.bind_oid(tracked, int(order.venue_order_id.value))
            tracked.venue_oid = tracked.oid
            tracked.accepted = True
            tracked.filled = order.filled_qty.as_decimal()
            if order.avg_px is not None:
                tracked.filled_notional = tracked.filled * Decimal(str(order.avg_px))
            # An adopted order's cloid is unknown (ours are derived; external ones have none).
            if order.is_closed:
                self._close(tracked)
        return tracked

    def _close(self, tracked: TrackedOrder) -> None:
        self._tracker.close(tracked, self._clock.timestamp_ns())

    def resolve(self, oid: int, cloid: str | None) -> TrackedOrder | None:
        """The record of an exchange order, or None when it is not one of the node's."""
        tracked = self._tracker.resolve(oid, cloid)
        if tracked is not None:
            return tracked
        # Not placed by this client instance: an order adopted at start-up is known by its venue id.
        client_order_id = self._cache.client_order_id(VenueOrderId(str(oid)))
        order = self._cache.order(client_order_id) if client_order_id is not None else None
        return self.resolve_cached(order) if order is not None else None

    def client_order_id_for(self, oid: int, cloid: str | None) -> ClientOrderId | None:
        coid = self._tracker.cloids.resolve(oid, cloid)
        return coid or self._cache.client_order_id(VenueOrderId(str(oid)))

    # -- order lifecycle, once each ------------------------------------------------------------------

    def submitted(self, order: Order, ts: int) -> None:
        self._sink.generate_order_submitted(order.strategy_id, order.instrument_id, order.client_order_id, ts)

    def reject_once(
        self, tracked: TrackedOrder, reason: str, *, due_post_only: bool = False, ts: int | None = None,
    ) -> None:
        if tracked.accepted or tracked.closed:
            return
        self._close(tracked)
        self._sink.generate_order_rejected(
            tracked.strategy_id, tracked.instrument_id, tracked.client_order_id, reason,
            self._clock.timestamp_ns() if ts is None else ts, due_post_only=due_post_only,
        )
        self._on_rejected(tracked.instrument_id, reason)

    def accept_once(self, tracked: TrackedOrder, ts: int) -> None:
        if tracked.accepted or tracked.oid is None:
            return
        tracked.accepted = True
        tracked.venue_oid = tracked.oid
        self._sink.generate_order_accepted(
            tracked.strategy_id, tracked.instrument_id, tracked.client_order_id, VenueOrderId(str(tracked.oid)), ts
        )

    def cancel_once(self, tracked: TrackedOrder, ts: int) -> None:
        if tracked.closed:
            return
        self._close(tracked)
        self._sink.generate_order_canceled(
            tracked.strategy_id,
            tracked.instrument_id,
            tracked.client_order_id,
            VenueOrderId(str(tracked.oid_in_nautilus)) if tracked.oid_in_nautilus is not None else None,
            ts,
        )

    def canceled_on_exchange(self, tracked: TrackedOrder, oid: int, ts: int) -> bool:
        """The exchange reports `oid` of `tracked` canceled (its stream, or its record): the order's
        end, unless `oid` is one a modify replaced, or a modify is on the wire, whose answer then
        decides (`end_modify`). True when the order ended here."""
        if oid in tracked.replaced_oids or (tracked.oid is not None and oid != tracked.oid):
            return False  # an older oid of a modified order
        if tracked.modifying:
            tracked.deferred_cancel = (oid, ts)  # may be the modify's own cancel half
            return False
        self.cancel_once(tracked, ts)
        return True

    def cancel_rejected(self, order: Order, tracked: TrackedOrder, reason: str) -> None:
        """The cancel failed and the order stands (nothing is said of an order already closed)."""
        if tracked.closed:
            return
        self._sink.generate_order_cancel_rejected(
            order.strategy_id,
            order.instrument_id,
            order.client_order_id,
            order.venue_order_id or VenueOrderId(str(tracked.oid or "-")),
            reason,
            self._clock.timestamp_ns(),
        )

    # -- modify (cancel-replace) ---------------------------------------------------------------------

    def modified(self, order: Order, tracked: TrackedOrder, new_oid: int | None, quantity: Decimal, price: str) -> None:
        """The replacement of a modify stands on the exchange (as `new_oid`, when the reply named one)."""
        if new_oid is not None and new_oid != tracked.oid:
            self._tracker.replace_oid(tracked, new_oid)
        elif new_oid is None:
            tracked.deferred_cancel = None  # its oid is unknown: a cancel seen meanwhile was the old oid's
        # The update first (unless the order closed meanwhile, e.g. a cancel-all took the replacement):
        # a cancel of the replacement that end_modify then applies names the oid Nautilus must know.
        if not tracked.closed:
            instrument = self.instrument(order)
            tracked.quantity = quantity
            tracked.venue_oid = tracked.oid
            self._sink.generate_order_updated(
                order.strategy_id,
                order.instrument_id,
                order.client_order_id,
                VenueOrderId(str(tracked.oid)),
                Quantity(float(quantity), instrument.size_precision),
                Price(float(price), instrument.price_precision),
                None,
                self._clock.timestamp_ns(),
                venue_order_id_modified=new_oid is not None,
            )
        self.end_modify(tracked)

    def modify_rejected(self, order: Order, reason: str, ts: int | None = None) -> None:
        self._sink.generate_order_modify_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id, order.venue_order_id or _NO_VENUE_ID,
            reason, self._clock.timestamp_ns() if ts is None else ts,
        )
        self._on_rejected(order.instrument_id, reason)

    def end_modify(self, tracked: TrackedOrder) -> None:
        """The modify is decided (a replacement's oid already bound): a cancel seen meanwhile counts
        if it is of the oid the order now has — the old one when nothing replaced it, or the
        replacement itself (canceled from outside before the modify's reply) — not of a replaced oid."""
        tracked.modifying = False
        deferred, tracked.deferred_cancel = tracked.deferred_cancel, None
        if deferred is None:
            return
        oid, ts = deferred
        if oid == tracked.oid and oid not in tracked.replaced_oids:
            self.cancel_once(tracked, ts)  # the order really is gone

    # -- fills ---------------------------------------------------------------------------------------

    def fill_once(self, tracked: TrackedOrder, fill: Fill) -> bool:
        """Emit `fill` of a tracked order unless Nautilus already has it; True when emitted."""
        instrument = self._cache.instrument(tracked.instrument_id)
        if instrument is None:
            self._log.error(f"fill {fill.tid}: instrument {tracked.instrument_id} not in cache")
            return False
        order = self._cache.order(tracked.client_order_id)
        trade_id = TradeId(str(fill.tid))
        if order is not None and trade_id in order.trade_ids:
            return False  # already applied (e.g. by reconciliation)
        if tracked.oid is None:
            self._tracker.bind_oid(tracked, fill.oid)
        ts = fill.time * NS_PER_MS
        self.accept_once(tracked, ts)
        size = Decimal(fill.sz)
        tracked.filled += size
        tracked.filled_notional += size * Decimal(fill.px)
        # Under the oid Nautilus's order has now: a fill of an oid a modify has since replaced (pushed
        # late, or found by the fill audit) is still this order's.
        tracked.venue_oid = tracked.oid_in_nautilus  # bound above: never None here
        self._sink.generate_order_filled(
            tracked.strategy_id,
            tracked.instrument_id,
            tracked.client_order_id,
            VenueOrderId(str(tracked.venue_oid)),
            None,
            trade_id,
            tracked.side,
            tracked.order_type,
            Quantity(float(fill.sz), instrument.size_precision),
            Price(float(fill.px), instrument.price_precision),
            USDC,
            Money(Decimal(fill.fee), USDC),
            LiquiditySide.TAKER if fill.crossed else LiquiditySide.MAKER,
            ts,
        )
        if tracked.fully_filled:
            self._close(tracked)
        return True
