"""Exponential backoff with jitter: the one retry pace of the project (WS reconnects, HTTP 429s,
the screener feed's Redis reconnects, the reconnect catch-up).

Each wait doubles from `initial` up to `maximum` and is drawn in [0.5, 1.0] of its step, so many
clients that lost the same server do not come back in lock-step.
"""

from __future__ import annotations

import random


def backoff_delay(attempt: int, initial: float, maximum: float, rng: random.Random) -> float:
    """The wait before retry `attempt` (0 = the first retry)."""
    step = min(maximum, initial * (2 ** min(attempt, 62)))
    return step * rng.uniform(0.5, 1.0)


class Backoff:
    """The waits of one retry loop: `next_delay()` after each failure, `reset()` after a success."""

    __slots__ = ("_rng", "attempt", "initial", "maximum")

    def __init__(self, initial: float, maximum: float, rng: random.Random | None = None) -> None:
        if not 0 < initial <= maximum:
            raise ValueError(f"need 0 < initial <= maximum, got initial={initial} maximum={maximum}")
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        delay = backoff_delay(self.attempt, self.initial, self.maximum, self._rng)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0
