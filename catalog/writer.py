"""The one chunked writer of market data into a catalog, used by the ingest and the harvester.

Rows are buffered per series (data type and instrument) and a series is written as its own
parquet file once it holds `chunk_rows` rows, once its buffer is `chunk_secs` old (when given:
the harvester's rotation), and on `flush_all`. The catalog's files of one series must cover
disjoint ts_init ranges (Nautilus names each file by its range, and `catalog.reader` reads files
in name order as one sorted stream), so:

- rows are added in ts_init order: a step back is the caller's to handle (the ingest and the
  harvester hold it at `floor`, and count it) and `add` refuses it;
- a file ends only between distinct ts_init values, and after a write the series' next row must
  be later than that file's end;
- a write whose range overlaps a file the catalog already holds raises `OverlapError` before
  anything is written.

`written` lists the files written (relative to the catalog), so a failed ingest can remove them.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.persistence.catalog.parquet import _parse_filename_timestamps

# Nautilus names files by their ts_init range; past this (2262-04-11T23:47:16.854775807Z) the
# name cannot be parsed back and every query of the series fails.
LAST_NAMEABLE_NS = 2**63 - 1


class OverlapError(Exception):
    """A write would overlap a file of the same series already in the catalog."""

    def __init__(self, cls: type, identifier: str, start_ns: int, end_ns: int, existing: str) -> None:
        super().__init__(f"{cls.__name__} data for {identifier} ({start_ns} .. {end_ns}) overlaps {existing}")
        self.cls = cls
        self.identifier = identifier
        self.start_ns = start_ns
        self.end_ns = end_ns
        self.existing = existing  # relative to the catalog


class _Series:
    """Buffered rows of one (type, instrument) series; `floor` is the lowest ts_init its next row may have."""

    __slots__ = ("buf", "cls", "floor", "identifier", "opened_at")

    def __init__(self, cls: type, identifier: str, floor: int) -> None:
        self.cls = cls
        self.identifier = identifier
        self.buf: list[Any] = []
        self.floor = floor
        self.opened_at = 0.0


class ChunkedCatalogWriter:
    """Buffers rows per series and writes them to `catalog` in chunks (one thread only).

    `after_existing`: each series starts after the last file the catalog holds for it (a harvester
    appending to its own catalog); otherwise a series may start anywhere that overlaps nothing
    (an ingest may add a day older than what the catalog holds)."""

    def __init__(
        self,
        catalog: ParquetDataCatalog,
        chunk_rows: int,
        chunk_secs: float | None = None,
        after_existing: bool = False,
    ) -> None:
        if chunk_rows < 1 or (chunk_secs is not None and not chunk_secs > 0):
            raise ValueError("chunk_rows and chunk_secs must be positive")
        self.catalog = catalog
        self.chunk_rows = chunk_rows
        self.chunk_secs = chunk_secs
        self.after_existing = after_existing
        self.written: list[str] = []
        self.rows_written = 0
        self._series: dict[tuple[type, str], _Series] = {}

    def floor(self, cls: type, identifier: str) -> int:
        """The lowest ts_init the series' next row may have."""
        return self._series_for(cls, identifier).floor

    def add(self, cls: type, identifier: str, rows: Iterable[Any], ts_init: int) -> None:
        """Append rows that all have `ts_init` (one exchange event), at or after `floor`."""
        series = self._series_for(cls, identifier)
        if ts_init < series.floor:
            raise ValueError(f"{cls.__name__} {identifier}: ts_init {ts_init} steps back before {series.floor}")
        if len(series.buf) >= self.chunk_rows and series.buf[-1].ts_init < ts_init:
            self._flush(series)
        if not series.buf:
            series.opened_at = time.monotonic()
        series.buf.extend(rows)
        series.floor = ts_init

    def flush_old(self) -> None:
        """Write every series whose buffer is `chunk_secs` old."""
        if self.chunk_secs is None:
            return
        now = time.monotonic()
        for series in self._series.values():
            if series.buf and now - series.opened_at >= self.chunk_secs:
                self._flush(series)

    def flush_all(self) -> None:
        for series in self._series.values():
            self._flush(series)

    def _series_for(self, cls: type, identifier: str) -> _Series:
        series = self._series.get((cls, identifier))
        if series is None:
            floor = self._existing_end(cls, identifier) + 1 if self.after_existing else 0
            series = self._series[(cls, identifier)] = _Series(cls, identifier, floor)
        return series

    def _directory(self, cls: type, identifier: str) -> Path:
        return Path(self.catalog._make_path(data_cls=cls, identifier=identifier))

    def _existing_end(self, cls: type, identifier: str) -> int:
        ends = [interval[1] for _, interval in self._existing(self._directory(cls, identifier))]
        return max(ends, default=-1)

    @staticmethod
    def _existing(directory: Path) -> list[tuple[Path, tuple[int, int]]]:
        if not directory.exists():
            return []
        files = ((path, _parse_filename_timestamps(path.name)) for path in directory.glob("*.parquet"))
        return [(path, interval) for path, interval in files if interval is not None]

    def _flush(self, series: _Series) -> None:
        if not series.buf:
            return
        rows = series.buf
        start, end = rows[0].ts_init, rows[-1].ts_init
        if end > LAST_NAMEABLE_NS:
            raise ValueError(f"{series.cls.__name__} {series.identifier}: ts_init {end} is past what a catalog can name")
        directory = self._directory(series.cls, series.identifier)
        before = self._existing(directory)
        for path, (first, last) in before:
            if first <= end and start <= last:
                existing = str(path.relative_to(self.catalog.path))
                raise OverlapError(series.cls, series.identifier, start, end, existing)
        series.buf = []
        self.catalog.write_data(rows)
        self.rows_written += len(rows)
        known = {path for path, _ in before}
        self.written += sorted(
            str(path.relative_to(self.catalog.path)) for path in directory.glob("*.parquet") if path not in known
        )
        series.floor = end + 1  # the next file starts after this one ends
