"""Estimated size ahead of each of our resting orders, from samples of the book and the trades
printed since the previous sample (engine-free, pure).

The rules are `simulation.queue_model`'s (the ones hlsim and the shadow client apply), fed at the
dashboard's sampling pace instead of per event, so that nothing runs on the strategy's book path:

- an order first seen joins behind everything the book shows at its price *besides our own
  orders* (`new_position`); Hyperliquid's (and hlsim's) L2 levels include our resting size, a
  shadow run's virtual orders are not in the book (`own_orders_displayed=False`);
- each trade at its price by the opposite side advances it (`rule.on_trade`); a trade through its
  price means the whole level was taken, so nothing is ahead any more;
- then the level's change since the last sample goes through `rule.on_depth` (the rule nets out
  the traded size it already counted), and the front is floored at zero, as `QueueMatcher` does;
- a price beyond the displayed window has an unknown queue (None) until it shows;
- an order whose price or side changed (a modify: a new order at the back on Hyperliquid) starts over.

Sampling loses the order of trades and depth changes inside one interval: the figure is an
estimate, like the shadow client's, never a fill decision.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass

from simulation.queue_model import QueuePosition
from simulation.queue_model import QueueRule
from simulation.queue_model import make_queue_rule
from simulation.queue_model import new_position

# Displayed size at (is_bid_side, price): 0.0 for an empty price inside the window, None beyond it.
SizeAt = Callable[[bool, float], float | None]


@dataclass(frozen=True, slots=True)
class RestingOrder:
    """One of our open orders as the book sees it: `size` is what is still resting (leaves)."""

    key: str
    is_buy: bool
    price: float
    size: float


@dataclass(frozen=True, slots=True)
class PrintedTrade:
    """A public trade since the previous sample."""

    price: float
    size: float
    aggressor_is_buy: bool


@dataclass(slots=True)
class _Tracked:
    is_buy: bool
    price: float
    queue: QueuePosition | None  # None: its price has not shown in the window yet
    level_qty: float  # others' size at its price at the last sample


class QueueEstimate:
    """The queues of one instrument's resting orders; `update` once per sample."""

    def __init__(self, rule: QueueRule | None = None, *, own_orders_displayed: bool = True) -> None:
        self.rule = rule if rule is not None else make_queue_rule("conservative")
        self.own_orders_displayed = own_orders_displayed
        self._orders: dict[str, _Tracked] = {}

    def __len__(self) -> int:
        return len(self._orders)

    def update(
        self, orders: Sequence[RestingOrder], size_at: SizeAt, trades: Iterable[PrintedTrade] = ()
    ) -> dict[str, float | None]:
        """Advance every known order by `trades` and the book's change, start the new ones from
        the book as it is now; returns the size ahead of each order (None: unknown)."""
        trades = list(trades)
        own = self._own_sizes(orders)
        live = {o.key for o in orders}
        for key in [k for k in self._orders if k not in live]:
            del self._orders[key]
        ahead: dict[str, float | None] = {}
        for order in orders:
            others = self._others(order, size_at, own)
            tracked = self._orders.get(order.key)
            if tracked is None or tracked.price != order.price or tracked.is_buy != order.is_buy:
                tracked = self._start(order, others)
            elif tracked.queue is None:
                if others is not None:
                    tracked.queue, tracked.level_qty = new_position(others), others
            else:
                self._advance(tracked, trades, others)
            ahead[order.key] = None if tracked.queue is None else max(tracked.queue.front, 0.0)
        return ahead

    def _start(self, order: RestingOrder, others: float | None) -> _Tracked:
        # Trades of this interval are already in the book it joins behind: none are applied.
        queue = None if others is None else new_position(others)
        tracked = _Tracked(order.is_buy, order.price, queue, others or 0.0)
        self._orders[order.key] = tracked
        return tracked

    def _advance(self, tracked: _Tracked, trades: list[PrintedTrade], others: float | None) -> None:
        queue = tracked.queue
        assert queue is not None
        for trade in trades:
            if trade.aggressor_is_buy == tracked.is_buy:
                continue  # same side as the taker: it does not reach our side of the book
            through = trade.price < tracked.price if tracked.is_buy else trade.price > tracked.price
            if through:
                queue.front = 0.0  # the whole level traded: nothing is ahead any more
            elif trade.price == tracked.price:
                self.rule.on_trade(queue, trade.size)
        if others is None:
            return  # the price left the window: its size is unknown, not cancelled
        if others != tracked.level_qty:
            self.rule.on_depth(queue, tracked.level_qty, others)
        queue.front = max(queue.front, 0.0)
        queue.cum_trade = 0.0
        tracked.level_qty = others

    def _others(self, order: RestingOrder, size_at: SizeAt, own: dict[tuple[bool, float], float]) -> float | None:
        displayed = size_at(order.is_buy, order.price)
        if displayed is None or not math.isfinite(displayed):
            return None
        if self.own_orders_displayed:
            displayed -= own.get((order.is_buy, order.price), 0.0)
        return max(displayed, 0.0)

    @staticmethod
    def _own_sizes(orders: Sequence[RestingOrder]) -> dict[tuple[bool, float], float]:
        own: dict[tuple[bool, float], float] = {}
        for o in orders:
            own[(o.is_buy, o.price)] = own.get((o.is_buy, o.price), 0.0) + o.size
        return own
