"""Event calendar: UTC windows (macro releases for every coin, token unlocks per coin) during
which quoting pauses, padded before and after each event.

File format (JSON):
    {"events": [{"name": "US CPI", "start": "2026-01-13T13:30:00Z", "end": "2026-01-13T13:31:00Z",
                 "coin": null, "pad_before_s": 300, "pad_after_s": 600}, ...]}
`coin` null (or absent) applies to all coins; `end` defaults to `start`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import msgspec


class CalendarEvent(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: str
    start: datetime
    end: datetime | None = None
    coin: str | None = None
    pad_before_s: float = 300.0
    pad_after_s: float = 300.0

    def window_ns(self) -> tuple[int, int]:
        start = _to_ns(self.start) - int(self.pad_before_s * 1e9)
        end = _to_ns(self.end or self.start) + int(self.pad_after_s * 1e9)
        return start, end


class CalendarFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    events: list[CalendarEvent]


def _to_ns(dt: datetime) -> int:
    if dt.tzinfo is None:
        raise ValueError(f"calendar time {dt.isoformat()} has no timezone (write it in UTC, e.g. ...Z)")
    return int(dt.timestamp() * 1e9)


class EventCalendar:
    def __init__(self, events: list[CalendarEvent]) -> None:
        self._windows: list[tuple[int, int, str | None, str]] = []
        for ev in events:
            if ev.pad_before_s < 0 or ev.pad_after_s < 0:
                raise ValueError(f"calendar event {ev.name!r}: pads must be ≥ 0")
            start, end = ev.window_ns()
            if end < start:
                raise ValueError(f"calendar event {ev.name!r}: end is before start")
            self._windows.append((start, end, ev.coin.upper() if ev.coin else None, ev.name))
        self._windows.sort()

    @classmethod
    def from_file(cls, path: str | Path) -> EventCalendar:
        try:
            data = msgspec.json.decode(Path(path).read_bytes(), type=CalendarFile)
        except (FileNotFoundError, IsADirectoryError):
            raise ValueError(f"calendar file {path}: no such file") from None
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ValueError(f"bad calendar file {path}: {exc}") from exc
        except ValueError as exc:
            raise ValueError(f"bad calendar file {path}: {exc}") from exc
        return cls(data.events)

    def __len__(self) -> int:
        return len(self._windows)

    def active(self, ts_ns: int, coin: str) -> str | None:
        """Name of an event whose padded window covers `ts_ns` for `coin`, else None."""
        coin = coin.upper()
        for start, end, ev_coin, name in self._windows:
            if start > ts_ns:
                break
            if ts_ns <= end and (ev_coin is None or ev_coin == coin):
                return name
        return None
