"""The catch-up rules without an engine: which of our orders an `openOrders` snapshot shows ended,
and where the next fill audit starts reading."""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import StrategyId

from adapters.hyperliquid.execution.recovery import unlisted_orders
from adapters.hyperliquid.execution.tracking import AuditWindow
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.execution.tracking import TrackedOrder
from adapters.hyperliquid.schemas.user import BasicOrder


def _tracked(tracker: OrderTracker, name: str, *, oid: int | None, accepted: bool = True,
             filled: str = "0", cloid: str | None = None) -> TrackedOrder:
    order = tracker.add(TrackedOrder(
        client_order_id=ClientOrderId(name), strategy_id=StrategyId("S-001"),
        instrument_id=InstrumentId.from_str("ETH-USD-PERP.HYPERLIQUID"), side=OrderSide.BUY,
        order_type=OrderType.LIMIT, quantity=Decimal("0.02"), cloid=cloid, accepted=accepted,
        filled=Decimal(filled),
    ))
    if oid is not None:
        tracker.bind_oid(order, oid)
    return order


def _listed(oid: int, cloid: str | None = None) -> BasicOrder:
    return BasicOrder(coin="ETH", side="B", limitPx="2990.0", sz="0.02", oid=oid, timestamp=0, origSz="0.02",
                      cloid=cloid)


def test_only_accepted_working_orders_missing_from_the_snapshot_count_as_ended() -> None:
    tracker = OrderTracker()
    _tracked(tracker, "listed", oid=1)
    gone = _tracked(tracker, "gone", oid=2)
    _tracked(tracker, "in-flight", oid=None, accepted=False)  # its reply settles it
    _tracked(tracker, "filled", oid=4, filled="0.02")  # its fills closed it
    closed = _tracked(tracker, "closed", oid=5)
    closed.closed = True
    cloid = "0x" + "ab" * 16
    _tracked(tracker, "replaced", oid=6, cloid=cloid)  # listed under its replacement's oid, same cloid

    ended = unlisted_orders(tracker, [_listed(1), _listed(7, cloid=cloid.upper())])

    assert ended == [gone]


def test_the_audit_window_starts_with_the_session_and_reaches_back_to_fills_left_unapplied() -> None:
    window = AuditWindow()
    window.start_session(1_000)
    assert (window.session_start_ms, window.audited_until_ms) == (1_000, 1_000)
    window.audited_until_ms = 5_000
    window.reach_back_to(3_000)
    window.reach_back_to(4_000)  # never forward
    assert window.audited_until_ms == 3_000
