"""The action-rate controller (`mm_strategy.risk.action_rate`): actions per USDC traded held at
the target over a rolling window, by longer quote lifetimes and wider tolerance, then a stop."""

from __future__ import annotations

import pytest

from mm_strategy.risk.action_rate import ActionRate
from mm_strategy.risk.action_rate import ActionRateParams

S = 1_000_000_000


def _simulate(rate: ActionRate, seconds: int, actions_per_s_at_step0: float = 1.0, usdc_per_s: float = 0.0) -> int:
    """A quoter that re-quotes as often as the controller lets it: at step 0 `actions_per_s_at_step0`,
    then once per minimum quote lifetime; nothing while stopped. Returns the actions sent."""
    sent = 0
    owed = 0.0
    last_requote = -10**18
    for t in range(seconds):
        ts = t * S
        d = rate.update(ts)
        if usdc_per_s:
            rate.on_fill(ts, usdc_per_s)
        if d.stopped_until_ns > ts:
            continue
        if d.min_quote_lifetime_ms == 0:
            owed += actions_per_s_at_step0
            n = int(owed)
            owed -= n
        else:
            n = 2 if ts - last_requote >= d.min_quote_lifetime_ms * 1_000_000 else 0  # a modify per side
        if n:
            last_requote = ts
            rate.start(ts)
            rate.on_action(ts, n)
            sent += n
    return sent


def test_idle_quoting_without_fills_stays_at_one_action_per_10_s_on_average() -> None:
    rate = ActionRate()
    hours = 2
    sent = _simulate(rate, hours * 3600, actions_per_s_at_step0=1.0)
    assert sent / (hours * 360) <= 1.0  # actions per 10 s
    assert rate.step > 0


def test_over_its_allowance_it_lengthens_the_lifetime_and_widens_the_tolerance_step_by_step() -> None:
    rate = ActionRate(ActionRateParams(dwell_ns=10 * S))
    rate.start(0)
    rate.on_action(0, 100)  # far over a fresh window's burst allowance, nothing traded
    steps = [rate.update(t * 10 * S) for t in range(1, 4)]
    assert [d.step for d in steps] == [1, 2, 3]
    lifetimes = [d.min_quote_lifetime_ms for d in steps]
    tolerances = [d.tolerance_mult for d in steps]
    assert lifetimes == sorted(lifetimes) and lifetimes[0] > 0
    assert tolerances == sorted(tolerances) and tolerances[0] > 1.0
    assert all(d.changed and "over target" in d.reason for d in steps)


def test_past_the_last_step_it_stops_quoting_the_instrument_and_says_so() -> None:
    p = ActionRateParams(dwell_ns=S, stop_ns=300 * S)
    rate = ActionRate(p)
    rate.start(0)
    rate.on_action(0, 1_000)
    decisions = [rate.update(t * S) for t in range(1, len(p.steps) + 1)]
    last = decisions[-1]
    assert last.stopped_until_ns == len(p.steps) * S + 300 * S
    assert "not quoting for 300 s" in last.reason and "1000 actions" in last.reason
    assert rate.update(200 * S).stopped_until_ns  # still stopped
    resumed = rate.update(last.stopped_until_ns)
    assert resumed.stopped_until_ns == 0 and resumed.changed and resumed.step == len(p.steps) - 1


def test_trading_earns_one_action_per_usdc_so_a_busy_book_stays_at_step_zero() -> None:
    rate = ActionRate()
    sent = _simulate(rate, 3600, actions_per_s_at_step0=1.0, usdc_per_s=2.0)  # 2 USDC traded a second
    assert rate.step == 0 and sent == 3600


def test_it_counts_every_action_of_a_batch() -> None:
    rate = ActionRate(ActionRateParams(burst_actions=0))
    rate.start(0)
    rate.on_action(S, 6)  # one batch of six orders is six actions, as the exchange counts
    actions, volume, _ = rate.window(2 * S)
    assert (actions, volume) == (6, 0.0)


def test_it_steps_back_down_once_the_window_is_well_under_its_allowance() -> None:
    rate = ActionRate(ActionRateParams(dwell_ns=S, window_ns=60 * S))
    rate.start(0)
    rate.on_action(0, 100)
    assert rate.update(S).step == 1
    rate.on_fill(2 * S, 1_000.0)  # trading resumes: the window's allowance grows
    d = rate.update(3 * S)
    assert d.step == 0 and d.changed and "back under target" in d.reason


def test_actions_and_fills_leave_the_window_when_it_rolls_past_them() -> None:
    rate = ActionRate(ActionRateParams(window_ns=60 * S))
    rate.start(0)
    rate.on_action(S, 10)
    rate.on_fill(S, 50.0)
    assert rate.window(30 * S)[:2] == (10, 50.0)
    assert rate.window(62 * S)[:2] == (0, 0.0)


@pytest.mark.parametrize(
    "changes",
    [{"target_per_usdc": 0.0}, {"steps": ((1_000, 1.0),)}, {"steps": ((0, 1.0), (5_000, 2.0), (2_000, 3.0))},
     {"relax_fraction": 1.0}, {"stop_ns": 0}],
)
def test_a_setting_out_of_range_is_refused(changes: dict) -> None:
    with pytest.raises(ValueError):
        ActionRateParams(**changes)
