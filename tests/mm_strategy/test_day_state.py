"""The daily loss cap's day across restarts: the file it is kept in, one day per account."""

from __future__ import annotations

from pathlib import Path

import pytest

from mm_strategy.risk.day_state import DayState
from mm_strategy.risk.day_state import DayStateError
from mm_strategy.risk.day_state import load_day_state
from mm_strategy.risk.day_state import save_day_state

OURS, PAPER = "HYPERLIQUID-0xab", "HYPERLIQUID-0xcd"


def test_a_saved_day_reads_back_as_it_was(tmp_path: Path) -> None:
    state = DayState(20_429, 10_000.0, 1_765_152_000_000_000_000, "daily loss …")
    save_day_state(tmp_path / "state" / "day.json", OURS, state)
    assert load_day_state(tmp_path / "state" / "day.json", OURS) == state


def test_no_file_yet_or_no_day_of_the_account_is_no_day(tmp_path: Path) -> None:
    assert load_day_state(tmp_path / "day.json", OURS) is None
    save_day_state(tmp_path / "day.json", PAPER, DayState(20_429, 100_000.0))
    assert load_day_state(tmp_path / "day.json", OURS) is None


def test_another_accounts_day_saved_after_ours_leaves_ours_as_it_was(tmp_path: Path) -> None:
    # A paper run on hlsim from the same folder must not erase a halted account's day.
    path = tmp_path / "day.json"
    halted = DayState(20_429, 50.0, 1_765_152_000_000_000_000, "daily loss -4.90")
    save_day_state(path, OURS, halted)
    save_day_state(path, PAPER, DayState(20_429, 100_000.0))
    assert load_day_state(path, OURS) == halted
    assert load_day_state(path, PAPER) == DayState(20_429, 100_000.0)


@pytest.mark.parametrize("text", ["not json", "[]", '{"accounts": {"a": {"day": 1}}}',
                                  '{"accounts": {"a": {"day": 1, "day_start_equity": -5.0}}}',
                                  '{"accounts": {}, "extra": 1}'])
def test_a_file_this_guard_did_not_write_is_an_error_naming_it_and_the_way_out(tmp_path: Path, text: str) -> None:
    path = tmp_path / "day.json"
    path.write_text(text)
    with pytest.raises(DayStateError, match=r"day\.json is not one this guard wrote .*remove it"):
        load_day_state(path, OURS)


def test_a_file_that_cannot_be_read_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "day.json"
    path.write_text("{ half a file")
    with pytest.raises(DayStateError):
        save_day_state(path, OURS, DayState(20_429, 50.0))
    assert path.read_text() == "{ half a file"
