"""Counting repeats in a sliding time window: the adapter's rejection alarms and the strategy's
rejection circuit breaker count the same way."""

from __future__ import annotations

from collections import deque


class RepeatCounter:
    """Counts events in a sliding window; `add` says when `threshold` of them fell within it."""

    def __init__(self, threshold: int, window_ns: int) -> None:
        if threshold < 1 or window_ns <= 0:
            raise ValueError("threshold must be >= 1 and window_ns > 0")
        self.threshold = threshold
        self.window_ns = window_ns
        self._times: deque[int] = deque()

    def add(self, now_ns: int) -> int:
        """Record one event; returns how many fell within the window when that reaches the threshold
        (the count then starts afresh), else 0."""
        times = self._times
        times.append(now_ns)
        while times[0] <= now_ns - self.window_ns:
            times.popleft()
        if len(times) < self.threshold:
            return 0
        count = len(times)
        times.clear()
        return count


def counter_of[K](counters: dict[K, RepeatCounter], key: K, threshold: int, window_ns: int) -> RepeatCounter:
    """The counter of `key`, made on first use."""
    counter = counters.get(key)
    if counter is None:
        counter = counters[key] = RepeatCounter(threshold, window_ns)
    return counter
