"""The market's own top of book: the exchange's book with our resting orders taken out.

Hyperliquid's `l2Book` shows every resting order, ours too (a backtest's book, built from recorded
market data, holds none of ours). A quote computed from a touch that is our own order chases
itself: the fair price leans on our own size, and each re-quote moves the touch it was computed
from, so the next book event re-quotes again. The touch a quote is computed from is therefore the
first level on each side that holds more than our own orders there.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence


def own_size_at(own: Sequence[tuple[float, float]], price: float, price_tolerance: float) -> float:
    """What we rest at `price` (our orders as (price, size) pairs; prices within the tolerance match)."""
    return sum(size for p, size in own if abs(p - price) <= price_tolerance)


def market_touch(
    levels: Iterable[tuple[float, float]], own: Sequence[tuple[float, float]], price_tolerance: float,
    size_tolerance: float,
) -> tuple[float, float] | None:
    """The best level of one side (`levels` as (price, size), best first) that holds more than our
    own orders `own` at its price, as (price, size of the others' orders there); None when every
    level is ours (the market has no price on that side).

    `price_tolerance`: half a tick (float prices of one grid point compare equal within it);
    `size_tolerance`: half a lot (a level holding only our orders leaves float noise, not size)."""
    for price, size in levels:
        others = size - own_size_at(own, price, price_tolerance)
        if others > size_tolerance:
            return price, others
    return None
