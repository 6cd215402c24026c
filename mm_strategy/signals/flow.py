"""Order-flow imbalance (Cont–Kukanov–Stoikov, from best bid/offer changes), trade-flow
imbalance, and the micro-volatility move detector — all over sliding time windows."""

from __future__ import annotations

from collections import deque


def ofi_event(
    prev_bid: float, prev_bid_size: float, prev_ask: float, prev_ask_size: float,
    bid: float, bid_size: float, ask: float, ask_size: float,
) -> float:
    """One CKS increment e_n: size arriving at the bid minus size arriving at the ask."""
    e = 0.0
    if bid >= prev_bid:
        e += bid_size
    if bid <= prev_bid:
        e -= prev_bid_size
    if ask <= prev_ask:
        e -= ask_size
    if ask >= prev_ask:
        e += prev_ask_size
    return e


class _Window:
    """Sum of (ts, value) pairs over the last `window_ns`."""

    __slots__ = ("_items", "total", "total_abs", "window_ns")

    def __init__(self, window_ns: int) -> None:
        if window_ns <= 0:
            raise ValueError("window_ns must be > 0")
        self.window_ns = window_ns
        self._items: deque[tuple[int, float, float]] = deque()
        self.total = 0.0
        self.total_abs = 0.0

    def add(self, ts_ns: int, value: float) -> None:
        a = abs(value)
        items = self._items
        items.append((ts_ns, value, a))
        self.total += value
        self.total_abs += a
        if items[0][0] <= ts_ns - self.window_ns:  # the new item itself never expires (window > 0)
            self.expire(ts_ns)

    def expire(self, ts_ns: int) -> None:
        cutoff = ts_ns - self.window_ns
        items = self._items
        while items and items[0][0] <= cutoff:
            _, v, a = items.popleft()
            self.total -= v
            self.total_abs -= a
        if not items:  # clear float drift
            self.total = self.total_abs = 0.0

    def __len__(self) -> int:
        return len(self._items)


class OrderFlowImbalance:
    """CKS OFI over a window, normalized to [-1, 1] by the total absolute flow.

    Strongly negative: size leaving the bid / arriving at the ask — the price is about to drop.
    """

    __slots__ = ("_prev", "_w", "min_events")

    def __init__(self, window_ns: int, min_events: int = 3) -> None:
        self._w = _Window(window_ns)
        self.min_events = min_events
        self._prev: tuple[float, float, float, float] | None = None

    def update(self, ts_ns: int, bid: float, bid_size: float, ask: float, ask_size: float) -> None:
        cur = (bid, bid_size, ask, ask_size)
        prev = self._prev
        if prev is not None and cur != prev:
            e = ofi_event(*prev, bid, bid_size, ask, ask_size)
            self._w.add(ts_ns, e)
        else:
            self._w.expire(ts_ns)
        self._prev = cur

    def value(self) -> float | None:
        w = self._w
        if len(w._items) < self.min_events or w.total_abs <= 0:
            return None
        return w.total / w.total_abs

    @property
    def raw(self) -> float:
        return self._w.total


class TradeFlowImbalance:
    """(buy-aggressor volume − sell-aggressor volume) / total over a window, in [-1, 1]."""

    __slots__ = ("_w", "min_trades")

    def __init__(self, window_ns: int, min_trades: int = 3) -> None:
        self._w = _Window(window_ns)
        self.min_trades = min_trades

    def update(self, ts_ns: int, size: float, buyer_aggressor: bool) -> None:
        self._w.add(ts_ns, size if buyer_aggressor else -size)

    def value(self, ts_ns: int | None = None) -> float | None:
        w = self._w
        if ts_ns is not None:
            w.expire(ts_ns)
        if len(w._items) < self.min_trades or w.total_abs <= 0:
            return None
        return w.total / w.total_abs


class MicroMoveDetector:
    """Fires when the mid moved more than `threshold_bps` within the last `window_ns`."""

    def __init__(self, window_ns: int, threshold_bps: float) -> None:
        if window_ns <= 0 or threshold_bps <= 0:
            raise ValueError("window_ns and threshold_bps must be > 0")
        self.window_ns = window_ns
        self.threshold_bps = threshold_bps
        # Monotonic deques give the window's min and max in O(1) amortized.
        self._min: deque[tuple[int, float]] = deque()
        self._max: deque[tuple[int, float]] = deque()

    def update(self, ts_ns: int, mid: float) -> float | None:
        """Add a mid; returns the move in bps (signed, vs the window's extreme) when it breaches."""
        cutoff = ts_ns - self.window_ns
        lows = self._min
        highs = self._max
        while lows and lows[0][0] < cutoff:
            lows.popleft()
        while highs and highs[0][0] < cutoff:
            highs.popleft()
        while lows and lows[-1][1] >= mid:
            lows.pop()
        lows.append((ts_ns, mid))
        while highs and highs[-1][1] <= mid:
            highs.pop()
        highs.append((ts_ns, mid))
        lo = lows[0][1]
        hi = highs[0][1]
        up = (mid - lo) / lo * 1e4
        down = (hi - mid) / hi * 1e4
        if up > self.threshold_bps and up >= down:
            return up
        if down > self.threshold_bps:
            return -down
        return None
