"""The rejection circuit breaker: orders of one instrument rejected again and again for a reason that
sending them again cannot cure stop the quoting of that instrument, instead of being retried forever.
Margin is the exception: reducing what is held frees it, so that trip leaves the reducing side quoted
(`BreakerTrip.reducing_cures`), or the position it cannot margin would be left unmanaged.

Counted: the kinds where the next order would be refused the same way (the account cannot margin it,
its price or size breaks the exchange's rules, it is under the minimum value, the account has too many
open orders). Not counted: what passes by itself or is a maker's everyday cost (an ALO order that
would cross, a modify of an order that just filled, a nonce, a request that never arrived, a reduce-only
order after the position changed) and what the exchange said that we do not recognise.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.hyperliquid.common.repeats import RepeatCounter
from adapters.hyperliquid.common.repeats import counter_of
from adapters.hyperliquid.parsing.rejections import RejectionKind
from adapters.hyperliquid.parsing.rejections import classify_rejection

_NS_PER_SEC = 1_000_000_000

INCURABLE: frozenset[RejectionKind] = frozenset({
    RejectionKind.INSUFFICIENT_MARGIN,
    RejectionKind.PRICE_RULE,
    RejectionKind.INVALID_SIZE,
    RejectionKind.MIN_VALUE,
    RejectionKind.OPEN_ORDER_LIMIT,
})


@dataclass(frozen=True, slots=True)
class BreakerTrip:
    """Why the breaker tripped: `count` rejections of `kind` within `window_secs`, the last for `last_reason`."""

    kind: RejectionKind
    count: int
    window_secs: float
    last_reason: str

    def describe(self) -> str:
        return f"{self.count} orders rejected as {self.kind} within {self.window_secs:g} s (last: {self.last_reason})"

    @property
    def reducing_cures(self) -> bool:
        """Whether orders that reduce the position still pass: the exchange margins what an order adds."""
        return self.kind is RejectionKind.INSUFFICIENT_MARGIN


class RejectionBreaker:
    """Counts one instrument's rejections by kind; trips (once, for good) at `threshold` of one
    incurable kind within `window_secs`."""

    def __init__(self, threshold: int, window_secs: float) -> None:
        if threshold < 1 or not window_secs > 0:
            raise ValueError("the rejection breaker needs a count >= 1 and a window > 0 s")
        self.threshold = threshold
        self.window_secs = window_secs
        self._window_ns = int(window_secs * _NS_PER_SEC)
        self._counters: dict[RejectionKind, RepeatCounter] = {}
        self.tripped: BreakerTrip | None = None

    def on_rejected(self, reason: str, now_ns: int) -> BreakerTrip | None:
        """One order (or modify) rejected for `reason` at `now_ns`; the trip when this one trips the
        breaker, else None (also once it has tripped: it trips only once)."""
        if self.tripped is not None:
            return None
        kind = classify_rejection(reason)
        if kind not in INCURABLE:
            return None
        count = counter_of(self._counters, kind, self.threshold, self._window_ns).add(now_ns)
        if not count:
            return None
        self.tripped = BreakerTrip(kind, count, self.window_secs, reason)
        return self.tripped
