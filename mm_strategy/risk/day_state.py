"""The daily loss cap's day, kept across restarts: per account, the equity the UTC day started with and
a halt in force, in a small JSON file. Without it a restart would start the day from the equity of the
moment (the morning's losses forgotten) and quote again after a drawdown halt. One file holds every
account's day, so a run for another account from the same folder (a paper run on hlsim) leaves this
one's alone."""

from __future__ import annotations

import math
import os
from pathlib import Path

import msgspec


class DayStateError(ValueError):
    """The file is there but not a day state this guard wrote."""


class DayState(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    day: int  # the UTC day (ns // NS_PER_DAY)
    day_start_equity: float
    halted_until_ns: int = 0  # a drawdown halt in force until then (0: none)
    halt_reason: str = ""

    def __post_init__(self) -> None:
        if self.day < 0 or not (math.isfinite(self.day_start_equity) and self.day_start_equity > 0):
            raise ValueError(f"day must be ≥ 0 and day_start_equity a positive number, got {self.day}, "
                             f"{self.day_start_equity}")
        if self.halted_until_ns < 0:
            raise ValueError(f"halted_until_ns must be ≥ 0, got {self.halted_until_ns}")


class _DayStates(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    accounts: dict[str, DayState]


_DECODER = msgspec.json.Decoder(_DayStates)


def _read(path: Path) -> dict[str, DayState]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise DayStateError(f"day state {path} cannot be read ({exc})") from None
    try:
        return dict(_DECODER.decode(raw).accounts)
    except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
        raise DayStateError(f"day state {path} is not one this guard wrote ({exc}); remove it to start "
                            "the day from the equity of now") from None


def load_day_state(path: Path, account: str) -> DayState | None:
    """The day saved at `path` for `account`; None when there is none yet."""
    return _read(path).get(account)


def save_day_state(path: Path, account: str, state: DayState) -> None:
    """`account`'s day, the other accounts' kept; written whole or not at all (a crash mid-write leaves
    the last state). A file that cannot be read is left as it is (DayStateError)."""
    states = _read(path)
    states[account] = state
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(msgspec.json.encode(_DayStates(states)))
    os.replace(tmp, path)
