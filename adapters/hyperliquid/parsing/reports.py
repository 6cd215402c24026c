"""Exchange state (`openOrders`, fills, `clearinghouseState`) → Nautilus reconciliation reports."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.reports import FillReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.execution.reports import PositionStatusReport
from nautilus_trader.model.currencies import USDC
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import MONEY_MAX
from nautilus_trader.model.objects import PRICE_MAX
from nautilus_trader.model.objects import QUANTITY_MAX
from nautilus_trader.model.objects import AccountBalance
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from adapters.hyperliquid.common.constants import CANCELED_STATUSES
from adapters.hyperliquid.common.constants import REJECTED_STATUSES
from adapters.hyperliquid.schemas.user import BasicOrder
from adapters.hyperliquid.schemas.user import ClearinghouseState
from adapters.hyperliquid.schemas.user import Fill

_NS_PER_MS = 1_000_000
_QTY_MAX = Decimal(str(QUANTITY_MAX))
_PX_MAX = Decimal(str(PRICE_MAX))
_MONEY_MAX = Decimal(str(MONEY_MAX))
_TIF = {"Alo": TimeInForce.GTC, "Gtc": TimeInForce.GTC, "Ioc": TimeInForce.IOC}


def exchange_decimal(name: str, text: str) -> Decimal:
    """A finite decimal from an exchange number string; a clear ValueError (naming the field) otherwise."""
    try:
        value = Decimal(text)
    except ArithmeticError:  # decimal.InvalidOperation
        raise ValueError(f"exchange sent a non-numeric {name}: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"exchange sent a non-finite {name}: {text!r}")
    return value


def side_of(hl_side: str) -> OrderSide:
    """"B" (bid) = buy, "A" (ask) = sell."""
    if hl_side == "B":
        return OrderSide.BUY
    if hl_side == "A":
        return OrderSide.SELL
    raise ValueError(f"unknown side {hl_side!r}")


def price_of(px: str, instrument: Instrument) -> Price:
    return Price(float(px), instrument.price_precision)


def qty_of(sz: str | Decimal, instrument: Instrument) -> Quantity:
    return Quantity(float(sz), instrument.size_precision)


def order_status_for(hl_status: str, filled: Decimal, quantity: Decimal) -> OrderStatus:
    if hl_status == "open":
        return OrderStatus.PARTIALLY_FILLED if filled > 0 else OrderStatus.ACCEPTED
    if hl_status == "filled":
        return OrderStatus.FILLED
    if hl_status in CANCELED_STATUSES:
        return OrderStatus.CANCELED
    if hl_status in REJECTED_STATUSES:
        return OrderStatus.REJECTED
    if hl_status == "triggered":
        return OrderStatus.TRIGGERED
    raise ValueError(f"unknown order status {hl_status!r}")


def order_status_report(
    order: BasicOrder,
    hl_status: str,
    instrument: Instrument,
    account_id: AccountId,
    client_order_id: ClientOrderId | None,
    ts_last_ms: int,
    ts_init: int,
) -> OrderStatusReport:
    """A report of one exchange order (`sz` is what rests, `origSz` what was asked)."""
    quantity = exchange_decimal("origSz", order.origSz)
    filled = quantity - exchange_decimal("sz", order.sz)
    if hl_status != "open" and hl_status != "filled":
        filled = max(Decimal(0), filled)
    return OrderStatusReport(
        account_id=account_id,
        instrument_id=instrument.id,
        client_order_id=client_order_id,
        venue_order_id=VenueOrderId(str(order.oid)),
        order_side=side_of(order.side),
        order_type=OrderType.LIMIT,
        time_in_force=_TIF.get(order.tif or "Gtc", TimeInForce.GTC),
        order_status=order_status_for(hl_status, filled, quantity),
        price=price_of(order.limitPx, instrument),
        quantity=qty_of(quantity, instrument),
        filled_qty=qty_of(filled, instrument),
        post_only=order.tif == "Alo",
        reduce_only=bool(order.reduceOnly),
        report_id=UUID4(),
        ts_accepted=order.timestamp * _NS_PER_MS,
        ts_last=ts_last_ms * _NS_PER_MS,
        ts_init=ts_init,
    )


def average_fill_px(fills: list[Fill]) -> Decimal:
    """Size-weighted average price of `fills` (at least one)."""
    sizes = [exchange_decimal("sz", f.sz) for f in fills]
    notional = sum((exchange_decimal("px", f.px) * sz for f, sz in zip(fills, sizes, strict=True)), Decimal(0))
    return notional / sum(sizes, Decimal(0))


def adoption_reports(
    report: OrderStatusReport | None,
    fills: list[Fill],
    instrument: Instrument,
    account_id: AccountId,
    ts_init: int,
) -> list[tuple[OrderStatusReport, list[FillReport]]]:
    """The order reports, each with its fill reports, that adopt `fills` (all of one exchange order,
    none known to Nautilus yet) through a reconciliation.

    - With the exchange's record of the order (`report`, from orderStatus): its filled quantity
      becomes what `fills` add up to, so Nautilus infers no fill of its own (one it inferred would
      count again when the real fill arrives); a fully filled record not yet covered by `fills`
      stays PARTIALLY_FILLED until the rest arrive as fills of the adopted order.
    - Without one (a liquidation): each fill becomes a FILLED order of its own, keyed `oid-tid`, so
      a later fill of the same oid is not an overfill of an order already closed.
    """
    if report is None:
        out = []
        for fill in fills:
            venue_order_id = VenueOrderId(f"{fill.oid}-{fill.tid}")
            order = BasicOrder(
                coin=fill.coin, side=fill.side, limitPx=fill.px, sz="0", oid=fill.oid, timestamp=fill.time,
                origSz=fill.sz, tif="Ioc",
            )
            synthetic = order_status_report(order, "filled", instrument, account_id, None, fill.time, ts_init)
            synthetic.venue_order_id = venue_order_id
            synthetic.avg_px = exchange_decimal("px", fill.px)
            out.append((synthetic, [fill_report(fill, instrument, account_id, None, ts_init, venue_order_id)]))
        return out
    filled = sum((exchange_decimal("sz", f.sz) for f in fills), Decimal(0))
    report.filled_qty = qty_of(filled, instrument)
    report.avg_px = average_fill_px(fills)
    if report.filled_qty >= report.quantity:
        report.order_status = OrderStatus.FILLED
    elif report.order_status in (OrderStatus.FILLED, OrderStatus.ACCEPTED):
        report.order_status = OrderStatus.PARTIALLY_FILLED
    return [(report, [fill_report(f, instrument, account_id, None, ts_init) for f in fills])]


def fill_problem(fill: Fill, instrument: Instrument | None = None) -> str | None:
    """Why a decoded fill cannot be applied (None when it can): sizes/prices must be positive
    finite decimals within Nautilus's range, the fee a finite decimal, the side B or A; with the
    instrument, the size must fit its size precision and the price stay positive at its precision."""
    try:
        sz, px, fee = Decimal(fill.sz), Decimal(fill.px), Decimal(fill.fee)
    except ArithmeticError:  # decimal.InvalidOperation
        return f"non-numeric px/sz/fee {fill.px!r}/{fill.sz!r}/{fill.fee!r}"
    if not (sz.is_finite() and px.is_finite() and fee.is_finite()):
        return "non-finite px/sz/fee"
    if sz <= 0 or px <= 0:
        return f"non-positive px/sz {fill.px}/{fill.sz}"
    if sz > _QTY_MAX or px > _PX_MAX or abs(fee) > _MONEY_MAX:
        return f"px/sz/fee beyond what Nautilus can hold {fill.px}/{fill.sz}/{fill.fee}"
    if fill.side not in ("A", "B"):
        return f"unknown side {fill.side!r}"
    if instrument is not None:
        if -sz.normalize().as_tuple().exponent > instrument.size_precision:  # type: ignore[operator]
            return f"size {fill.sz} has more decimals than {instrument.id}'s size precision"
        if round(px, instrument.price_precision) <= 0:
            return f"price {fill.px} rounds to zero at {instrument.id}'s price precision"
    return None


def fill_report(
    fill: Fill,
    instrument: Instrument,
    account_id: AccountId,
    client_order_id: ClientOrderId | None,
    ts_init: int,
    venue_order_id: VenueOrderId | None = None,
) -> FillReport:
    return FillReport(
        account_id=account_id,
        instrument_id=instrument.id,
        client_order_id=client_order_id,
        venue_order_id=venue_order_id or VenueOrderId(str(fill.oid)),
        trade_id=TradeId(str(fill.tid)),
        order_side=side_of(fill.side),
        last_qty=qty_of(fill.sz, instrument),
        last_px=price_of(fill.px, instrument),
        commission=Money(Decimal(fill.fee), USDC),
        liquidity_side=LiquiditySide.TAKER if fill.crossed else LiquiditySide.MAKER,
        report_id=UUID4(),
        ts_event=fill.time * _NS_PER_MS,
        ts_init=ts_init,
    )


def position_reports(
    state: ClearinghouseState,
    instruments_by_coin: dict[str, Instrument],
    account_id: AccountId,
    ts_init: int,
    flat_unless_held: Collection[InstrumentId] = (),
) -> list[PositionStatusReport]:
    """One report per listed coin with a position; a flat coin only when it is in `flat_unless_held`
    (instruments the node holds a position on: a flat report is how reconciliation closes it)."""
    reports = []
    ts_last = (state.time or 0) * _NS_PER_MS or ts_init
    for asset_position in state.assetPositions:
        position = asset_position.position
        instrument = instruments_by_coin.get(position.coin)
        if instrument is None:
            continue
        szi = exchange_decimal(f"{position.coin} szi", position.szi)
        if szi == 0:
            continue
        reports.append(
            PositionStatusReport(
                account_id=account_id,
                instrument_id=instrument.id,
                position_side=PositionSide.LONG if szi > 0 else PositionSide.SHORT,
                quantity=qty_of(abs(szi), instrument),
                avg_px_open=exchange_decimal(f"{position.coin} entryPx", position.entryPx) if position.entryPx else None,
                report_id=UUID4(),
                ts_last=ts_last,
                ts_init=ts_init,
            )
        )
    reported = {r.instrument_id for r in reports}
    listed = {instrument.id: instrument for instrument in instruments_by_coin.values()}
    for instrument_id in flat_unless_held:
        instrument = listed.get(instrument_id)
        if instrument is not None and instrument_id not in reported:
            reports.append(PositionStatusReport(
                account_id=account_id, instrument_id=instrument_id, position_side=PositionSide.FLAT,
                quantity=Quantity.zero(instrument.size_precision), report_id=UUID4(), ts_last=ts_last, ts_init=ts_init,
            ))
    return reports


def account_balance(state: ClearinghouseState) -> AccountBalance:
    """USDC balance: total = the wallet balance, i.e. account value minus the positions' unrealized
    PnL (Nautilus adds unrealized PnL itself, as with Binance's `walletBalance`; taking
    `accountValue` as is would count it twice in equity); locked = margin used (capped at the total)."""
    unrealized = sum(
        (exchange_decimal(f"{p.position.coin} unrealizedPnl", p.position.unrealizedPnl) for p in state.assetPositions),
        Decimal(0),
    )
    total = exchange_decimal("accountValue", state.marginSummary.accountValue) - unrealized
    used = exchange_decimal("totalMarginUsed", state.marginSummary.totalMarginUsed)
    if abs(total) > _MONEY_MAX:
        raise ValueError(f"exchange sent an accountValue beyond what Nautilus can hold: {total + unrealized}")
    locked = min(max(used, Decimal(0)), max(total, Decimal(0)))
    return AccountBalance(Money(total, USDC), Money(locked, USDC), Money(total - locked, USDC))
