"""What a backtest run reads from the catalog: its window, streamed in bounded chunks.

A run quotes from `start` to `end` and reads from its warm-up start (`start` less the config's
`warmup_s`, so the actors' indicators and the strategy's view of the book fill up before quoting
starts) to `end`, nothing else: the engine's clock and the components' timers never run through
data outside the window. A December run over a catalog that also holds September replays
December only.

The book at the warm-up start: the catalog's deltas are diffs against the last snapshot, so the
book is rebuilt from the last snapshot (a CLEAR flagged F_SNAPSHOT) at or before the warm-up start
by folding every delta up to the warm-up start outside the engine (`catalog.reader.book_levels`),
and enters the engine as one snapshot stamped at the warm-up start. When the window's first delta
is itself a snapshot (a recording that starts there, a harvester's reconnect) the older book is
not used: it would only be a stale book from before a gap.

Streaming: book deltas, trades and quotes are merged by ts_init, rows sharing a ts_init in the
order deltas → trades → quotes (what a stable sort of the three lists gave before), and joined
into chunks of at least `chunk_rows` rows that end only between distinct ts_init values (a chunk
never ends in the middle of an instant, so the engine settles and fires timers as in a one-shot
run).
Memory is bounded by the chunk and the reader's batches, not by the window or the catalog.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from operator import attrgetter
from typing import Any

from nautilus_trader.model.data import BookOrder
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from catalog.reader import BookLevels
from catalog.reader import book_levels
from catalog.reader import last_snapshot_at_or_before
from catalog.reader import read_series

CHUNK_ROWS = 100_000
_F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)
_F_LAST = int(RecordFlag.F_LAST)
_ts_init = attrgetter("ts_init")


@dataclass(frozen=True, slots=True)
class RunWindow:
    """The catalog data of one run: `instrument_id`'s data with read_from_ns <= ts_init <= end_ns
    (None: from the instrument's first data / to its last); quoting starts at `start_ns`."""

    instrument_id: str
    read_from_ns: int | None
    end_ns: int | None
    start_ns: int | None = None

    def describe(self) -> str:
        start = "its first data" if self.read_from_ns is None else _iso(self.read_from_ns)
        end = "its last data" if self.end_ns is None else _iso(self.end_ns)
        return f"{self.instrument_id} from {start} to {end}"


def run_window(instrument_id: str, start_ns: int | None, end_ns: int | None, warmup_s: float) -> RunWindow:
    """The window of a run quoting from `start_ns` (None: from the data's start) to `end_ns`."""
    read_from = None if start_ns is None else max(0, start_ns - round(warmup_s * 1e9))
    return RunWindow(instrument_id, read_from, end_ns, start_ns)


def stream(catalog: ParquetDataCatalog, window: RunWindow, chunk_rows: int = CHUNK_ROWS) -> Iterator[list[Any]]:
    """The window's book deltas (after the book as it stood at the warm-up start), trades and quotes,
    merged by ts_init, in chunks of about `chunk_rows` (never split inside one ts_init).

    Raises ValueError when the window holds no book at all (no delta in it, no snapshot before it)."""
    iid, start, end = window.instrument_id, window.read_from_ns, window.end_ns
    deltas = read_series(catalog, OrderBookDelta, iid, start, end)
    first = next(deltas, [])
    seed = [] if start is None or _opens_with_snapshot(first) else warmup_book(catalog, iid, start)
    if not first and not seed:
        raise ValueError(f"no order book deltas for {window.describe()} (and no snapshot before it)")
    series = [
        itertools.chain([seed, first], deltas),
        read_series(catalog, TradeTick, iid, start, end),
        read_series(catalog, QuoteTick, iid, start, end),
    ]
    return _chunks(merge_by_ts_init(series), chunk_rows)


def load(catalog: ParquetDataCatalog, window: RunWindow) -> list[Any]:
    """The whole window as one list (small windows; benchmarks that time the engine alone)."""
    return [item for chunk in stream(catalog, window) for item in chunk]


def warmup_book(catalog: ParquetDataCatalog, instrument_id: str, at_ns: int) -> list[OrderBookDelta]:
    """The book as the catalog's deltas left it just before `at_ns`, as one snapshot stamped at
    `at_ns` (empty when there is no snapshot before `at_ns`)."""
    snapshot_ns = last_snapshot_at_or_before(catalog, instrument_id, at_ns)
    if snapshot_ns is None or snapshot_ns >= at_ns:
        return []
    return snapshot_deltas(InstrumentId.from_str(instrument_id), book_levels(catalog, instrument_id, snapshot_ns, at_ns), at_ns)


def snapshot_deltas(instrument_id: InstrumentId, book: BookLevels, ts_init: int) -> list[OrderBookDelta]:
    """CLEAR + one ADD per level, all flagged F_SNAPSHOT, the last also F_LAST (as the ingest's
    differ writes a snapshot); bids best first, then asks best first."""
    seq, ts_event = book.sequence, book.ts_event
    out = [OrderBookDelta(instrument_id, BookAction.CLEAR, None, _F_SNAPSHOT, seq, ts_event, ts_init)]
    for side in (int(OrderSide.BUY), int(OrderSide.SELL)):
        levels = [
            (_raw(price), _raw(size)) for (level_side, price), size in book.levels.items() if level_side == side
        ]
        levels.sort(reverse=side == int(OrderSide.BUY))
        for price, size in levels:
            order = BookOrder(
                OrderSide(side),
                Price.from_raw(price, book.price_precision),
                Quantity.from_raw(size, book.size_precision),
                0,
            )
            out.append(OrderBookDelta(instrument_id, BookAction.ADD, order, _F_SNAPSHOT, seq, ts_event, ts_init))
    last = out[-1]
    out[-1] = OrderBookDelta(
        instrument_id, last.action, last.order if last.action != BookAction.CLEAR else None,
        last.flags | _F_LAST, seq, ts_event, ts_init,
    )
    return out


def _raw(value: bytes) -> int:
    return int.from_bytes(value, "little", signed=True)


def _opens_with_snapshot(deltas: list[OrderBookDelta]) -> bool:
    return bool(deltas) and deltas[0].action == BookAction.CLEAR and bool(deltas[0].flags & _F_SNAPSHOT)


class _Cursor:
    """Reads one series' batches on demand: what is left of the current batch, and more."""

    __slots__ = ("batches", "buf", "pos")

    def __init__(self, batches: Iterator[list[Any]]) -> None:
        self.batches = batches
        self.buf: list[Any] = []
        self.pos = 0

    def last_ts(self) -> int | None:
        """ts_init of the current batch's last row (None: the series is done)."""
        while self.pos == len(self.buf):
            batch = next(self.batches, None)
            if batch is None:
                return None
            self.buf, self.pos = batch, 0
        return self.buf[-1].ts_init

    def take_through(self, ts: int) -> list[Any]:
        """Every row with ts_init <= ts, reading further batches as needed."""
        out: list[Any] = []
        while self.last_ts() is not None:
            k = bisect.bisect_right(self.buf, ts, lo=self.pos, key=_ts_init)
            out += self.buf[self.pos : k]
            self.pos = k
            if k < len(self.buf):
                break
        return out


def merge_by_ts_init(series: list[Iterator[list[Any]]]) -> Iterator[list[Any]]:
    """Several series, each in ts_init order and given as lists, merged into lists in ts_init order.
    Rows sharing a ts_init come in series order (a stable sort of the series concatenated), and
    a list never ends inside one ts_init. Per round every series gives up all its rows up to the
    smallest last ts_init of the current batches; the pieces are sorted together (stable)."""
    cursors = [_Cursor(iter(s)) for s in series]
    while True:
        lasts = [ts for ts in (c.last_ts() for c in cursors) if ts is not None]
        if not lasts:
            return
        through = min(lasts)
        rows = [row for c in cursors for row in c.take_through(through)]
        rows.sort(key=_ts_init)
        yield rows


def _chunks(pieces: Iterator[list[Any]], chunk_rows: int) -> Iterator[list[Any]]:
    """Pieces (each ending between two ts_init values) joined into chunks of at least `chunk_rows`."""
    chunk: list[Any] = []
    for piece in pieces:
        chunk += piece
        if len(chunk) >= chunk_rows:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")
