"""The times an ingested line must carry, so that whatever a file holds the catalog stays readable.

- A receive or exchange time past what Nautilus can name a file by (2262-04-11) would name a
  parquet file no query can parse, and every read of that series would fail ("not enough values
  to unpack"), good data included: such a line is skipped, and listed with its line number.
- A receive time further than `max_skew_s` (default 5 minutes) from the message's own exchange
  time is a broken clock or a replayed message (the recent trades a subscription sends); it would
  stamp the data minutes off: the line is skipped and listed.
- Lines must come in time order: the receive time (or, in files without one, the exchange time of
  each coin's channel) may step back by clock jitter only, at most `STEP_BACK_TOLERANCE_NS`
  (such rows are held at the previous time and counted, as before). A larger step back means the
  file is out of order: it is refused with an error naming the first such line, and nothing of it
  is kept. Not sorted instead: sorting needs the whole file in memory (a day of captures does not
  fit), and a file in the wrong order is better fixed where it was made, e.g.
  `zcat F.ws.gz | sort -s -n -k1,1 | gzip > F.sorted.ws.gz` for a capture. Never squashed: before
  this rule a reversed file was ingested with every message at its last time.
"""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from catalog.writer import LAST_NAMEABLE_NS

DEFAULT_MAX_SKEW_S = 300.0
STEP_BACK_TOLERANCE_NS = 1_000_000_000


class BadLineTime(ValueError):
    """The line's times cannot go into the catalog: skip it (the message says why)."""


class OutOfOrder(Exception):
    """A line steps back in time further than clock jitter: the file cannot be ingested as it is."""

    def __init__(self, line_no: int, time_ns: int, before_line: int, before_ns: int, what: str) -> None:
        super().__init__(
            f"line {line_no}: its {what} {_iso(time_ns)} is {(before_ns - time_ns) / 1e9:,.3f} s before line "
            f"{before_line}'s ({_iso(before_ns)}); the file is out of time order and was not ingested "
            "(sort its lines by time first, e.g. `zcat F | sort -s -n -k1,1 | gzip` for a capture)"
        )
        self.line_no = line_no


class LineTimes:
    """Checks each line's times in file order (one instance per file)."""

    def __init__(self, max_skew_s: float = DEFAULT_MAX_SKEW_S) -> None:
        if not max_skew_s > 0:
            raise ValueError(f"max_skew_s must be > 0, got {max_skew_s}")
        self.max_skew_ns = round(max_skew_s * 1e9)
        self._latest: dict[object, tuple[int, int]] = {}  # order key → (latest time, its line)

    def check(self, line_no: int, recv_ns: int | None, exchange_ns: list[int], series: object) -> None:
        """Raise BadLineTime (skip the line) or OutOfOrder (refuse the file); `series` names the
        coin and channel, whose exchange times must be in order when the file has no receive times."""
        if recv_ns is not None and recv_ns > LAST_NAMEABLE_NS:
            raise BadLineTime(f"receive time past Nautilus's range: {recv_ns} is after {_iso(LAST_NAMEABLE_NS)}")
        for t in exchange_ns:
            if t > LAST_NAMEABLE_NS:
                raise BadLineTime(f"exchange time past Nautilus's range: {t} is after {_iso(LAST_NAMEABLE_NS)}")
        if recv_ns is not None:
            for t in exchange_ns:
                if abs(recv_ns - t) > self.max_skew_ns:
                    raise BadLineTime(
                        f"receive time far from the exchange time: {(recv_ns - t) / 1e9:+,.1f} s "
                        f"(more than {self.max_skew_ns / 1e9:g} s)"
                    )
        if recv_ns is not None:
            key, t, what = None, recv_ns, "receive time"
        elif exchange_ns:
            key, t, what = series, max(exchange_ns), "exchange time"
        else:
            return
        latest = self._latest.get(key)
        if latest is not None and t < latest[0] - STEP_BACK_TOLERANCE_NS:
            raise OutOfOrder(line_no, t, latest[1], latest[0], what)
        if latest is None or t > latest[0]:
            self._latest[key] = (t, line_no)


def _iso(ns: int) -> str:
    seconds, nanos = divmod(ns, 1_000_000_000)
    return f"{datetime.fromtimestamp(seconds, tz=UTC):%Y-%m-%dT%H:%M:%S}.{nanos // 1_000_000:03d}Z"
