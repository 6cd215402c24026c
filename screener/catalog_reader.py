"""Read one instrument of a Nautilus `ParquetDataCatalog` into what the screener scores: the top of
its recorded L2 book once a second, and its trades, each with the book's mid just before it.

The book is rebuilt from the order book deltas (not read from the bbo quotes): the deltas are what
a backtest of the catalog matches against, and every recording has them (an archive hour has no
bbo). Memory stays bounded: one instrument at a time, `chunk_s` of data per catalog query, and what
is kept is one row per second of book and one row per trade.

The deltas of one book update share a `ts_init`, and a catalog query returns them sorted by
`ts_init` but not in a stable order within it (the F_LAST delta is not always the last one, and two
queries over the same rows can disagree). So an update is applied whole, its CLEAR first, and the
top is read after it: the result does not depend on how the rows were queried.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from adapters.hyperliquid.parsing.instruments import coin_of

NS = 1_000_000_000

BOOK_SCHEMA = {"ts": pl.Int64, "bid": pl.Float64, "ask": pl.Float64, "bid_sz": pl.Float64, "ask_sz": pl.Float64}
TRADE_SCHEMA = {"ts": pl.Int64, "px": pl.Float64, "sz": pl.Float64, "mid": pl.Float64}


class CatalogError(Exception):
    """The catalog cannot be read: no such folder, not a catalog, unreadable files."""


@dataclass(frozen=True, slots=True)
class ReadConfig:
    """How a recording is sampled. A book not updated for `max_gap_s` (a hole in the recording)
    is not sampled and gives no trade a mid."""

    grid_s: int = 1
    max_gap_s: float = 5.0
    chunk_s: int = 3600

    def __post_init__(self) -> None:
        if self.grid_s < 1 or self.chunk_s < self.grid_s or not self.max_gap_s > 0:
            raise ValueError("need grid_s >= 1, chunk_s >= grid_s and max_gap_s > 0")


@dataclass(frozen=True, slots=True)
class Recording:
    """One instrument's recording within the window read.

    book: ts (ns, a multiple of the grid), bid, ask, bid_sz, ask_sz: the top as of each grid time
    while the book was two-sided, uncrossed and fresh. trades: ts, px, sz, mid (null while there
    was no such book).
    """

    instrument_id: str
    coin: str
    sz_decimals: int
    book: pl.DataFrame
    trades: pl.DataFrame


def open_catalog(path: str | Path) -> ParquetDataCatalog:
    """The catalog at `path`: an existing folder holding at least one instrument."""
    folder = Path(path)
    if not folder.exists():
        raise CatalogError(f"catalog folder {folder} does not exist")
    if not folder.is_dir():
        raise CatalogError(f"catalog {folder} is not a folder")
    catalog = ParquetDataCatalog(str(folder))
    if not perp_instruments(catalog):
        raise CatalogError(f"{folder} holds no instruments (not a ParquetDataCatalog, or an empty one)")
    return catalog


def perp_instruments(catalog: ParquetDataCatalog) -> list[Instrument]:
    """The catalog's instruments, by id."""
    try:
        instruments = catalog.instruments()
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise CatalogError(f"cannot read the instruments of {catalog.path}: {exc}") from exc
    return sorted(instruments, key=lambda i: str(i.id))


def _clear_first(delta: OrderBookDelta) -> bool:
    return delta.action != BookAction.CLEAR


