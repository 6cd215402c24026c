"""A run reads only its window from the catalog, streamed in chunks, whatever else the catalog holds."""

from __future__ import annotations

import itertools
from pathlib import Path

import msgspec
import pyarrow.parquet as pq
import pytest
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.serialization.arrow.serializer import ArrowSerializer

import run_backtest
from backtest import window
from backtest.reporting import report
from backtest.runner import RunSpec
from backtest.runner import load_settings
from backtest.runner import parse_utc
from backtest.runner import run_session
from catalog import shipped_data
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta
from catalog.reader import read_series
from catalog.reader import series_files

BTC = "BTC-USD-PERP.HYPERLIQUID"
ETH = "ETH-USD-PERP.HYPERLIQUID"


def _settings(**changes):
    settings = load_settings(run_backtest.DEFAULT_CONFIG)
    # The windows are compared on fills: the edge check would stand the BTC hour down before any.
    governor = {**(settings.governor or {}), "edge_check_enabled": False}
    return msgspec.structs.replace(settings, **{"governor": governor, **changes})


def _fingerprint(session) -> tuple:
    r = report.build(session)
    fills = [(f.ts_ns, f.side, f.level, f.px, f.qty) for f in r.fills]
    return fills, r.times, r.mids, round(r.metrics.total_pnl, 9)


def _rows_in(catalog: ParquetDataCatalog, instrument_id: str, start: int, end: int) -> int:
    return sum(
        len(batch) for cls in (OrderBookDelta, TradeTick, QuoteTick)
        for batch in read_series(catalog, cls, instrument_id, start, end)
    )


def test_a_december_run_replays_december_only_in_a_catalog_that_also_holds_september(eth_two_months) -> None:
    settings = _settings(warmup_s=60.0)
    spec = RunSpec("eth_dec", ETH, start="2025-12-10T21:12:00Z", end="2025-12-10T21:14:00Z")
    session = run_session(settings, spec, eth_two_months)
    read_from = parse_utc("2025-12-10T21:11:00Z")
    # Every event fed is in the window, and the book opened at the warm-up start (a rebuilt snapshot).
    assert session.data_events == _rows_in(eth_two_months, ETH, read_from, parse_utc(spec.end)) + len(
        window.warmup_book(eth_two_months, ETH, read_from)
    )
    assert session.strategy.mids[0][0] >= read_from
    assert session.engine.kernel.clock.timestamp_ns() <= parse_utc(spec.end)


def test_the_warm_up_book_is_the_book_a_replay_from_the_last_snapshot_reaches(btc_hour_alone) -> None:
    at = parse_utc("2024-01-01T12:31:00Z")
    seed = window.warmup_book(btc_hour_alone, BTC, at)
    replayed = OrderBook(seed[0].instrument_id, BookType.L2_MBP)
    for batch in read_series(btc_hour_alone, OrderBookDelta, BTC, None, at - 1):
        for delta in batch:
            replayed.apply_delta(delta)
    rebuilt = OrderBook(seed[0].instrument_id, BookType.L2_MBP)
    for delta in seed:
        rebuilt.apply_delta(delta)
    assert seed[0].action == BookAction.CLEAR and seed[-1].flags & RecordFlag.F_LAST
    assert all(d.ts_init == at and d.flags & RecordFlag.F_SNAPSHOT for d in seed)
    assert {(d.order.price.precision, d.order.size.precision) for d in seed[1:]} == {(1, 5)}  # BTC's
    assert len(_levels(rebuilt)) == 40 and _levels(rebuilt) == _levels(replayed)


def _levels(book: OrderBook) -> list:
    return [(level.price, level.size()) for level in [*book.bids(), *book.asks()]]


def test_a_window_that_opens_with_a_snapshot_needs_no_older_book(eth_two_months) -> None:
    # The December capture starts 21:10:35 with its own snapshot: September's book is not carried over.
    first = next(window.stream(eth_two_months, window.RunWindow(ETH, parse_utc("2025-12-10T21:00:00Z"), None)))
    deltas = [d for d in first if isinstance(d, OrderBookDelta)]
    assert deltas[0].ts_init > parse_utc("2025-12-10T21:10:00Z") and deltas[0].action == BookAction.CLEAR


def test_rows_sharing_a_timestamp_are_replayed_in_the_order_they_were_written(btc_hour_alone) -> None:
    (only,) = series_files(btc_hour_alone, OrderBookDelta, BTC)
    written = OrderBookDelta.from_pyo3_list(ArrowSerializer.deserialize(OrderBookDelta, pq.read_table(only.path)))
    read = [d for batch in read_series(btc_hour_alone, OrderBookDelta, BTC) for d in batch]
    assert [repr(d) for d in read] == [repr(d) for d in written]


def test_a_runs_results_do_not_depend_on_what_else_the_catalog_holds(btc_hour_alone, btc_hour_among_others) -> None:
    # The whole hour: read with Nautilus's query, it made 19 fills alone and 11 beside the other files.
    settings = _settings()
    spec = RunSpec("btc", BTC, start="2024-01-01T12:01:00Z", end="2024-01-01T13:00:00Z")
    alone = run_session(settings, spec, btc_hour_alone)
    among = run_session(settings, spec, btc_hour_among_others)
    assert _fingerprint(alone) == _fingerprint(among)
    assert alone.data_events == among.data_events


def test_small_chunks_give_the_results_of_one_chunk(btc_hour_alone) -> None:
    settings = _settings(warmup_s=120.0)
    spec = RunSpec("btc", BTC, start="2024-01-01T12:30:00Z", end="2024-01-01T12:45:00Z")
    one = run_session(settings, spec, btc_hour_alone, chunk_rows=10_000_000)
    many = run_session(settings, spec, btc_hour_alone, chunk_rows=500)
    assert _fingerprint(one) == _fingerprint(many)
    assert one.strategy.fills, "the window should trade, or the comparison shows nothing"


def test_merged_series_keep_series_order_within_a_timestamp_and_never_split_one() -> None:
    class Row:
        def __init__(self, name: str, ts: int) -> None:
            self.name, self.ts_init = name, ts

    deltas = [[Row("d1", 1), Row("d2", 2)], [Row("d3", 2), Row("d4", 5)]]
    trades = [[Row("t1", 2), Row("t2", 3)]]
    quotes = [[Row("q1", 0), Row("q2", 2), Row("q3", 5)]]
    pieces = list(window.merge_by_ts_init([iter(deltas), iter(trades), iter(quotes)]))
    assert [r.name for p in pieces for r in p] == ["q1", "d1", "d2", "d3", "t1", "q2", "t2", "d4", "q3"]
    for before, after in itertools.pairwise(pieces):
        assert before[-1].ts_init < after[0].ts_init


def test_a_window_without_any_book_is_a_clear_error(eth_two_months) -> None:
    empty = window.RunWindow(BTC, parse_utc("2025-12-10T21:00:00Z"), None)
    with pytest.raises(ValueError, match="no order book deltas for BTC-USD-PERP"):
        window.stream(eth_two_months, empty)


def test_a_catalog_file_not_named_by_its_time_range_is_named_in_the_error(tmp_path: Path, hl_data) -> None:
    ingest_files([shipped_data.btc_capture()], tmp_path, meta=shipped_meta())
    catalog = ParquetDataCatalog(str(tmp_path))
    (only,) = series_files(catalog, OrderBookDelta, BTC)
    stray = only.path.with_name("part-0.parquet")
    stray.write_bytes(only.path.read_bytes())
    with pytest.raises(ValueError, match=r"part-0\.parquet: not a catalog data file"):
        series_files(catalog, OrderBookDelta, BTC)
