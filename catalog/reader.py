"""A catalog's market data read back in the order it was written: by time window, in bounded pieces.

Why not `ParquetDataCatalog.query` (or `BacktestNode`'s chunked streaming, which runs the same
DataFusion query): it sorts by `ts_init` alone, and rows sharing a `ts_init` (every delta of one
book event) come back in an order that depends on how DataFusion splits the files. The BTC archive
hour read back with 88 of its 32,588 deltas in another order when it was the only BTC file of its
catalog than when two other BTC files sat beside it, and its backtest made 19 fills in one catalog
and 11 in the other. A delta's place in its event matters (the CLEAR opens a snapshot, F_LAST
closes the event), so this module reads the parquet files themselves, row group by row group, in
file order. The catalog's files of one series cover disjoint time ranges (the writer,
`catalog.writer`, makes sure), so files in name order are data in time order.

Memory is bounded by one batch (`BATCH_ROWS` rows) per open series, whatever the window or the
catalog holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.persistence.catalog.parquet import _parse_filename_timestamps
from nautilus_trader.serialization.arrow.serializer import ArrowSerializer

BATCH_ROWS = 10_000
MARKET_DATA = (OrderBookDelta, TradeTick, QuoteTick)  # the order rows sharing a ts_init are replayed in

_CLEAR = int(BookAction.CLEAR)
_DELETE = int(BookAction.DELETE)
_F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)


class CatalogReadError(ValueError):
    """The catalog holds something this reader cannot read as market data; names the file."""


@dataclass(frozen=True, slots=True)
class SeriesFile:
    """One parquet file of a (data type, instrument) series and the ts_init range its name gives."""

    path: Path
    start_ns: int
    end_ns: int


def series_files(catalog: ParquetDataCatalog, cls: type, instrument_id: str) -> list[SeriesFile]:
    """The series' files, oldest first. A file whose name is not a ts_init range is an error naming
    it (Nautilus would fail on it later with "not enough values to unpack")."""
    directory = Path(catalog._make_path(data_cls=cls, identifier=instrument_id))
    if not directory.is_dir():
        return []
    files = []
    for path in directory.glob("*.parquet"):
        try:
            interval = _parse_filename_timestamps(path.name)
        except (ValueError, OverflowError):
            interval = None
        if interval is None:
            raise CatalogReadError(
                f"{path}: not a catalog data file (its name must be the ts_init range it holds); remove or rename it"
            )
        files.append(SeriesFile(path, interval[0], interval[1]))
    files.sort(key=lambda f: (f.start_ns, f.end_ns))
    return files


def _row_group_range(meta: pq.FileMetaData, index: int, column: int) -> tuple[int, int] | None:
    stats = meta.row_group(index).column(column).statistics
    if stats is None or not stats.has_min_max:
        return None
    return int(stats.min), int(stats.max)


def _tables(
    files: list[SeriesFile], start_ns: int | None, end_ns: int | None, columns: list[str] | None = None
) -> Iterator[pa.Table]:
    """The rows of `files` with start_ns <= ts_init <= end_ns, in file order, a batch at a time."""
    lo = 0 if start_ns is None else start_ns
    hi = 2**64 - 1 if end_ns is None else end_ns
    for f in files:
        if f.end_ns < lo or f.start_ns > hi:
            continue
        parquet = pq.ParquetFile(f.path)
        meta = parquet.metadata
        ts_column = parquet.schema_arrow.get_field_index("ts_init")
        groups = []
        for i in range(meta.num_row_groups):
            span = _row_group_range(meta, i, ts_column)
            if span is None or (span[1] >= lo and span[0] <= hi):
                groups.append(i)
        if not groups:
            continue
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS, row_groups=groups, columns=columns):
            table = pa.Table.from_batches([batch])
            ts = table.column("ts_init")
            if pc.min(ts).as_py() < lo or pc.max(ts).as_py() > hi:
                table = table.filter(pc.and_(pc.greater_equal(ts, lo), pc.less_equal(ts, hi)))
            if table.num_rows:
                yield table


def read_series(
    catalog: ParquetDataCatalog, cls: type, instrument_id: str, start_ns: int | None = None, end_ns: int | None = None
) -> Iterator[list[Any]]:
    """Nautilus objects of one series with start_ns <= ts_init <= end_ns, in file order, in lists of
    at most `BATCH_ROWS`."""
    for table in _tables(series_files(catalog, cls, instrument_id), start_ns, end_ns):
        yield cls.from_pyo3_list(ArrowSerializer.deserialize(data_cls=cls, batch=table))


def last_snapshot_at_or_before(catalog: ParquetDataCatalog, instrument_id: str, ts_ns: int) -> int | None:
    """ts_init of the last book snapshot (a CLEAR flagged F_SNAPSHOT) at or before `ts_ns`."""
    files = [f for f in series_files(catalog, OrderBookDelta, instrument_id) if f.start_ns <= ts_ns]
    for f in reversed(files):  # newest first: the search usually ends in the first file read
        found = None
        for table in _tables([f], None, ts_ns, columns=["action", "flags", "ts_init"]):
            action = table.column("action").to_numpy()
            flags = table.column("flags").to_numpy()
            hits = np.flatnonzero((action == _CLEAR) & ((flags & _F_SNAPSHOT) != 0))
            if hits.size:
                found = int(table.column("ts_init")[int(hits[-1])].as_py())
        if found is not None:
            return found
    return None


@dataclass(slots=True)
class BookLevels:
    """An L2 book as raw fixed-point values: (side, price raw bytes) → size raw bytes."""

    levels: dict[tuple[int, bytes], bytes] = field(default_factory=dict)
    price_precision: int = 0
    size_precision: int = 0
    ts_event: int = 0  # of the last delta applied
    sequence: int = 0
    deltas_applied: int = 0


def book_levels(catalog: ParquetDataCatalog, instrument_id: str, from_ns: int, before_ns: int) -> BookLevels:
    """The book that the deltas with from_ns <= ts_init < before_ns leave (from_ns should be a
    snapshot's time). Plain dictionary work on the raw columns, no Nautilus object per delta: a
    month of deltas since the last snapshot is folded in seconds."""
    book = BookLevels()
    if before_ns <= from_ns:
        return book
    files = series_files(catalog, OrderBookDelta, instrument_id)
    columns = ["action", "side", "price", "size", "sequence", "ts_event", "ts_init"]
    levels = book.levels
    for table in _tables(files, from_ns, before_ns - 1, columns=columns):
        meta = table.schema.metadata or {}
        book.price_precision = int(meta.get(b"price_precision", book.price_precision))
        book.size_precision = int(meta.get(b"size_precision", book.size_precision))
        actions = table.column("action").to_pylist()
        sides = table.column("side").to_pylist()
        prices = table.column("price").to_pylist()
        sizes = table.column("size").to_pylist()
        for action, side, price, size in zip(actions, sides, prices, sizes, strict=True):
            if action == _CLEAR:
                levels.clear()
            elif action == _DELETE or not any(size):
                levels.pop((side, price), None)
            else:
                levels[(side, price)] = size
        book.ts_event = int(table.column("ts_event")[-1].as_py())
        book.sequence = int(table.column("sequence")[-1].as_py())
        book.deltas_applied += table.num_rows
    return book


def last_ts_init(
    catalog: ParquetDataCatalog, instrument_id: str, end_ns: int | None = None, classes: tuple[type, ...] = MARKET_DATA
) -> int | None:
    """The last ts_init at or before `end_ns` over the instrument's series (None: no data)."""
    last = None
    for cls in classes:
        files = [f for f in series_files(catalog, cls, instrument_id) if end_ns is None or f.start_ns <= end_ns]
        for f in reversed(files):
            if end_ns is None or f.end_ns <= end_ns:
                found = f.end_ns
            else:
                found = None
                for table in _tables([f], None, end_ns, columns=["ts_init"]):
                    found = int(pc.max(table.column("ts_init")).as_py())
            if found is not None:
                last = found if last is None else max(last, found)
                break
    return last


def recorded_spans(catalog: ParquetDataCatalog, instrument_id: str, max_gap_ns: int) -> list[tuple[int, int]]:
    """The instrument's recorded stretches: (first, last ts_init) of its data, split wherever no
    book delta, trade or quote arrived for longer than `max_gap_ns`. Reads the ts_init columns only."""
    spans: list[tuple[int, int]] = []
    for cls in MARKET_DATA:
        for table in _tables(series_files(catalog, cls, instrument_id), None, None, columns=["ts_init"]):
            ts = table.column("ts_init").to_numpy()
            cuts = np.flatnonzero(np.diff(ts) > max_gap_ns)
            starts = [int(ts[0]), *(int(ts[i + 1]) for i in cuts)]
            ends = [*(int(ts[i]) for i in cuts), int(ts[-1])]
            spans.extend(zip(starts, ends, strict=True))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start - merged[-1][1] <= max_gap_ns:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def book_instruments(catalog: ParquetDataCatalog) -> list[str]:
    """Instrument ids that have order book deltas in the catalog, sorted."""
    root = Path(catalog._make_path(data_cls=OrderBookDelta))
    if not root.is_dir():
        return []
    return sorted(d.name for d in root.iterdir() if d.is_dir() and any(d.glob("*.parquet")))

