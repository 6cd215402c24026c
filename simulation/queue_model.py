"""Queue-position rules for a resting order behind displayed size (engine-free, pure).

A resting order only knows the size displayed at its price when it arrived (`front`, the
quantity ahead of it). Two things move it forward:
- a trade at its price: the traded size leaves the front of the queue first;
- size that leaves the level without a trade (cancels): it may have been ahead or behind.

Rules (after hftbacktest's `RiskAdverseQueueModel` and `ProbQueueModel`, re-derived here):
- `ConservativeQueue`: a cancel only helps when the level shrinks below our front:
  `front = min(front, level size)`.
- `ProbQueue(prob)`: a decrease of `chg` (net of trades already counted) is split between
  ahead and behind; with `p = prob(front, back)` the share behind, the estimate is
  `front - (1 - p) * chg + min(back - p * chg, 0)`, then capped by the new level size.
  `prob` is one of the family below (`f(back) / (f(back) + f(front))` etc.).

Quantities are floats in coin units; `filled_qty` turns a negative front into whole lots.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

ProbFn = Callable[[float, float], float]


@dataclass(slots=True)
class QueuePosition:
    """Estimated size ahead of one resting order; `cum_trade` is traded size not yet seen in depth."""

    front: float
    cum_trade: float = 0.0


class QueueRule(Protocol):
    name: str

    def on_trade(self, pos: QueuePosition, qty: float) -> None: ...

    def on_depth(self, pos: QueuePosition, prev_qty: float, new_qty: float) -> None: ...


def new_position(level_qty: float) -> QueuePosition:
    """A new order joins behind everything displayed at its price."""
    return QueuePosition(front=max(level_qty, 0.0))


def filled_qty(pos: QueuePosition, lot: float) -> float:
    """Size (whole lots) the queue has run past this order; 0 while size is still ahead."""
    if pos.front >= 0.0:
        return 0.0
    lots = math.floor(-pos.front / lot + 1e-9)
    return lots * lot


class ConservativeQueue:
    """Trades advance the queue; other decreases only cap it (`front = min(front, level size)`)."""

    name = "conservative"

    def on_trade(self, pos: QueuePosition, qty: float) -> None:
        pos.front -= qty
        pos.cum_trade += qty

    def on_depth(self, pos: QueuePosition, prev_qty: float, new_qty: float) -> None:
        pos.cum_trade = 0.0
        pos.front = min(pos.front, new_qty)


class ProbQueue:
    """hftbacktest's probabilistic family: a decrease is ahead of us with probability 1 - prob(front, back)."""

    def __init__(self, prob: ProbFn, name: str) -> None:
        self.prob = prob
        self.name = name

    def on_trade(self, pos: QueuePosition, qty: float) -> None:
        pos.front -= qty
        pos.cum_trade += qty

    def on_depth(self, pos: QueuePosition, prev_qty: float, new_qty: float) -> None:
        # Trades at this level already moved the front; do not count their depth decrease twice.
        chg = prev_qty - new_qty - pos.cum_trade
        pos.cum_trade = 0.0
        if chg < 0.0:
            pos.front = min(pos.front, new_qty)
            return
        front = pos.front
        back = prev_qty - front
        p = self.prob(front, back)
        if not math.isfinite(p):
            p = 1.0
        est = front - (1.0 - p) * chg + min(back - p * chg, 0.0)
        pos.front = min(est, new_qty)


def _safe_ratio(num: float, den: float) -> float:
    return num / den if den != 0.0 else math.inf


def power_prob(n: float) -> ProbFn:
    """f(back) / (f(back) + f(front)), f(x) = x**n."""
    return lambda front, back: _safe_ratio(max(back, 0.0) ** n, max(back, 0.0) ** n + max(front, 0.0) ** n)


def power_prob2(n: float) -> ProbFn:
    """f(back) / f(back + front), f(x) = x**n."""
    return lambda front, back: _safe_ratio(max(back, 0.0) ** n, max(back + front, 0.0) ** n)


def power_prob3(n: float) -> ProbFn:
    """1 - f(front / (front + back)), f(x) = x**n."""
    def prob(front: float, back: float) -> float:
        total = front + back
        if total <= 0.0:
            return math.inf
        return 1.0 - max(front / total, 0.0) ** n

    return prob


def log_prob(front: float, back: float) -> float:
    """f(back) / (f(back) + f(front)), f(x) = log(1 + x)."""
    fb, ff = math.log1p(max(back, 0.0)), math.log1p(max(front, 0.0))
    return _safe_ratio(fb, fb + ff)


def log_prob2(front: float, back: float) -> float:
    """f(back) / f(back + front), f(x) = log(1 + x)."""
    return _safe_ratio(math.log1p(max(back, 0.0)), math.log1p(max(back + front, 0.0)))


QUEUE_RULES = ("conservative", "power", "power2", "power3", "log", "log2")


def make_queue_rule(name: str, n: float = 2.0) -> QueueRule:
    """A rule by name: `conservative`, `power`/`power2`/`power3` (exponent n), `log`, `log2`."""
    if name == "conservative":
        return ConservativeQueue()
    if name == "power":
        return ProbQueue(power_prob(n), name)
    if name == "power2":
        return ProbQueue(power_prob2(n), name)
    if name == "power3":
        return ProbQueue(power_prob3(n), name)
    if name == "log":
        return ProbQueue(log_prob, name)
    if name == "log2":
        return ProbQueue(log_prob2, name)
    raise ValueError(f"unknown queue rule {name!r}; expected one of {', '.join(QUEUE_RULES)}")
