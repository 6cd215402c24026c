"""Order-traffic health: cancel-to-fill over a sliding window, and Hyperliquid's address
action budget (10,000 requests + 1 per USDC traded; past it, 1 request per 10 s)."""

from __future__ import annotations

from collections import deque

INITIAL_ADDRESS_BUDGET = 10_000


class CancelToFill:
    """Order actions (submits, modifies, cancels) per fill over a sliding window."""

    def __init__(self, window_ns: int) -> None:
        if window_ns <= 0:
            raise ValueError("window_ns must be > 0")
        self.window_ns = window_ns
        self._actions: deque[int] = deque()
        self._fills: deque[int] = deque()

    def on_action(self, ts_ns: int, count: int = 1) -> None:
        self._actions.extend([ts_ns] * count)

    def on_fill(self, ts_ns: int) -> None:
        self._fills.append(ts_ns)

    def _expire(self, ts_ns: int) -> None:
        cutoff = ts_ns - self.window_ns
        for dq in (self._actions, self._fills):
            while dq and dq[0] <= cutoff:
                dq.popleft()

    def counts(self, ts_ns: int) -> tuple[int, int]:
        self._expire(ts_ns)
        return len(self._actions), len(self._fills)

    def ratio(self, ts_ns: int) -> float:
        """Actions per fill in the window (fills floored at 1 so a quiet book reads as its action count)."""
        actions, fills = self.counts(ts_ns)
        return actions / max(fills, 1)


class ActionBudget:
    """Cumulative address budget: what is left and the lifetime actions per USDC traded."""

    def __init__(self, actions_used: int = 0, volume_usd: float = 0.0) -> None:
        self.actions_used = actions_used
        self.volume_usd = volume_usd

    def on_action(self, count: int = 1) -> None:
        self.actions_used += count

    def on_fill(self, notional_usd: float) -> None:
        self.volume_usd += abs(notional_usd)

    def sync(self, actions_used: int, cap: int) -> None:
        """Adopt the exchange's figures (cap = 10,000 + cumulative USDC volume)."""
        if actions_used < 0 or cap < INITIAL_ADDRESS_BUDGET:
            raise ValueError(f"implausible address budget: used {actions_used}, cap {cap}")
        self.actions_used = actions_used
        self.volume_usd = float(cap - INITIAL_ADDRESS_BUDGET)

    @property
    def cap(self) -> int:
        return INITIAL_ADDRESS_BUDGET + int(self.volume_usd)

    @property
    def left(self) -> int:
        return self.cap - self.actions_used

    def actions_per_usdc(self) -> float | None:
        return self.actions_used / self.volume_usd if self.volume_usd > 0 else None

    def should_slow_down(self, reserve_fraction: float = 0.2) -> bool:
        """True when less than `reserve_fraction` of the initial budget is left."""
        return self.left < reserve_fraction * INITIAL_ADDRESS_BUDGET
