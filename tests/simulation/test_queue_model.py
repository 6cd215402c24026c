"""Pure queue-position rules (simulation.queue_model)."""

from __future__ import annotations

import math

import pytest

from simulation.queue_model import QUEUE_RULES
from simulation.queue_model import ConservativeQueue
from simulation.queue_model import filled_qty
from simulation.queue_model import log_prob
from simulation.queue_model import make_queue_rule
from simulation.queue_model import new_position
from simulation.queue_model import power_prob


def test_new_order_queues_behind_the_displayed_size() -> None:
    assert new_position(5.0).front == 5.0


def test_trades_consume_the_front_then_fill_whole_lots() -> None:
    rule = ConservativeQueue()
    pos = new_position(5.0)
    rule.on_trade(pos, 4.0)
    assert filled_qty(pos, 0.1) == 0.0
    rule.on_trade(pos, 1.25)
    assert filled_qty(pos, 0.1) == pytest.approx(0.2)


def test_conservative_cancel_only_caps_the_front_at_the_level_size() -> None:
    rule = ConservativeQueue()
    pos = new_position(5.0)
    rule.on_depth(pos, 8.0, 6.0)  # 2 left somewhere: assume behind us
    assert pos.front == 5.0
    rule.on_depth(pos, 6.0, 3.0)  # the level shrank below our front
    assert pos.front == 3.0


def test_probabilistic_cancel_advances_by_the_share_ahead() -> None:
    rule = make_queue_rule("power", 2.0)
    pos = new_position(5.0)
    # Level 10 (5 ahead, 5 behind) drops to 8: p = 25/50 = 0.5, so half of 2 was ahead.
    rule.on_depth(pos, 10.0, 8.0)
    assert pos.front == pytest.approx(4.0)


def test_probabilistic_rule_does_not_count_traded_size_twice() -> None:
    rule = make_queue_rule("log")
    pos = new_position(5.0)
    rule.on_trade(pos, 2.0)
    rule.on_depth(pos, 10.0, 8.0)  # the 2 that left were the trade
    assert pos.front == pytest.approx(3.0)


def test_increase_of_the_level_never_moves_us_back() -> None:
    for name in QUEUE_RULES:
        rule = make_queue_rule(name)
        pos = new_position(5.0)
        rule.on_depth(pos, 10.0, 20.0)
        assert pos.front == 5.0, name


def test_probability_functions_favour_behind_when_far_back() -> None:
    assert power_prob(2.0)(1.0, 9.0) > 0.9
    assert 0.0 < log_prob(9.0, 1.0) < 0.5


def test_unknown_rule_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown queue rule"):
        make_queue_rule("magic")


@pytest.mark.parametrize(
    ("name", "expected"),
    # front 3, back 1, n 2 (hftbacktest's queue.rs definitions, p = share of a decrease that was behind us)
    [
        ("power", 1 / (1 + 9)),  # b^n / (b^n + f^n)
        ("power2", 1 / 16),  # b^n / (b + f)^n
        ("power3", 1 - (3 / 4) ** 2),  # 1 - (f / (f + b))^n
        ("log", math.log(2) / (math.log(2) + math.log(4))),  # ln(1+b) / (ln(1+b) + ln(1+f))
        ("log2", math.log(2) / math.log(5)),  # ln(1+b) / ln(1+b+f)
    ],
)
def test_each_probability_rule_moves_the_front_by_its_formula(name: str, expected: float) -> None:
    rule = make_queue_rule(name, n=2.0)
    pos = new_position(3.0)
    rule.on_depth(pos, prev_qty=4.0, new_qty=3.5)  # 0.5 left the level, no trade
    # est = front - (1 - p) * chg + min(back - p * chg, 0)
    assert pos.front == pytest.approx(3.0 - (1 - expected) * 0.5)
