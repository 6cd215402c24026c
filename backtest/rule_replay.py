"""Replay a finished backtest's own orders through a shadow matcher, on the backtest's data.

With the orders held fixed (each one arrives, moves and leaves exactly when it did at the
backtest's venue), the only thing that can make the fills differ is the matching rule. This is
how the comparison separates "different rules" from "different orders" (timing, strategy state).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.events import OrderAccepted
from nautilus_trader.model.events import OrderCanceled
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.events import OrderUpdated

from simulation.matcher import QueueMatcher
from simulation.matcher import window_sizes

_F_LAST = int(RecordFlag.F_LAST)


@dataclass(frozen=True, slots=True)
class ReplayFill:
    ts: int
    key: str
    is_buy: bool
    price: float
    qty: float


def order_timeline(orders: list[Any]) -> list[tuple[int, str, str, bool, float, float]]:
    """(ts, "add"|"modify"|"remove", key, is_buy, price, qty) of each limit order at the venue."""
    out = []
    for order in orders:
        if order.price is None:
            continue
        key = str(order.client_order_id)
        is_buy = order.side == OrderSide.BUY
        price = float(order.events[0].options["price"])
        qty = float(order.events[0].quantity)
        for ev in order.events:
            if isinstance(ev, OrderAccepted):
                out.append((ev.ts_event, "add", key, is_buy, price, qty))
            elif isinstance(ev, OrderUpdated):
                price = float(ev.price) if ev.price is not None else price
                qty = float(ev.quantity)
                out.append((ev.ts_event, "modify", key, is_buy, price, qty))
            elif isinstance(ev, OrderCanceled):
                out.append((ev.ts_event, "remove", key, is_buy, price, qty))
    out.sort(key=lambda e: e[0])
    return out


def venue_fills(orders: list[Any]) -> list[ReplayFill]:
    """The fills the backtest venue gave the same orders."""
    return sorted(
        (
            ReplayFill(ev.ts_event, str(o.client_order_id), ev.order_side == OrderSide.BUY, float(ev.last_px), float(ev.last_qty))
            for o in orders for ev in o.events if isinstance(ev, OrderFilled)
        ),
        key=lambda f: f.ts,
    )


def replay(data: list[Any], timeline: list[tuple], matcher: QueueMatcher, instrument_id: Any) -> list[ReplayFill]:
    """Feed `data` (deltas, trades; other items ignored) and the orders' `timeline` to `matcher`;
    an order event at the same time as a data item is applied first (commands due are processed
    before the data, as at the backtest venue)."""
    book = OrderBook(instrument_id, BookType.L2_MBP)
    fills: list[ReplayFill] = []
    i = 0

    def collect(ts: int, new: list) -> None:
        fills.extend(ReplayFill(ts, f.key, f.is_buy, f.price, f.qty) for f in new)

    def level_size(is_buy: bool, price: float) -> float | None:
        return window_sizes(book)(is_buy, price)

    for item in data:
        ts = item.ts_init
        while i < len(timeline) and timeline[i][0] <= ts:
            _, kind, key, is_buy, price, qty = timeline[i]
            i += 1
            if kind == "add":
                if key not in matcher:
                    matcher.add(key, is_buy, price, qty, level_size(is_buy, price))
            elif kind == "modify":
                old = matcher.remove(key)
                if old is not None and qty - old.filled > 0:
                    matcher.add(key, is_buy, price, qty, level_size(is_buy, price)).filled = old.filled
            else:
                matcher.remove(key)
        if isinstance(item, OrderBookDelta):
            book.apply_delta(item)
            if item.flags & _F_LAST:
                bid, ask = book.best_bid_price(), book.best_ask_price()
                collect(ts, matcher.on_book(
                    None if bid is None else float(bid), None if ask is None else float(ask), window_sizes(book),
                ))
        elif isinstance(item, TradeTick):
            collect(ts, matcher.on_trade(float(item.price), float(item.size), item.aggressor_side == AggressorSide.BUYER))
    return fills
