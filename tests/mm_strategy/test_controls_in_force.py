"""The halts and pauses in force, as the status board and the dashboard tell them."""

from __future__ import annotations

from mm_strategy import messages as msg
from mm_strategy.controls_in_force import ALL
from mm_strategy.controls_in_force import ControlsInForce

NOW = 1_000


def _controls() -> ControlsInForce:
    return ControlsInForce(lambda: NOW)


def test_a_halt_stays_until_its_own_source_resumes_it() -> None:
    controls = _controls()
    controls.on_control(ALL, msg.Halt("drawdown", "daily loss 5.00 USDC"))
    controls.on_control(ALL, msg.Resume("venue"))
    assert controls.halted() == "drawdown: daily loss 5.00 USDC"
    controls.on_control(ALL, msg.Resume("drawdown"))
    assert controls.halted() is None


def test_a_resume_on_all_clears_that_source_on_every_instrument_but_not_the_reverse() -> None:
    controls = _controls()
    controls.on_control("ETH", msg.Pause("edge", "spread under the fee"))
    controls.on_control(ALL, msg.Pause("edge", "every coin"))
    controls.on_control("ETH", msg.Resume("edge"))
    assert controls.paused() == "edge: every coin"
    controls.on_control(ALL, msg.Resume("edge"))
    assert controls.pauses() == []


def test_a_control_whose_time_is_up_is_no_longer_in_force() -> None:
    controls = _controls()
    controls.on_control("SOL", msg.Pause("calendar", "funding", until_ns=NOW))
    controls.on_control("SOL", msg.Halt("stall", "no book", until_ns=NOW + 1))
    assert controls.pauses() == []
    assert [(h.source, h.scope, h.until_ns) for h in controls.halts()] == [("stall", "SOL", NOW + 1)]
    assert controls.halted() == "stall: no book [SOL]"


def test_other_messages_change_nothing() -> None:
    controls = _controls()
    controls.on_control(ALL, msg.Resume("drawdown"))
    controls.on_control(ALL, object())
    assert controls.halts() == [] and controls.pauses() == []
