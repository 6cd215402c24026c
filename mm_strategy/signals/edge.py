"""Does quoting an instrument pay? An online estimate of capture and adverse selection (no engine).

A maker fill earns its capture (how far its price sat from the mid, in bps) less what the mid
does next against it (adverse selection), less the maker fee. Before an instrument has fills of
its own, the capture is what the market's spread offers (`spread_quantile` of the half-spread
over `spread_window`: a resting quote is filled when the price comes to it, which is when the
market is that wide) and adverse selection is the fixed allowance. Once `min_fills` fills have
matured (their mid `horizon` later is known), the recent fills' own capture and markouts replace
both. An instrument whose expected capture cannot pay the maker fee plus the adverse estimate
stands down; it is re-checked every `recheck`, and fills older than `fill_memory` are forgotten,
so a stood-down instrument falls back to the market's spread and may try again.

Between the two verdicts an instrument is unproven: its edge is not known to be positive (no own
fills yet, or the learned edge within `proven_z` standard errors of zero). The decision says
so (`proven`), so that the quoting can stay small (a probe) until the fills show the edge: where
fills are run over, what learning the edge costs grows with the size quoted while learning.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class EdgeParams:
    min_fills: int = 20
    max_fills: int = 60  # the estimate reads the last this many matured fills
    horizon_ns: int = 5 * _S  # markout horizon of the adverse estimate
    spread_window_ns: int = 300 * _S
    spread_quantile: float = 0.9
    min_spread_samples: int = 30
    allowance_bps: float = 0.5  # adverse selection before own fills exist
    margin_bps: float = 0.25  # to quote again, the edge must clear the requirement by this much
    # Stand down on the learned estimate only when its edge is below zero by `confidence_z`
    # standard errors: 20 fills' markouts scatter by several bps, and noise is no reason to stop.
    confidence_z: float = 1.0
    # Proven (the probe lifted: several times the size quoted) only when the edge is above zero by
    # `proven_z` standard errors: stricter than the stand-down, as a false proof costs the whole
    # ladder's exposure and a late one only a slower start; the estimate is re-read every
    # evaluation, so a one-sigma bar would be crossed by noise alone now and then.
    proven_z: float = 2.0
    recheck_ns: int = 60 * _S
    fill_memory_ns: int = 900 * _S

    def __post_init__(self) -> None:
        if self.min_fills < 1 or self.max_fills < self.min_fills:
            raise ValueError("need 1 ≤ min_fills ≤ max_fills")
        if self.horizon_ns <= 0 or self.spread_window_ns <= 0 or self.recheck_ns <= 0 or self.fill_memory_ns <= 0:
            raise ValueError("horizon, spread_window, recheck and fill_memory must be > 0")
        if not 0 < self.spread_quantile <= 1 or self.min_spread_samples < 1:
            raise ValueError("spread_quantile must be in (0, 1] and min_spread_samples ≥ 1")
        if self.allowance_bps < 0 or self.margin_bps < 0 or self.confidence_z < 0 or self.proven_z < 0:
            raise ValueError("allowance_bps, margin_bps, confidence_z and proven_z must be ≥ 0")


@dataclass(frozen=True, slots=True)
class EdgeEstimate:
    capture_bps: float
    adverse_bps: float
    fee_bps: float
    fills: int  # matured fills behind the estimate (0: the market's spread and the fixed allowance)
    stderr_bps: float = 0.0  # standard error of the learned edge per fill (0 before own fills)

    @property
    def learned(self) -> bool:
        return self.fills > 0

    @property
    def edge_bps(self) -> float:
        return self.capture_bps - self.fee_bps - self.adverse_bps

    def proven(self, z: float) -> bool:
        """The own fills show an edge above zero by `z` standard errors (never before own fills:
        the market's spread says what a fill could earn, not what fills here do earn)."""
        return self.learned and self.edge_bps - z * self.stderr_bps > 0

    def describe(self) -> str:
        source = (f"from its last {self.fills} fills" if self.learned
                  else "from the market's spread and the fixed adverse-selection allowance")
        spread = f" ± {self.stderr_bps:.2f}" if self.learned else ""
        return (f"expected capture {self.capture_bps:.2f} bps vs maker fee {self.fee_bps:.2f} + adverse selection "
                f"{self.adverse_bps:.2f}{spread} bps ({source})")


@dataclass(frozen=True, slots=True)
class EdgeDecision:
    stand_down: bool
    changed: bool
    estimate: EdgeEstimate | None
    proven: bool = False  # quoting pays by the own fills' evidence (see `EdgeEstimate.proven`)


class EdgeMonitor:
    def __init__(self, params: EdgeParams | None = None) -> None:
        self.params = params or EdgeParams()
        self._spreads: deque[tuple[int, float]] = deque()
        self._pending: deque[tuple[int, float, float, float, float]] = deque()  # (ts, sign, notional, px, mid at fill)
        # (ts, notional, capture, adverse): the newest `max_fills`, however many mature at one mid.
        self._matured: deque[tuple[int, float, float, float]] = deque(maxlen=self.params.max_fills)
        self.stood_down = False
        self._next_check_ns = 0
        self.last: EdgeEstimate | None = None

    # ------------------------------------------------------------------ inputs
    def on_half_spread(self, ts_ns: int, half_spread_bps: float) -> None:
        if math.isfinite(half_spread_bps) and half_spread_bps >= 0:
            self._spreads.append((ts_ns, half_spread_bps))

    def on_fill(self, ts_ns: int, is_buy: bool, px: float, qty: float, mid: float) -> None:
        if px > 0 and qty > 0 and mid > 0:
            self._pending.append((ts_ns, 1.0 if is_buy else -1.0, px * qty, px, mid))

    def on_mid(self, ts_ns: int, mid: float) -> None:
        """The mid at `ts_ns`: fills `horizon` old or more mature at it."""
        horizon = self.params.horizon_ns
        while self._pending and self._pending[0][0] + horizon <= ts_ns:
            t, sign, notional, px, m0 = self._pending.popleft()
            # Capture and adverse are both measured from the mid at the fill: their difference is
            # the markout from the fill's price, whatever that mid was.
            self._matured.append((t, notional, sign * (m0 - px) / m0 * 1e4, sign * (m0 - mid) / m0 * 1e4))

    # ------------------------------------------------------------------ estimate
    def estimate(self, ts_ns: int, fee_bps: float) -> EdgeEstimate | None:
        p = self.params
        cutoff = ts_ns - p.spread_window_ns
        while self._spreads and self._spreads[0][0] <= cutoff:
            self._spreads.popleft()
        old = ts_ns - p.fill_memory_ns
        while self._matured and self._matured[0][0] <= old:
            self._matured.popleft()
        if len(self._matured) >= p.min_fills:
            fills = len(self._matured)
            total = sum(n for _, n, _, _ in self._matured)
            capture = sum(n * c for _, n, c, _ in self._matured) / total
            adverse = sum(n * a for _, n, _, a in self._matured) / total
            net = capture - adverse
            var = sum(n * (c - a - net) ** 2 for _, n, c, a in self._matured) / total
            stderr = math.sqrt(var * fills / max(fills - 1, 1)) / math.sqrt(fills)
            return EdgeEstimate(capture, adverse, fee_bps, fills, stderr)
        if len(self._spreads) < p.min_spread_samples:
            return None
        values = sorted(s for _, s in self._spreads)
        capture = values[min(len(values) - 1, int(p.spread_quantile * len(values)))]
        return EdgeEstimate(capture, p.allowance_bps, fee_bps, 0)

    def decide(self, ts_ns: int, fee_bps: float) -> EdgeDecision:
        """Stand down (or quote again) on the current estimate; a stood-down instrument is only
        re-checked every `recheck`."""
        if self.stood_down and ts_ns < self._next_check_ns:
            return EdgeDecision(True, False, self.last)
        est = self.estimate(ts_ns, fee_bps)
        if est is None:
            return EdgeDecision(self.stood_down, False, self.last)
        self.last = est
        # Hysteresis: stand down at no edge (beyond the learned estimate's noise), quote again only
        # past the margin.
        slack = self.params.confidence_z * est.stderr_bps
        if self.stood_down:
            stand_down = est.edge_bps + slack <= self.params.margin_bps
        else:
            stand_down = est.edge_bps + slack <= 0
        changed = stand_down != self.stood_down
        self.stood_down = stand_down
        if stand_down:
            self._next_check_ns = ts_ns + self.params.recheck_ns
        return EdgeDecision(stand_down, changed, est, not stand_down and est.proven(self.params.proven_z))
