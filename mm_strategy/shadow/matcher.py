"""Virtual resting orders filled by the queue-position estimator (engine-free, pure).

One `QueueMatcher` per instrument holds the shadow orders resting on one coin's book. The rules are
those of `mm_strategy.queue_model` (the ones hlsim applies to its users' orders):

- An order joins behind everything displayed at its price when it arrives (`new_position`).
- A trade at its price advances it by the traded size (`rule.on_trade`); a trade *through* its
  price (a sell printing below our bid, a buy above our ask) means the whole level was taken,
  so the order fills completely.
- A change of the displayed size at its price (cancels, adds) goes through `rule.on_depth`; it
  never fills by itself (the front is floored at zero) and a price beyond the deepest displayed
  level has an unknown size, so it is left alone (a level leaving the window is not a cancel).
- After a partial fill the order is at the front of the queue (front 0).
- A book whose opposite side reaches its price (best ask <= our bid) fills it completely: that
  size could only have arrived by trading with the orders resting there.
- Post-only (ALO) orders that would cross the book are refused with the venue's error text.

Every fill is at the order's own limit price (it is a maker fill); sizes are whole lots.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass

from mm_strategy.queue_model import QueuePosition
from mm_strategy.queue_model import QueueRule
from mm_strategy.queue_model import filled_qty
from mm_strategy.queue_model import new_position

# size displayed at (is_bid_side, price) in the current book: 0.0 for an empty level inside the
# displayed window, None beyond it (unknown)
SizeAt = Callable[[bool, float], float | None]


@dataclass(slots=True)
class VirtualOrder:
    """A shadow order resting at `price` with its estimated place in the queue."""

    key: str
    is_buy: bool
    price: float
    quantity: float
    queue: QueuePosition
    level_qty: float  # displayed size at its price when last seen
    filled: float = 0.0

    @property
    def remaining(self) -> float:
        return self.quantity - self.filled


@dataclass(frozen=True, slots=True)
class VirtualFill:
    key: str
    qty: float
    price: float
    is_buy: bool
    closed: bool  # the order is now completely filled (and removed from the matcher)


def post_only_rejection(is_buy: bool, price: float, best_bid: float | None, best_ask: float | None) -> str | None:
    """The venue's error text when an ALO order would take liquidity, else None."""
    crosses = (best_ask is not None and price >= best_ask) if is_buy else (best_bid is not None and price <= best_bid)
    if not crosses:
        return None
    bid = "None" if best_bid is None else f"{best_bid:g}"
    ask = "None" if best_ask is None else f"{best_ask:g}"
    return f"Post only order would have immediately matched, bbo was {bid}@{ask}."


class QueueMatcher:
    """Shadow orders of one instrument; feed it trades and book changes, get fills back."""

    def __init__(self, rule: QueueRule, lot: float) -> None:
        if lot <= 0.0 or not math.isfinite(lot):
            raise ValueError(f"lot must be a positive number, got {lot!r}")
        self.rule = rule
        self.lot = lot
        self._orders: dict[str, VirtualOrder] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def __contains__(self, key: str) -> bool:
        return key in self._orders

    def orders(self) -> Iterator[VirtualOrder]:
        return iter(list(self._orders.values()))

    def get(self, key: str) -> VirtualOrder | None:
        return self._orders.get(key)

    def add(self, key: str, is_buy: bool, price: float, quantity: float, level_qty: float) -> VirtualOrder:
        """Rest a new order behind `level_qty` (the size displayed at its price right now)."""
        if key in self._orders:
            raise ValueError(f"order {key} is already resting")
        if not (price > 0.0 and quantity > 0.0):
            raise ValueError(f"order {key}: price and quantity must be positive")
        order = VirtualOrder(key, is_buy, price, quantity, new_position(level_qty), max(level_qty, 0.0))
        self._orders[key] = order
        return order

    def remove(self, key: str) -> VirtualOrder | None:
        return self._orders.pop(key, None)

    def on_trade(self, price: float, qty: float, aggressor_is_buy: bool) -> list[VirtualFill]:
        """A public trade: a buy aggressor lifts asks (our sells), a sell aggressor hits bids."""
        fills: list[VirtualFill] = []
        for order in self.orders():
            if order.is_buy == aggressor_is_buy:
                continue  # same side as the taker: not touched
            through = price < order.price if order.is_buy else price > order.price
            if through:
                fills.append(self._fill(order, order.remaining))
            elif price == order.price:
                self.rule.on_trade(order.queue, qty)
                fill = self._queue_progress(order)
                if fill is not None:
                    fills.append(fill)
        return fills

    def on_book(self, best_bid: float | None, best_ask: float | None, size_at: SizeAt) -> list[VirtualFill]:
        """The book after one event: crossed orders fill, the others' queues follow their level."""
        fills: list[VirtualFill] = []
        for order in self.orders():
            crossed = (
                (best_ask is not None and best_ask <= order.price)
                if order.is_buy
                else (best_bid is not None and best_bid >= order.price)
            )
            if crossed:
                fills.append(self._fill(order, order.remaining))
                continue
            new_qty = size_at(order.is_buy, order.price)
            if new_qty is not None and new_qty != order.level_qty:
                self.rule.on_depth(order.queue, order.level_qty, new_qty)
                order.queue.front = max(order.queue.front, 0.0)
                order.level_qty = new_qty
        return fills

    def _queue_progress(self, order: VirtualOrder) -> VirtualFill | None:
        qty = min(self._lots(filled_qty(order.queue, self.lot)), self._lots(order.remaining))
        if qty <= 0.0:
            return None
        fill = self._fill(order, qty)
        if not fill.closed:
            order.queue.front = max(order.queue.front + qty, 0.0)
        return fill

    def _fill(self, order: VirtualOrder, qty: float) -> VirtualFill:
        qty = min(self._lots(qty), self._lots(order.remaining))
        order.filled += qty
        closed = order.remaining <= self.lot * 1e-6
        if closed:
            self._orders.pop(order.key, None)
        return VirtualFill(order.key, qty, order.price, order.is_buy, closed)

    def _lots(self, qty: float) -> float:
        lots = math.floor(qty / self.lot + 1e-9)
        return max(lots, 0) * self.lot
