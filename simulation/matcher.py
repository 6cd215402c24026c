"""Virtual resting orders filled by the queue-position estimator (engine-free, pure).

One `QueueMatcher` per instrument holds the shadow orders resting on one coin's book. The rules are
those of `simulation.queue_model` (the ones hlsim applies to its users' orders):

- An order joins behind everything displayed at its price when it arrives (`new_position`).
- A trade at its price advances it by the traded size (`rule.on_trade`); a trade *through* its
  price (a sell printing below our bid, a buy above our ask) means the whole level was taken,
  so the order fills completely.
- A change of the displayed size at its price (cancels, adds) goes through `rule.on_depth`; it
  never fills by itself (the front is floored at zero) and a price beyond the deepest displayed
  level has an unknown size, so it is left alone (a level leaving the window is not a cancel).
- An order placed at a price beyond the displayed window (size unknown) has an unknown queue: it
  joins behind whatever is displayed at its price when the price first enters the window, and
  until then trades at its price do not advance it (only a trade through or a cross fills it).
  Joining such an order at the front (size 0) made every order of a ladder wider than the
  window look first in line, an optimistic bias (the l2Book `fast` feed shows only 5 levels).
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
from typing import Any

from simulation.queue_model import QueuePosition
from simulation.queue_model import QueueRule
from simulation.queue_model import filled_qty
from simulation.queue_model import new_position

# The matchers a shadow client can run: the queue model (hlsim's rules) or the backtest venue's rules.
MATCHING_MODES = ("queue_model", "backtest_venue")

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
    level_qty: float | None  # displayed size at its price when last seen; None: never seen (beyond the window)
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


def _crossed(order: VirtualOrder, best_bid: float | None, best_ask: float | None) -> bool:
    """The opposite side has reached the order's price (it would trade now)."""
    if order.is_buy:
        return best_ask is not None and best_ask <= order.price
    return best_bid is not None and best_bid >= order.price


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

    def add(self, key: str, is_buy: bool, price: float, quantity: float, level_qty: float | None) -> VirtualOrder:
        """Rest a new order behind `level_qty` (the size displayed at its price right now; None when
        its price is beyond the displayed window: the queue is set when the price first shows)."""
        if key in self._orders:
            raise ValueError(f"order {key} is already resting")
        if not (price > 0.0 and quantity > 0.0):
            raise ValueError(f"order {key}: price and quantity must be positive")
        if level_qty is None:
            order = VirtualOrder(key, is_buy, price, quantity, QueuePosition(front=math.inf), None)
        else:
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
            elif price == order.price and order.level_qty is not None:
                self.rule.on_trade(order.queue, qty)
                fill = self._queue_progress(order)
                if fill is not None:
                    fills.append(fill)
        return fills

    def on_book(self, best_bid: float | None, best_ask: float | None, size_at: SizeAt) -> list[VirtualFill]:
        """The book after one event: crossed orders fill, the others' queues follow their level."""
        fills: list[VirtualFill] = []
        for order in self.orders():
            if _crossed(order, best_bid, best_ask):
                fills.append(self._fill(order, order.remaining))
                continue
            new_qty = size_at(order.is_buy, order.price)
            if new_qty is None:
                continue
            if order.level_qty is None:  # first sight of its price: join behind what is displayed
                order.queue = new_position(new_qty)
                order.level_qty = max(new_qty, 0.0)
            elif new_qty != order.level_qty:
                self.rule.on_depth(order.queue, order.level_qty, new_qty)
                order.queue.front = max(order.queue.front, 0.0)
                order.level_qty = new_qty
        return fills

    def on_cross(self, best_bid: float | None, best_ask: float | None) -> list[VirtualFill]:
        """Only the crossing part of `on_book`, for a book in the middle of one event: the orders the
        opposite side has reached fill completely; queues are left for the event's end (a level
        half-way through its changes is not a size to queue behind)."""
        return [self._fill(order, order.remaining) for order in self.orders() if _crossed(order, best_bid, best_ask)]

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


