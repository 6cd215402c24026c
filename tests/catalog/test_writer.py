"""The one chunked catalog writer: files of a series cover disjoint time ranges, whatever the caller does."""

from __future__ import annotations

from pathlib import Path

import pytest
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.persistence.catalog.parquet import _parse_filename_timestamps

from adapters.hyperliquid.parsing.instruments import perp_instrument
from catalog.writer import ChunkedCatalogWriter
from catalog.writer import OverlapError

ETH = perp_instrument("ETH", 4)
IID = ETH.id.value


def tick(i: int, ts: int) -> TradeTick:
    return TradeTick(ETH.id, ETH.make_price(3000), ETH.make_qty(0.1), AggressorSide.BUYER, TradeId(str(i)), ts, ts)


def add_all(writer: ChunkedCatalogWriter, times: list[int]) -> None:
    for i, ts in enumerate(times):
        writer.add(TradeTick, IID, [tick(i, ts)], ts)


def intervals(catalog: ParquetDataCatalog) -> list[tuple[int, int]]:
    directory = Path(catalog._make_path(data_cls=TradeTick, identifier=IID))
    return sorted(_parse_filename_timestamps(p.name) for p in directory.glob("*.parquet"))


def test_a_chunk_ends_only_between_distinct_timestamps(tmp_path: Path) -> None:
    catalog = ParquetDataCatalog(str(tmp_path))
    writer = ChunkedCatalogWriter(catalog, chunk_rows=2)
    add_all(writer, [1, 2, 2, 2, 3, 4])
    writer.flush_all()
    assert intervals(catalog) == [(1, 2), (3, 4)]
    assert writer.rows_written == 6 and len(writer.written) == 2


def test_after_a_write_the_next_row_must_be_later_than_the_files_end(tmp_path: Path) -> None:
    writer = ChunkedCatalogWriter(ParquetDataCatalog(str(tmp_path)), chunk_rows=10)
    add_all(writer, [5, 6])
    writer.flush_all()
    assert writer.floor(TradeTick, IID) == 7
    with pytest.raises(ValueError, match="steps back"):
        writer.add(TradeTick, IID, [tick(9, 6)], 6)


def test_a_write_overlapping_a_file_already_there_is_refused_before_writing(tmp_path: Path) -> None:
    catalog = ParquetDataCatalog(str(tmp_path))
    first = ChunkedCatalogWriter(catalog, chunk_rows=10)
    add_all(first, [10, 20])
    first.flush_all()
    second = ChunkedCatalogWriter(catalog, chunk_rows=10)
    add_all(second, [15, 25])
    with pytest.raises(OverlapError) as exc:
        second.flush_all()
    assert exc.value.existing.endswith(".parquet") and second.written == []
    assert intervals(catalog) == [(10, 20)]
    older = ChunkedCatalogWriter(catalog, chunk_rows=10)  # data older than the catalog's is welcome
    add_all(older, [1, 2])
    older.flush_all()
    assert intervals(catalog) == [(1, 2), (10, 20)]


def test_an_appending_writer_starts_after_what_the_catalog_holds(tmp_path: Path) -> None:
    catalog = ParquetDataCatalog(str(tmp_path))
    writer = ChunkedCatalogWriter(catalog, chunk_rows=10)
    add_all(writer, [10, 20])
    writer.flush_all()
    appending = ChunkedCatalogWriter(catalog, chunk_rows=10, after_existing=True)
    assert appending.floor(TradeTick, IID) == 21


def test_a_time_past_what_a_catalog_can_name_is_never_written(tmp_path: Path) -> None:
    catalog = ParquetDataCatalog(str(tmp_path))
    writer = ChunkedCatalogWriter(catalog, chunk_rows=10)
    add_all(writer, [2**63])
    with pytest.raises(ValueError, match="past what a catalog can name"):
        writer.flush_all()
    assert intervals(catalog) == []
