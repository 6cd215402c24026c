"""Re-quote planning that keeps queue priority: touch a resting order only when it matters."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from mm_strategy.quoting.ladder import Quote


class Action(Enum):
    PLACE = "place"
    MODIFY = "modify"
    CANCEL = "cancel"


class Resting(NamedTuple):
    """One of our orders as the planner sees it; `ref` is opaque (a client order id).
    (Immutable tuples: several are built per book event.)"""

    level: int
    price: float
    size: float  # original size (partial fills do not trigger a top-up)
    ref: object
    busy: bool = False  # a command is in flight: leave it alone until it settles


class Step(NamedTuple):
    action: Action
    level: int
    price: float = 0.0
    size: float = 0.0
    ref: object = None


def plan_side(
    targets: list[Quote],
    resting: list[Resting],
    tick: float,
    tolerance_ticks: int,
    size_tolerance: float = 0.25,
    use_modify: bool = True,
) -> list[Step]:
    """Steps turning `resting` into `targets` for one side.

    A resting order stays while its price is within `tolerance_ticks` of the target and its size
    within `size_tolerance` (relative) of the target; otherwise it is modified (one action, the
    venue treats it as cancel-replace) or, with `use_modify=False`, cancelled and replaced.
    """
    want = {q.level: q for q in targets}
    steps: list[Step] = []
    seen: set[int] = set()
    for order in resting:
        if order.level in seen:  # a duplicate for a level: keep one only
            if not order.busy:
                steps.append(Step(Action.CANCEL, order.level, ref=order.ref))
            continue
        seen.add(order.level)
        if order.busy:
            continue
        target = want.get(order.level)
        if target is None:
            steps.append(Step(Action.CANCEL, order.level, ref=order.ref))
            continue
        price_off = abs(target.price - order.price) > tolerance_ticks * tick + 1e-12
        size_off = abs(target.size - order.size) > size_tolerance * target.size + 1e-12
        if price_off or size_off:
            if use_modify:
                steps.append(Step(Action.MODIFY, order.level, target.price, target.size, order.ref))
            else:
                steps.append(Step(Action.CANCEL, order.level, ref=order.ref))
                steps.append(Step(Action.PLACE, order.level, target.price, target.size))
    for level, q in want.items():
        if level not in seen:
            steps.append(Step(Action.PLACE, level, q.price, q.size))
    return steps


def crossed_by_market(is_bid: bool, price: float, best_bid: float, best_ask: float) -> bool:
    """A resting quote the market now trades through: a bid at or above the best ask, an ask at or
    below the best bid. Its cancel is the most urgent action of the event (it can fill against us)."""
    return price >= best_ask if is_bid else price <= best_bid


def urgent_first(cancels: list, key, best_bid: float, best_ask: float) -> list:
    """`cancels` with those whose quote the market crosses first, otherwise in the plan's order
    (stable); `key(c)` gives a cancel's (is_bid, price)."""
    return sorted(cancels, key=lambda c: not crossed_by_market(*key(c), best_bid, best_ask))