class _BookSampler:
    """Applies an instrument's deltas in time order, one whole update (one `ts_init`) at a time;
    keeps the top as of each grid time and the mid as of each trade. Call `finish()` at the end."""

    def __init__(self, instrument_id: InstrumentId, config: ReadConfig) -> None:
        self._book = OrderBook(instrument_id, BookType.L2_MBP)
        self._grid_ns = config.grid_s * NS
        self._max_gap_ns = int(config.max_gap_s * NS)
        self._top: tuple[float, float, float, float] | None = None
        self._updated_ns = 0
        self._next_grid_ns: int | None = None
        self._update: list[OrderBookDelta] = []  # the deltas of the update being collected
        self.book_rows: list[tuple[int, float, float, float, float]] = []
        self.trade_rows: list[tuple[int, float, float, float | None]] = []

    def _fresh_top(self, ts_ns: int) -> tuple[float, float, float, float] | None:
        if self._top is None or ts_ns - self._updated_ns > self._max_gap_ns:
            return None
        return self._top

    def _sample_until(self, ts_ns: int) -> None:
        """Record the top at every grid time before `ts_ns` (the events at `ts_ns` not yet applied)."""
        if self._next_grid_ns is None:
            self._next_grid_ns = -(-ts_ns // self._grid_ns) * self._grid_ns  # the first grid time >= ts
        if self._top is not None:
            last = min(ts_ns - 1, self._updated_ns + self._max_gap_ns)  # no samples inside a hole
            while self._next_grid_ns <= last:
                self.book_rows.append((self._next_grid_ns, *self._top))
                self._next_grid_ns += self._grid_ns
        if self._next_grid_ns < ts_ns:
            self._next_grid_ns = -(-ts_ns // self._grid_ns) * self._grid_ns

    def apply(self, delta: OrderBookDelta) -> None:
        if self._update and delta.ts_init != self._update[0].ts_init:
            self.finish()
        if not self._update:
            self._sample_until(delta.ts_init)  # the grid times before this update
        self._update.append(delta)

    def finish(self) -> None:
        """Apply the update being collected and read the top after it."""
        if not self._update:
            return
        for delta in sorted(self._update, key=_clear_first):  # stable: the rest keep their order
            self._book.apply_delta(delta)
        self._updated_ns = self._update[0].ts_init
        self._update.clear()
        self._top = self._read_top()

    def _read_top(self) -> tuple[float, float, float, float] | None:
        bid, ask = self._book.best_bid_price(), self._book.best_ask_price()
        if bid is None or ask is None or bid >= ask:
            return None
        return (
            bid.as_double(),
            ask.as_double(),
            self._book.best_bid_size().as_double(),
            self._book.best_ask_size().as_double(),
        )

    def trade(self, tick: TradeTick) -> None:
        if self._update and self._update[0].ts_init < tick.ts_init:
            self.finish()
        self._sample_until(tick.ts_init)
        top = self._fresh_top(tick.ts_init)
        mid = None if top is None else (top[0] + top[1]) / 2
        self.trade_rows.append((tick.ts_init, tick.price.as_double(), tick.size.as_double(), mid))


def _chunks(intervals: list[tuple[int, int]], start_ns: int | None, end_ns: int | None, step_ns: int):
    """[a, b] pieces of at most `step_ns` covering the recorded intervals within the window."""
    for lo, hi in intervals:
        lo = lo if start_ns is None else max(lo, start_ns)
        hi = hi if end_ns is None else min(hi, end_ns)
        while lo <= hi:
            yield lo, min(hi, lo + step_ns - 1)
            lo += step_ns


def read_recording(
    catalog: ParquetDataCatalog,
    instrument: Instrument,
    start_ns: int | None = None,
    end_ns: int | None = None,
    config: ReadConfig | None = None,
) -> Recording:
    """The instrument's book samples and trades between `start_ns` and `end_ns` (ns, inclusive;
    None: the whole recording), read `config.chunk_s` at a time."""
    cfg = config or ReadConfig()
    iid = str(instrument.id)
    sampler = _BookSampler(instrument.id, cfg)
    try:
        intervals = sorted(catalog.get_intervals(OrderBookDelta, iid))
        for lo, hi in _chunks(intervals, start_ns, end_ns, cfg.chunk_s * NS):
            deltas = catalog.order_book_deltas(instrument_ids=[iid], start=lo, end=hi)
            trades = catalog.trade_ticks(instrument_ids=[iid], start=lo, end=hi)
            i = 0
            for delta in deltas:
                # A trade stamped with a book update is taken as before it: its mid is the older book's.
                while i < len(trades) and trades[i].ts_init <= delta.ts_init:
                    sampler.trade(trades[i])
                    i += 1
                sampler.apply(delta)
            for tick in trades[i:]:
                sampler.trade(tick)
        sampler.finish()
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise CatalogError(f"cannot read {iid} from {catalog.path}: {exc}") from exc
    return Recording(
        instrument_id=iid,
        coin=coin_of(iid),
        sz_decimals=instrument.size_precision,
        book=pl.DataFrame(sampler.book_rows, schema=BOOK_SCHEMA, orient="row"),
        trades=pl.DataFrame(sampler.trade_rows, schema=TRADE_SCHEMA, orient="row"),
    )
