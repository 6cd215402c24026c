"""Risk bookkeeping: drawdown, capital at risk, cancel-to-fill, action budget, calendar."""

import json

import pytest

from mm_strategy.calendar import EventCalendar
from mm_strategy.risk.activity import ActionBudget
from mm_strategy.risk.activity import CancelToFill
from mm_strategy.risk.capital import CapitalAtRisk
from mm_strategy.risk.capital import CapitalLimits
from mm_strategy.risk.drawdown import NS_PER_DAY
from mm_strategy.risk.drawdown import DailyDrawdown
from mm_strategy.risk.drawdown import max_drawdown

S = 1_000_000_000


def test_daily_drawdown_breaches_at_the_cap_of_day_start_equity() -> None:
    dd = DailyDrawdown(cap_fraction=0.05)
    t0 = 10 * NS_PER_DAY + 3600 * S
    assert not dd.update(t0, 10_000.0)
    assert not dd.update(t0 + S, 10_500.0)  # up on the day
    assert not dd.update(t0 + 2 * S, 9_600.0)  # -4 %
    assert dd.update(t0 + 3 * S, 9_500.0)  # -5 % of the day-start equity
    assert dd.pnl_today() == pytest.approx(-500.0)


def test_daily_drawdown_resets_at_the_utc_day_boundary() -> None:
    dd = DailyDrawdown(cap_fraction=0.05)
    dd.update(10 * NS_PER_DAY + 1, 10_000.0)
    assert dd.update(11 * NS_PER_DAY - 1, 9_000.0)
    assert not dd.update(11 * NS_PER_DAY, 9_000.0)
    assert dd.day_start_equity == 9_000.0


def test_a_loss_during_a_gap_across_midnight_counts_against_the_new_day() -> None:
    # Last reading at 23:00, next at 01:00 the next day, 6 % lower: the day started at the last
    # equity known before midnight, so the gap's loss breaches the 5 % cap.
    dd = DailyDrawdown(cap_fraction=0.05)
    assert not dd.update(11 * NS_PER_DAY - 3600 * S, 10_000.0)
    assert dd.update(11 * NS_PER_DAY + 3600 * S, 9_400.0)
    assert dd.day_start_equity == 10_000.0


def test_max_drawdown_is_peak_to_trough() -> None:
    assert max_drawdown([0.0, 5.0, 2.0, 7.0, 1.0, 3.0]) == pytest.approx(6.0)
    assert max_drawdown([1.0, 2.0, 3.0]) == 0.0


def test_capital_at_risk_limits_assets_and_total_inventory() -> None:
    car = CapitalAtRisk(CapitalLimits(max_concurrent_assets=2, max_total_inventory_usd=1000.0))
    car.set_inventory("A", 400.0)
    car.set_inventory("B", -500.0)
    assert car.breach() is None
    car.set_inventory("C", 50.0)
    assert "assets" in car.breach()
    car.set_inventory("C", 0.0)
    car.set_inventory("B", -700.0)
    assert "total inventory" in car.breach()


def test_cancel_to_fill_counts_actions_per_fill_in_the_window() -> None:
    c2f = CancelToFill(window_ns=10 * S)
    c2f.on_action(0, 30)
    c2f.on_fill(S)
    c2f.on_fill(2 * S)
    assert c2f.ratio(3 * S) == pytest.approx(15.0)
    assert c2f.ratio(20 * S) == 0.0


def test_action_budget_tracks_the_address_allowance() -> None:
    b = ActionBudget()
    b.on_action(9_000)
    b.on_fill(500.0)
    assert b.cap == 10_500 and b.left == 1_500
    assert b.actions_per_usdc() == pytest.approx(18.0)
    assert b.should_slow_down(reserve_fraction=0.2)


def test_calendar_pauses_inside_padded_windows_per_coin(tmp_path) -> None:
    path = tmp_path / "cal.json"
    path.write_text(json.dumps({"events": [
        {"name": "CPI", "start": "2026-01-13T13:30:00Z", "pad_before_s": 60, "pad_after_s": 120},
        {"name": "unlock", "start": "2026-01-14T00:00:00Z", "end": "2026-01-14T01:00:00Z", "coin": "ARB",
         "pad_before_s": 0, "pad_after_s": 0},
    ]}))
    cal = EventCalendar.from_file(path)
    cpi = 1768311000 * S  # 2026-01-13T13:30:00Z
    assert cal.active(cpi - 61 * S, "ETH") is None
    assert cal.active(cpi - 59 * S, "ETH") == "CPI"
    assert cal.active(cpi + 119 * S, "BTC") == "CPI"
    unlock = 1768348800 * S
    assert cal.active(unlock + 10 * S, "arb") == "unlock"
    assert cal.active(unlock + 10 * S, "ETH") is None


def test_calendar_rejects_bad_files_with_a_clear_error(tmp_path) -> None:
    path = tmp_path / "cal.json"
    path.write_text('{"events": [{"name": "x", "start": "2026-01-13T13:30:00"}]}')  # no timezone
    with pytest.raises(ValueError, match="timezone"):
        EventCalendar.from_file(path)
    path.write_text('{"events": [{"nam": "x"}]}')
    with pytest.raises(ValueError, match="bad calendar file"):
        EventCalendar.from_file(path)


def test_action_budget_adopts_the_exchanges_figures() -> None:
    b = ActionBudget(actions_used=5)
    b.sync(actions_used=12_000, cap=12_500)
    assert b.left == 500 and b.volume_usd == 2_500.0
    with pytest.raises(ValueError):
        b.sync(actions_used=1, cap=5)
