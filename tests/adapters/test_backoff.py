"""The one retry pace: waits double from `initial` up to `maximum`, jittered, restarted by `reset`."""

from __future__ import annotations

import random

import pytest

from adapters.hyperliquid.common.backoff import Backoff


def test_each_wait_doubles_up_to_the_maximum_and_is_jittered_within_half_of_its_step() -> None:
    backoff = Backoff(0.5, 4.0, random.Random(7))
    steps = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    delays = [backoff.next_delay() for _ in steps]
    for delay, step in zip(delays, steps, strict=True):
        assert step * 0.5 <= delay <= step
    assert backoff.attempt == len(steps)


def test_reset_starts_the_next_failure_from_the_shortest_wait() -> None:
    backoff = Backoff(1.0, 60.0, random.Random(1))
    for _ in range(5):
        backoff.next_delay()
    backoff.reset()
    assert backoff.attempt == 0
    assert backoff.next_delay() <= 1.0


def test_two_clients_that_fail_together_do_not_retry_in_lock_step() -> None:
    a, b = Backoff(1.0, 8.0, random.Random(1)), Backoff(1.0, 8.0, random.Random(2))
    assert [a.next_delay() for _ in range(4)] != [b.next_delay() for _ in range(4)]


@pytest.mark.parametrize(("initial", "maximum"), [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)])
def test_a_pace_that_is_not_positive_or_whose_start_exceeds_its_cap_is_refused(initial: float, maximum: float) -> None:
    with pytest.raises(ValueError, match="initial"):
        Backoff(initial, maximum)
