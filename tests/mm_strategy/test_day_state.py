"""The daily loss cap's day across restarts: the file it is kept in."""

from __future__ import annotations

from pathlib import Path

import pytest

from mm_strategy.risk.day_state import DayState
from mm_strategy.risk.day_state import DayStateError
from mm_strategy.risk.day_state import load_day_state
from mm_strategy.risk.day_state import save_day_state


def test_a_saved_day_reads_back_as_it_was(tmp_path: Path) -> None:
    state = DayState("HYPERLIQUID-0xab", 20_429, 10_000.0, 1_765_152_000_000_000_000, "daily loss …")
    save_day_state(tmp_path / "state" / "day.json", state)
    assert load_day_state(tmp_path / "state" / "day.json") == state


def test_no_file_yet_is_no_day(tmp_path: Path) -> None:
    assert load_day_state(tmp_path / "day.json") is None


@pytest.mark.parametrize("text", ["not json", "[]", '{"account": "a", "day": 1}',
                                  '{"account": "a", "day": 1, "day_start_equity": -5.0}',
                                  '{"account": "a", "day": 1, "day_start_equity": 5.0, "extra": 1}'])
def test_a_file_this_guard_did_not_write_is_an_error_naming_it_and_the_way_out(tmp_path: Path, text: str) -> None:
    path = tmp_path / "day.json"
    path.write_text(text)
    with pytest.raises(DayStateError, match=r"day\.json is not one this guard wrote .*remove it"):
        load_day_state(path)
