"""Daily drawdown since the UTC day start, and peak-to-trough max drawdown."""

from __future__ import annotations

NS_PER_DAY = 86_400 * 1_000_000_000


def utc_day(ts_ns: int) -> int:
    return ts_ns // NS_PER_DAY


class DailyDrawdown:
    """PnL (realized + unrealized, i.e. equity change) since the UTC day began, against a cap
    expressed as a fraction of the equity held at the day's start."""

    def __init__(self, cap_fraction: float) -> None:
        if not 0 < cap_fraction < 1:
            raise ValueError("cap_fraction must be in (0, 1)")
        self.cap_fraction = cap_fraction
        self._day: int | None = None
        self.day_start_equity: float | None = None
        self.equity: float | None = None

    @property
    def day(self) -> int | None:
        """The UTC day of the last reading (None before the first)."""
        return self._day

    def restore(self, day: int, day_start_equity: float) -> None:
        """Continue a day begun before a restart: readings of `day` count from its start equity."""
        self._day = day
        self.day_start_equity = day_start_equity

    def update(self, ts_ns: int, equity: float) -> bool:
        """Record equity; True when today's loss has reached the cap."""
        day = utc_day(ts_ns)
        if day != self._day:
            self._day = day
            # The equity at midnight is the last reading before it: after a gap across midnight
            # (feed or process down), what was lost during the gap counts against the new day
            # instead of vanishing into its start. Only the first reading ever starts from itself.
            self.day_start_equity = self.equity if self.equity is not None else equity
        self.equity = equity
        return self.breached()

    def pnl_today(self) -> float:
        if self.equity is None or self.day_start_equity is None:
            return 0.0
        return self.equity - self.day_start_equity

    def breached(self) -> bool:
        if self.day_start_equity is None or self.day_start_equity <= 0:
            return False
        return -self.pnl_today() >= self.cap_fraction * self.day_start_equity

    def is_new_day(self, ts_ns: int) -> bool:
        return self._day is not None and utc_day(ts_ns) != self._day


def max_drawdown(equity: list[float]) -> float:
    """Largest peak-to-trough fall of an equity curve (same units as the curve, ≥ 0)."""
    peak = float("-inf")
    worst = 0.0
    for e in equity:
        peak = max(peak, e)
        worst = max(worst, peak - e)
    return worst
