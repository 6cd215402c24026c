"""Re-quote planning keeps queue priority."""

from mm_strategy.quoting.ladder import Quote
from mm_strategy.quoting.requote import Action
from mm_strategy.quoting.requote import Resting
from mm_strategy.quoting.requote import plan_side


def test_orders_within_tolerance_are_left_resting() -> None:
    steps = plan_side([Quote(0, 100.1, 1.0)], [Resting(0, 100.0, 1.0, "a")], tick=0.1, tolerance_ticks=1)
    assert steps == []


def test_price_beyond_tolerance_is_modified_in_one_action() -> None:
    steps = plan_side([Quote(0, 100.3, 1.0)], [Resting(0, 100.0, 1.0, "a")], tick=0.1, tolerance_ticks=1)
    assert [(s.action, s.ref, s.price) for s in steps] == [(Action.MODIFY, "a", 100.3)]


def test_size_change_requotes_and_cancel_replace_when_modify_is_off() -> None:
    steps = plan_side([Quote(0, 100.0, 2.0)], [Resting(0, 100.0, 1.0, "a")], tick=0.1, tolerance_ticks=1, use_modify=False)
    assert [s.action for s in steps] == [Action.CANCEL, Action.PLACE]


def test_missing_levels_are_placed_and_unwanted_ones_cancelled() -> None:
    steps = plan_side([Quote(0, 100.0, 1.0)], [Resting(2, 99.0, 4.0, "c")], tick=0.1, tolerance_ticks=1)
    assert {(s.action, s.level) for s in steps} == {(Action.CANCEL, 2), (Action.PLACE, 0)}


def test_busy_orders_are_left_alone() -> None:
    steps = plan_side([], [Resting(0, 100.0, 1.0, "a", busy=True)], tick=0.1, tolerance_ticks=1)
    assert steps == []
