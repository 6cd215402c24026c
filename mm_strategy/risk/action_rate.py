"""Actions per USDC traded held at a target over a rolling window (no engine).

Hyperliquid grants an address one action per USDC traded (after a 10,000 buffer) and throttles it
to one request per 10 s once that is spent; it counts every order, cancel and modify of a batch.
So the budget is a rate, not a reserve: over the window the actions must stay within what the
window's trading earns (`target_per_usdc` per USDC), plus one action per `idle_interval` of
quoting (a book with no fills may still be quoted at the exchange's throttled pace, never faster)
and a small burst for the first ladder that fades over the first window.

When the window is over its allowance the controller steps up: each step lengthens the minimum
quote lifetime and widens the re-quote tolerance (fewer, larger re-quotes). Past the last step it
stops quoting the instrument for `stop` and says so; when the window is back well under its
allowance it steps down again, one step per `dwell`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

_S = 1_000_000_000


@dataclass(frozen=True, slots=True)
class ActionRateParams:
    target_per_usdc: float = 1.0  # the exchange's own rate
    window_ns: int = 600 * _S
    idle_interval_ns: int = 10 * _S  # the exchange's throttled pace: one action per 10 s
    burst_actions: int = 24  # a fresh two-sided ladder twice over
    # (min quote lifetime ms, re-quote tolerance multiplier) per step; step 0 is the strategy's own.
    steps: tuple[tuple[int, float], ...] = ((0, 1.0), (2_000, 2.0), (5_000, 3.0), (15_000, 5.0), (30_000, 8.0))
    dwell_ns: int = 20 * _S  # at least this between two step changes (one step has to take effect first)
    relax_fraction: float = 0.5  # step down once the window uses less than this share of its allowance
    stop_ns: int = 300 * _S  # past the last step: no quotes this long

    def __post_init__(self) -> None:
        if self.target_per_usdc <= 0 or self.window_ns <= 0 or self.idle_interval_ns <= 0:
            raise ValueError("target_per_usdc, window and idle_interval must be > 0")
        if not self.steps or self.steps[0] != (0, 1.0):
            raise ValueError("steps must start with (0, 1.0): the strategy's own lifetime and tolerance")
        if any(b[0] < a[0] or b[1] < a[1] for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError("steps must not loosen: lifetimes and tolerance multipliers only grow")
        if not 0 < self.relax_fraction < 1 or self.dwell_ns < 0 or self.stop_ns <= 0 or self.burst_actions < 0:
            raise ValueError("relax_fraction must be in (0, 1), dwell ≥ 0, stop > 0, burst ≥ 0")


@dataclass(frozen=True, slots=True)
class RateDecision:
    step: int
    min_quote_lifetime_ms: int
    tolerance_mult: float
    stopped_until_ns: int  # 0 = quoting
    changed: bool  # the step or the stop changed in this update
    reason: str


class ActionRate:
    """Rolling-window actions against their allowance, and the step the quoting must run at."""

    def __init__(self, params: ActionRateParams | None = None) -> None:
        self.params = params or ActionRateParams()
        self._actions: deque[tuple[int, int]] = deque()
        self._fills: deque[tuple[int, float]] = deque()
        self._n_actions = 0
        self._volume = 0.0
        self._first_ns: int | None = None
        self.step = 0
        self.stopped_until_ns = 0
        self._last_change_ns = 0
        self.stops = 0

    def on_action(self, ts_ns: int, count: int = 1) -> None:
        self._actions.append((ts_ns, count))
        self._n_actions += count

    def on_fill(self, ts_ns: int, notional_usd: float) -> None:
        self._fills.append((ts_ns, abs(notional_usd)))
        self._volume += abs(notional_usd)

    def start(self, ts_ns: int) -> None:
        """Quoting starts at `ts_ns`: the idle allowance accrues from here (not from a warm-up)."""
        if self._first_ns is None:
            self._first_ns = ts_ns

    def _expire(self, ts_ns: int) -> None:
        cutoff = ts_ns - self.params.window_ns
        while self._actions and self._actions[0][0] <= cutoff:
            self._n_actions -= self._actions.popleft()[1]
        while self._fills and self._fills[0][0] <= cutoff:
            self._volume -= self._fills.popleft()[1]
        if not self._fills:
            self._volume = 0.0  # no float residue of the running sum

    def window(self, ts_ns: int) -> tuple[int, float, float]:
        """(actions, USDC traded, allowance) over the window ending at `ts_ns`."""
        p = self.params
        self._expire(ts_ns)
        first = self._first_ns if self._first_ns is not None else ts_ns
        quoting_ns = min(p.window_ns, max(0, ts_ns - first))
        # The burst is for the first ladder only: it fades over the first window, else it would
        # add to the idle pace for good.
        burst = p.burst_actions * (1.0 - quoting_ns / p.window_ns)
        allowance = burst + p.target_per_usdc * self._volume + quoting_ns / p.idle_interval_ns
        return self._n_actions, self._volume, allowance

    def update(self, ts_ns: int) -> RateDecision:
        p = self.params
        actions, volume, allowance = self.window(ts_ns)
        usage = actions / allowance if allowance > 0 else float("inf")
        changed = False
        figures = (f"{actions} actions / {volume:,.0f} USDC traded over {p.window_ns // _S} s, "
                   f"allowance {allowance:,.0f} ({p.target_per_usdc:g}/USDC + 1 per {p.idle_interval_ns // _S} s)")
        reason = figures
        if self.stopped_until_ns and ts_ns >= self.stopped_until_ns:
            # Back at the last step, not the first: the stop was needed because that one was not enough.
            self.stopped_until_ns = 0
            self._last_change_ns = ts_ns
            changed = True
            reason = f"action rate: quoting again at step {self.step} after the stop; {figures}"
        elif self.stopped_until_ns:
            pass
        elif ts_ns - self._last_change_ns >= p.dwell_ns:
            if usage > 1.0:
                self._last_change_ns = ts_ns
                changed = True
                if self.step + 1 < len(p.steps):
                    self.step += 1
                    life, tol = p.steps[self.step]
                    reason = (f"action rate over target: step {self.step} (min quote lifetime {life / 1000:g} s, "
                              f"re-quote tolerance ×{tol:g}); {figures}")
                else:
                    self.stopped_until_ns = ts_ns + p.stop_ns
                    self.stops += 1
                    reason = (f"action rate over target past the last step: not quoting for {p.stop_ns // _S} s; "
                              f"{figures}")
            elif usage < p.relax_fraction and self.step > 0:
                self._last_change_ns = ts_ns
                changed = True
                self.step -= 1
                reason = f"action rate back under target: step {self.step}; {figures}"
        life, tol = p.steps[self.step]
        return RateDecision(self.step, life, tol, self.stopped_until_ns, changed, reason)
