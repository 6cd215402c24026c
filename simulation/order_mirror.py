"""A venue's resting limit orders mirrored into a `QueueMatcher` (engine-free, pure).

The backtest's queue-rule fills (`backtest.queue_fills`) leave the orders themselves with the
Nautilus venue: it accepts, modifies, cancels and records fills. This mirror keeps the matcher
holding exactly what rests there, so that the matcher only decides *when* and *how much* fills:

- `sync` is given every open limit order as the venue sees it. A new one joins the queue behind
  the size displayed at its price (or, while the book is between two deltas of one event, at the
  event's end: a level half-way through its changes is no size to queue behind). A modified one
  (another price or size) takes a new place at the back: Hyperliquid's modify is a cancel and a new
  order. One no longer there (cancelled, filled, expired) leaves the matcher.
- The venue's filled quantity is the truth. A fill the venue made by itself is adopted and never
  made again; a fill the matcher decided but the venue did not apply is forgotten. So no size is
  ever filled twice: what the matcher can still fill is the order's quantity less what the venue
  has filled, as of the last sync.
- `LevelBook` is the displayed book the matcher needs (size per price per side, the best prices, the
  window's edges), fed one delta at a time by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from simulation.matcher import QueueMatcher
from simulation.matcher import SizeAt
from simulation.matcher import VirtualFill
from simulation.matcher import level_sizes


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """One open limit order as the venue holds it: `quantity` is its whole size (as last modified),
    `filled` what the venue has filled of it so far."""

    key: str
    is_buy: bool
    price: float
    quantity: float
    filled: float


class LevelBook:
    """Displayed size per price of one L2 book (no queue, no orders): what the matcher queues behind."""

    __slots__ = ("asks", "bids")

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}

    def clear(self) -> None:
        self.bids.clear()
        self.asks.clear()

    def set(self, is_bid: bool, price: float, size: float) -> None:
        """An ADD or UPDATE; a size of zero (an UPDATE to nothing) removes the level, as the venue's book does."""
        levels = self.bids if is_bid else self.asks
        if size > 0.0:
            levels[price] = size
        else:
            levels.pop(price, None)

    def delete(self, is_bid: bool, price: float) -> None:
        (self.bids if is_bid else self.asks).pop(price, None)

    def best_bid(self) -> float | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> float | None:
        return min(self.asks) if self.asks else None

    def sizes(self) -> SizeAt:
        """Size at a price now: 0 for an empty price inside the window, None beyond its deepest level."""
        return level_sizes(self.bids, self.asks)


class OrderMirror:
    """The matcher of one instrument, kept equal to the venue's resting orders by `sync`."""

    def __init__(self, matcher: QueueMatcher) -> None:
        self.matcher = matcher
        self._dust = matcher.lot * 1e-6  # below this nothing is left of an order
        # The best prices resting as of the last sync: only a level reaching them can cross one.
        # Fills since then only take orders away, so these stay on the safe side (a check too many).
        self._highest_buy = -math.inf
        self._lowest_sell = math.inf
        # what sync has seen, for the run's diagnostics
        self.added = 0
        self.replaced = 0
        self.removed = 0
        self.adopted = 0

    def __len__(self) -> int:
        return len(self.matcher)

    def sync(self, resting: Iterable[RestingOrder], sizes: SizeAt | None) -> None:
        """Make the matcher hold exactly `resting` (every open limit order of the instrument).
        `sizes`: the displayed book now; None while it is in the middle of one event."""
        matcher = self.matcher
        seen: set[str] = set()
        for venue in resting:
            seen.add(venue.key)
            mine = matcher.get(venue.key)
            if mine is not None and (
                mine.price != venue.price or mine.quantity != venue.quantity or mine.is_buy != venue.is_buy
            ):
                matcher.remove(venue.key)  # modified: a new order at the back of its (new) level
                mine = None
                self.replaced += 1
            if mine is None:
                if venue.quantity - venue.filled <= self._dust:
                    continue
                level = sizes(venue.is_buy, venue.price) if sizes is not None else None
                matcher.add(venue.key, venue.is_buy, venue.price, venue.quantity, level).filled = venue.filled
                self.added += 1
            elif abs(mine.filled - venue.filled) > self._dust:
                mine.filled = venue.filled  # the venue's count wins (see the module's docstring)
                self.adopted += 1
                if mine.remaining <= self._dust:
                    matcher.remove(venue.key)
        gone = [order.key for order in matcher.orders() if order.key not in seen]
        for key in gone:
            matcher.remove(key)
        self.removed += len(gone)
        self._highest_buy = max((o.price for o in matcher.orders() if o.is_buy), default=-math.inf)
        self._lowest_sell = min((o.price for o in matcher.orders() if not o.is_buy), default=math.inf)

    def on_trade(self, price: float, qty: float, aggressor_is_buy: bool) -> list[VirtualFill]:
        return self.matcher.on_trade(price, qty, aggressor_is_buy)

    def on_book(self, book: LevelBook) -> list[VirtualFill]:
        """The book at the end of one event: crosses fill, queues follow their levels."""
        return self.matcher.on_book(book.best_bid(), book.best_ask(), book.sizes())

    def on_level(self, book: LevelBook, is_bid: bool, price: float) -> list[VirtualFill]:
        """The book between two deltas of one event, just after the level (`is_bid`, `price`) was
        added or changed: only crosses fill. Only such a level on the opposite side, at or through
        one of our prices, can have made one (a delete or a clear only takes liquidity away)."""
        reaches = price >= self._lowest_sell if is_bid else price <= self._highest_buy
        return self.matcher.on_cross(book.best_bid(), book.best_ask()) if reaches else []
