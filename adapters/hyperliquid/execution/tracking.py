"""What the execution client knows of each order it handles, so every event is emitted once.

Events reach the Nautilus cache through the engine's queue, so the cache lags what the client
has already emitted; this tracker is the client's own, immediate record (accepted, filled
quantity, closed, replaced oids), and the seen-fill set dedupes fills by `tid`. The audit
window records how far the exchange's fills have been checked. A closed order's record is kept for
an hour, then forgotten, so a node that runs for weeks holds the records of the last hour's orders,
not of every order it ever sent.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import StrategyId

from adapters.hyperliquid.common.cloids import CloidRegistry


@dataclass(slots=True)
class TrackedOrder:
    client_order_id: ClientOrderId
    strategy_id: StrategyId
    instrument_id: InstrumentId
    side: OrderSide
    order_type: OrderType
    quantity: Decimal
    cloid: str | None
    oid: int | None = None
    accepted: bool = False
    closed: bool = False
    filled: Decimal = Decimal(0)
    filled_notional: Decimal = Decimal(0)  # sum of size x price of `filled`: its average price
    # The oid Nautilus's order carries now: the one of the last accept, update or fill this client
    # emitted. An event naming another oid is refused (Order.apply), and a modify's replacement can
    # be seen on the stream (`oid` moves) before its update is emitted, or a fill of a replaced oid
    # arrive after it.
    venue_oid: int | None = None
    replaced_oids: set[int] = field(default_factory=set)
    # A cancel-replace is in flight: the old oid's "canceled" update may arrive before the reply.
    modifying: bool = False
    deferred_cancel: tuple[int, int] | None = None  # (oid, ts) of a cancel seen during a modify

    @property
    def fully_filled(self) -> bool:
        return self.filled >= self.quantity

    @property
    def avg_px(self) -> Decimal | None:
        return self.filled_notional / self.filled if self.filled > 0 else None

    @property
    def oid_in_nautilus(self) -> int | None:
        """The oid for an event of this order: the one Nautilus's order carries, else the latest."""
        return self.venue_oid if self.venue_oid is not None else self.oid


# Fill ids remembered for dedupe. A repeat comes from a WS snapshot or a REST diff after a
# reconnect, i.e. among the most recent fills; the oldest ids are forgotten past this many so a
# node that runs for months keeps bounded memory (~20 MB at the cap). Nautilus's own check of the
# order's trade ids still catches a repeat for an order it holds.
MAX_SEEN_FILLS = 200_000

# How long a closed order's record (and its cloid and oids) is kept. As the node's cache keeps a
# closed order (`purge_closed_orders_buffer_mins`, 60): a cancel race's fill or a late push arrives
# within seconds, and an order the tracker has forgotten is still found in the cache meanwhile.
CLOSED_ORDER_RETENTION_NS = 60 * 60 * 1_000_000_000


class OrderTracker:
    def __init__(self, max_seen_fills: int = MAX_SEEN_FILLS, closed_retention_ns: int = CLOSED_ORDER_RETENTION_NS) -> None:
        if max_seen_fills < 1:
            raise ValueError("max_seen_fills must be ≥ 1")
        if closed_retention_ns < 0:
            raise ValueError("closed_retention_ns must be ≥ 0")
        self.cloids = CloidRegistry()
        self._orders: dict[ClientOrderId, TrackedOrder] = {}
        self._closed: deque[tuple[int, ClientOrderId]] = deque()  # (closed at, id), oldest first
        self.closed_retention_ns = closed_retention_ns
        self._seen_tids: dict[int, None] = {}  # insertion-ordered: the oldest go first
        self._max_seen = max_seen_fills
        self.last_fill_ms: int | None = None
        self.duplicate_fills = 0

    def add(self, order: TrackedOrder) -> TrackedOrder:
        self._orders[order.client_order_id] = order
        if order.cloid is not None:
            self.cloids.register(order.client_order_id)
        if order.oid is not None:
            self.cloids.bind_oid(order.oid, order.client_order_id)
        return order

    def get(self, client_order_id: ClientOrderId) -> TrackedOrder | None:
        return self._orders.get(client_order_id)

    def resolve(self, oid: int, cloid: str | None) -> TrackedOrder | None:
        coid = self.cloids.resolve(oid, cloid)
        return None if coid is None else self._orders.get(coid)

    def bind_oid(self, order: TrackedOrder, oid: int) -> None:
        order.oid = oid
        self.cloids.bind_oid(oid, order.client_order_id)

    def replace_oid(self, order: TrackedOrder, new_oid: int) -> None:
        """A modify (cancel-replace) gave the order a new oid; the old one's cancel is not a cancel."""
        if order.oid is not None:
            order.replaced_oids.add(order.oid)
        self.bind_oid(order, new_oid)

    def open_orders(self) -> list[TrackedOrder]:
        return [o for o in self._orders.values() if not o.closed]

    def __len__(self) -> int:
        return len(self._orders)

    def close(self, order: TrackedOrder, now_ns: int) -> None:
        """Mark `order` closed (now: the node's clock). Its record is forgotten once it has been
        closed for the retention; the records closed before that are forgotten here."""
        if not order.closed:
            order.closed = True
            self._closed.append((now_ns, order.client_order_id))
        closed, cutoff = self._closed, now_ns - self.closed_retention_ns
        while closed and closed[0][0] < cutoff:
            coid = closed.popleft()[1]
            old = self._orders.get(coid)
            if old is not None and old.closed:
                del self._orders[coid]
                self.cloids.forget(coid, old.cloid, {old.oid, *old.replaced_oids})

    # -- fills -------------------------------------------------------------------------------------

    def first_sight_of_fill(self, tid: int, time_ms: int) -> bool:
        """True the first time a fill id is seen (then remembered); False for a repeat."""
        if tid in self._seen_tids:
            self.duplicate_fills += 1
            return False
        self.mark_fill_seen(tid)
        if self.last_fill_ms is None or time_ms > self.last_fill_ms:
            self.last_fill_ms = time_ms
        return True

    def forget_fill(self, tid: int) -> None:
        """Unsee a fill that could not be applied, so that a later sight of it (the fill audit,
        a reconnect's catch-up) applies it."""
        self._seen_tids.pop(tid, None)

    def mark_fill_seen(self, tid: int) -> None:
        seen = self._seen_tids
        seen[tid] = None
        if len(seen) > self._max_seen:
            del seen[next(iter(seen))]


class AuditWindow:
    """Where the next fill audit starts reading the exchange's fills, and where this session began.

    Shared by the audit, which advances it, and the adoption, which moves it back to fills it
    could not apply so that the next audit brings them again.
    """

    def __init__(self) -> None:
        self.session_start_ms = 2**63  # set at connect
        self.audited_until_ms = 0

    def start_session(self, now_ms: int) -> None:
        self.session_start_ms = self.audited_until_ms = now_ms

    def reach_back_to(self, time_ms: int) -> None:
        self.audited_until_ms = min(self.audited_until_ms, time_ms)
