"""Realized volatility of the mid sampled on a fixed time grid, and regimes from it."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from enum import Enum


class RealizedVol:
    """Std of log returns between consecutive grid points (the last mid seen at each point).

    Sampling on a fixed grid (not per event) keeps the estimate independent of how busy the feed is.
    """

    def __init__(self, interval_ns: int, window: int) -> None:
        if interval_ns <= 0 or window < 2:
            raise ValueError("interval_ns must be > 0 and window ≥ 2")
        self.interval_ns = interval_ns
        self._returns: deque[float] = deque(maxlen=window)
        self._next_ns: int | None = None
        self._last_sample: float | None = None
        self._mid: float | None = None
        self._sum = 0.0
        self._sum_sq = 0.0

    def update(self, ts_ns: int, mid: float) -> None:
        if mid <= 0:
            return
        if self._next_ns is None:
            self._next_ns = ts_ns - ts_ns % self.interval_ns + self.interval_ns
            self._last_sample = mid
            self._mid = mid
            return
        # Every grid point passed since the last event samples the mid that held at it.
        while ts_ns > self._next_ns:
            self._sample(self._mid)
            self._next_ns += self.interval_ns
        self._mid = mid

    def _sample(self, mid: float) -> None:
        r = math.log(mid / self._last_sample)
        if len(self._returns) == self._returns.maxlen:
            old = self._returns[0]
            self._sum -= old
            self._sum_sq -= old * old
        self._returns.append(r)
        self._sum += r
        self._sum_sq += r * r
        self._last_sample = mid

    @property
    def samples(self) -> int:
        return len(self._returns)

    def vol_bps(self) -> float | None:
        """Per-interval realized vol in bps, or None before two samples."""
        n = len(self._returns)
        if n < 2:
            return None
        mean = self._sum / n
        var = max(0.0, self._sum_sq / n - mean * mean) * n / (n - 1)
        return math.sqrt(var) * 1e4


class Regime(Enum):
    CALM = "calm"
    NORMAL = "normal"
    VOLATILE = "volatile"
    EXTREME = "extreme"


@dataclass(frozen=True, slots=True)
class RegimeTable:
    """Upper vol bounds (bps per sampling interval) of calm/normal/volatile; above → extreme,
    and the (spread multiplier, size multiplier) each regime applies."""

    calm_below_bps: float = 0.5
    normal_below_bps: float = 2.0
    volatile_below_bps: float = 6.0
    calm: tuple[float, float] = (1.0, 1.0)
    normal: tuple[float, float] = (1.0, 1.0)
    volatile: tuple[float, float] = (2.0, 0.5)
    extreme: tuple[float, float] = (4.0, 0.25)

    def __post_init__(self) -> None:
        if not 0 <= self.calm_below_bps <= self.normal_below_bps <= self.volatile_below_bps:
            raise ValueError("regime bounds must be increasing")

    def classify(self, vol_bps: float) -> Regime:
        if vol_bps < self.calm_below_bps:
            return Regime.CALM
        if vol_bps < self.normal_below_bps:
            return Regime.NORMAL
        if vol_bps < self.volatile_below_bps:
            return Regime.VOLATILE
        return Regime.EXTREME

    def multipliers(self, regime: Regime) -> tuple[float, float]:
        return {
            Regime.CALM: self.calm,
            Regime.NORMAL: self.normal,
            Regime.VOLATILE: self.volatile,
            Regime.EXTREME: self.extreme,
        }[regime]


def atr_bps(atr: float, price: float) -> float:
    """ATR in bps of price (Nautilus's `AverageTrueRange` computes the ATR itself)."""
    return atr / price * 1e4 if price > 0 else 0.0


_ORDER = {Regime.CALM: 0, Regime.NORMAL: 1, Regime.VOLATILE: 2, Regime.EXTREME: 3}


class RegimeHysteresis:
    """Up at once, down only after the lower regime has held for `release_ns`.

    Vol near a bound otherwise flips the regime (and the ladder's width, and every resting order)
    on each evaluation; widening late costs more than narrowing late, hence the asymmetry."""

    def __init__(self, release_ns: int, initial: Regime = Regime.NORMAL) -> None:
        if release_ns < 0:
            raise ValueError("release_ns must be ≥ 0")
        self.release_ns = release_ns
        self.regime = initial
        self._lower_since: int | None = None
        self._lower_peak = initial  # the highest of the lower readings while waiting

    def update(self, ts_ns: int, raw: Regime) -> Regime:
        if _ORDER[raw] >= _ORDER[self.regime]:
            self.regime = raw
            self._lower_since = None
            return self.regime
        if self._lower_since is None:
            self._lower_since = ts_ns
            self._lower_peak = raw
        elif _ORDER[raw] > _ORDER[self._lower_peak]:
            self._lower_peak = raw
        if ts_ns - self._lower_since >= self.release_ns:
            # Down to the highest regime read while waiting: a brief spike inside the wait counts.
            self.regime = self._lower_peak
            self._lower_since = None
        return self.regime