class BacktestVenueMatcher(QueueMatcher):
    """The rules of Nautilus's backtest venue as `run_backtest` configures it (L2 book,
    `trade_execution`, `queue_position`, `liquidity_consumption`), for comparing like with like.

    - An order joins behind the size its price shows in the venue's book (0 if none shows).
    - A trade at its price by the opposite side runs down the size ahead; once nothing is ahead,
      the trade's excess (and later trades) fill it, never more than the trade's size, shared by
      the orders it reaches.
    - A trade *through* its price fills it only when nothing is ahead (the venue does not infer
      that the level was taken), again limited by the trade's size.
    - Size leaving the level without a trade does not move it, except the level disappearing
      (a delete), which clears what is ahead. The opposite side reaching its price fills it.

    This is more conservative than `QueueMatcher` on trades through the price; it exists so a
    shadow run can be set to the backtest's rules (`ShadowExecClientConfig.matching`).
    """

    def add(self, key: str, is_buy: bool, price: float, quantity: float, level_qty: float | None) -> VirtualOrder:
        return super().add(key, is_buy, price, quantity, level_qty if level_qty is not None else 0.0)

    def on_trade(self, price: float, qty: float, aggressor_is_buy: bool) -> list[VirtualFill]:
        fills: list[VirtualFill] = []
        available = qty
        hit = [o for o in self.orders() if o.is_buy != aggressor_is_buy]
        hit.sort(key=lambda o: -o.price if o.is_buy else o.price)  # the venue matches best prices first
        for order in hit:
            if available <= 0.0:
                break
            through = price < order.price if order.is_buy else price > order.price
            if not through and price != order.price:
                continue
            usable = available
            if not through and order.queue.front > 0.0:
                before = order.queue.front
                order.queue.front = max(before - qty, 0.0)
                if order.queue.front > 0.0:
                    continue
                usable = min(available, qty - before)
            elif order.queue.front > 0.0:
                continue  # through, but size still ahead: the venue keeps it waiting
            fill_qty = min(self._lots(usable), self._lots(order.remaining))
            if fill_qty <= 0.0:
                continue
            available -= fill_qty
            fills.append(self._fill(order, fill_qty))
        return fills

    def on_book(self, best_bid: float | None, best_ask: float | None, size_at: SizeAt) -> list[VirtualFill]:
        fills: list[VirtualFill] = []
        for order in self.orders():
            if _crossed(order, best_bid, best_ask):
                fills.append(self._fill(order, order.remaining))
                continue
            new_qty = size_at(order.is_buy, order.price)
            if new_qty is not None:
                if new_qty <= 0.0 < order.level_qty:  # the level was deleted
                    order.queue.front = 0.0
                order.level_qty = new_qty
        return fills


def window_sizes(book: Any) -> SizeAt:
    """Displayed size at a price of `book` (anything with `bids()`/`asks()` levels that have `.price`
    and `.size()`, such as a Nautilus `OrderBook`): 0 for an empty price inside the window, None
    beyond the deepest level."""
    bids = {float(level.price): float(level.size()) for level in book.bids()}
    asks = {float(level.price): float(level.size()) for level in book.asks()}
    return level_sizes(bids, asks)


def level_sizes(bids: dict[float, float], asks: dict[float, float]) -> SizeAt:
    """`window_sizes` over a book held as price → size per side. The window's edges are those of the
    book when this is called: take a new one after the book changes."""
    bid_edge = min(bids) if bids else None
    ask_edge = max(asks) if asks else None

    def size_at(is_bid: bool, price: float) -> float | None:
        levels, edge = (bids, bid_edge) if is_bid else (asks, ask_edge)
        size = levels.get(price)
        if size is not None:
            return size
        if edge is None:
            return 0.0
        inside = price >= edge if is_bid else price <= edge
        return 0.0 if inside else None

    return size_at
