"""Ingesting Hyperliquid files into a ParquetDataCatalog, and reading them back."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import pytest
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from adapters.hyperliquid.parsing.recordings import HyperliquidFileReader
from adapters.hyperliquid.parsing.recordings import WrongFileKindError
from adapters.hyperliquid.schemas.market_data import decode_l2book
from catalog import shipped_data
from catalog.__main__ import main as cli_main
from catalog.ingest import IngestError
from catalog.ingest import IngestSummary
from catalog.ingest import ensure_shipped_catalog
from catalog.ingest import ingest_files
from catalog.manifest import IngestManifest
from catalog.manifest import file_sha256

F_LAST = int(RecordFlag.F_LAST)
F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)
BTC = "BTC-USD-PERP.HYPERLIQUID"
ETH = "ETH-USD-PERP.HYPERLIQUID"


def _events(deltas: list[OrderBookDelta]) -> list[list[OrderBookDelta]]:
    events: list[list[OrderBookDelta]] = [[]]
    for d in deltas:
        events[-1].append(d)
        if d.flags & F_LAST:
            events.append([])
    assert events[-1] == [], "the last delta of the data must carry F_LAST"
    return events[:-1]


def _levels(book: OrderBook) -> tuple[list[tuple[Decimal, Decimal]], ...]:
    return (
        [(lvl.price.as_decimal(), lvl.orders()[0].size.as_decimal()) for lvl in book.bids()],
        [(lvl.price.as_decimal(), lvl.orders()[0].size.as_decimal()) for lvl in book.asks()],
    )


def _assert_round_trip(catalog_dir: Path, source: Path, instrument_id: str) -> int:
    """Replay the catalog's deltas for `source`'s time range; after each snapshot the book equals it."""
    snapshots = [decode_l2book(r.raw) for r in HyperliquidFileReader(source) if r.channel == "l2Book"]
    start = min(s.time for s in snapshots) * 1_000_000
    catalog = ParquetDataCatalog(str(catalog_dir))
    deltas = [d for d in catalog.order_book_deltas(instrument_ids=[instrument_id]) if d.ts_event >= start]
    deltas = [d for d in deltas if d.ts_event <= max(s.time for s in snapshots) * 1_000_000]
    events = iter(_events(deltas))
    book = OrderBook(deltas[0].instrument_id, BookType.L2_MBP)
    previous = None
    checked = 0
    for snap in snapshots:
        if snap.levels != previous:  # an unchanged snapshot has no event
            for delta in next(events):
                book.apply_delta(delta)
        expected = tuple([(Decimal(lv.px), Decimal(lv.sz)) for lv in side] for side in snap.levels)
        assert _levels(book) == expected, f"book differs after snapshot at {snap.time}"
        previous = snap.levels
        checked += 1
    assert next(events, None) is None
    return checked


@pytest.mark.slow
def test_catalog_deltas_rebuild_every_snapshot_of_the_btc_archive_hour(
    shipped_catalog: tuple[Path, IngestSummary], hl_data: Path
) -> None:
    directory, _ = shipped_catalog
    assert _assert_round_trip(directory, shipped_data.btc_archive_hour(), BTC) == 5587


@pytest.mark.slow
def test_catalog_deltas_rebuild_every_snapshot_of_the_eth_capture(
    shipped_catalog: tuple[Path, IngestSummary], hl_data: Path
) -> None:
    directory, _ = shipped_catalog
    assert _assert_round_trip(directory, shipped_data.eth_capture(), ETH) == 2081


def test_catalog_deltas_rebuild_every_snapshot_of_the_btc_capture_beside_the_archive_hour(
    shipped_catalog: tuple[Path, IngestSummary], hl_data: Path
) -> None:
    directory, _ = shipped_catalog
    assert _assert_round_trip(directory, shipped_data.btc_capture(), BTC) == 46


def test_each_file_opens_with_one_flagged_snapshot_and_no_other_clear(
    shipped_catalog: tuple[Path, IngestSummary],
) -> None:
    directory, _ = shipped_catalog
    deltas = ParquetDataCatalog(str(directory)).order_book_deltas(instrument_ids=[BTC])
    clears = [d for d in deltas if d.action == BookAction.CLEAR]
    # Two BTC files (2024 archive hour, 2025 capture): each starts with its own snapshot.
    assert len(clears) == 2 and all(c.flags & F_SNAPSHOT for c in clears)
    assert sum(1 for d in deltas if d.flags & F_SNAPSHOT) == 2 * (
        1 + 20 + 20
    )  # CLEAR + 20 + 20 levels, twice
    ts = [d.ts_init for d in deltas]
    assert ts == sorted(ts)
    assert all(d.ts_init >= d.ts_event for d in deltas)


def test_summary_counts_the_shipped_data(shipped_catalog: tuple[Path, IngestSummary]) -> None:
    _, summary = shipped_catalog
    eth = summary.instruments[ETH]
    assert eth.messages == {"l2Book": 2081, "bbo": 9967, "trades": 1834}
    assert eth.quotes == 9967 and eth.trades == 6385
    assert eth.book.deltas == eth.book.adds + eth.book.updates + eth.book.deletes + eth.book.clears
    assert eth.book.deletes == eth.book.vanished_in_window + eth.book.left_window
    # The capture has a ~5 min hole at ~21:17 UTC.
    assert any(b - a > 200e9 for a, b in eth.gaps)
    btc = summary.instruments[BTC]
    assert btc.messages["l2Book"] == 5587 + 46 and btc.precision_source == "meta"
    assert summary.skipped == 0


def test_catalog_holds_instruments_quotes_and_trades(shipped_catalog: tuple[Path, IngestSummary]) -> None:
    catalog = ParquetDataCatalog(str(shipped_catalog[0]))
    instruments = {str(i.id): i for i in catalog.instruments()}
    assert instruments[BTC].size_precision == 5 and instruments[ETH].price_precision == 2
    assert len(catalog.quote_ticks(instrument_ids=[ETH])) == 9967
    trades = catalog.trade_ticks(instrument_ids=[ETH])
    assert len(trades) == 6385 and str(trades[0].trade_id) == "290739344471763"


def test_ingesting_the_same_file_twice_adds_nothing(tmp_path: Path, hl_data: Path) -> None:
    src = shipped_data.btc_capture()
    first = ingest_files([src], tmp_path)
    files_before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet"))
    second = ingest_files([src], tmp_path)
    assert first.files[0].status == "ingested" and second.files[0].status == "already ingested"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.parquet")) == files_before
    # The summary of a file ingested earlier is shown again from the manifest.
    assert second.instruments[BTC].to_dict() == first.instruments[BTC].to_dict()
    catalog = ParquetDataCatalog(str(tmp_path))
    assert len(catalog.trade_ticks()) == first.instruments[BTC].trades


def test_replace_rewrites_a_file_without_duplicating(tmp_path: Path, hl_data: Path) -> None:
    src = shipped_data.btc_capture()
    first = ingest_files([src], tmp_path)
    again = ingest_files([src], tmp_path, replace=True)
    assert again.files[0].status == "ingested"
    deltas = ParquetDataCatalog(str(tmp_path)).order_book_deltas()
    assert len(deltas) == first.instruments[BTC].book.deltas


def test_a_different_file_overlapping_catalog_data_is_refused_and_leaves_nothing(
    tmp_path: Path, hl_data: Path
) -> None:
    src = shipped_data.btc_capture()
    ingest_files([src], tmp_path / "cat")
    copy = tmp_path / "BTC_copy.ws"  # same messages, different bytes (plain text)
    copy.write_bytes(gzip.decompress(src.read_bytes()))
    before = sorted(tmp_path.joinpath("cat").rglob("*.parquet"))
    with pytest.raises(IngestError, match=r"BTC_copy\.ws.*overlaps"):
        ingest_files([copy], tmp_path / "cat")
    assert sorted(tmp_path.joinpath("cat").rglob("*.parquet")) == before


def test_wrong_file_kind_stops_before_anything_is_written(tmp_path: Path, hl_data: Path) -> None:
    bad = tmp_path / "meta.json"
    bad.write_text(json.dumps({"universe": []}))
    with pytest.raises(WrongFileKindError, match=r"meta\.json"):
        ingest_files([shipped_data.btc_capture(), bad], tmp_path / "cat")
    assert not list((tmp_path / "cat").rglob("*.parquet"))


def test_empty_file_is_reported_and_writes_nothing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ws.gz"
    empty.write_bytes(b"")
    summary = ingest_files([empty], tmp_path / "cat")
    assert summary.files[0].status == "empty"
    assert not list((tmp_path / "cat").rglob("*.parquet"))


def test_truncated_capture_ingests_what_it_holds_and_reports_the_cut(tmp_path: Path, hl_data: Path) -> None:
    data = shipped_data.eth_capture().read_bytes()
    cut = tmp_path / "ETH_cut.ws.gz"
    cut.write_bytes(data[: len(data) // 3])
    summary = ingest_files([cut], tmp_path / "cat", meta=shipped_data.info_dir() / "meta_2023.json")
    f = summary.files[0]
    assert f.truncated and f.skipped == 1 and f.first_skipped[0].reason == "truncated last line"
    assert any("truncated" in w for w in f.warnings)
    assert summary.instruments[ETH].book.snapshots > 100


def test_invalid_messages_are_skipped_with_line_numbers(tmp_path: Path) -> None:
    good = (
        '1000000000 {"channel":"l2Book","data":{"coin":"ETH","time":1000,'
        '"levels":[[{"px":"100.0","sz":"1.5"}],[{"px":"100.5","sz":"2"}]]}}'
    )
    lines = [
        good,
        '1000000001 {"channel":"l2Book","data":{"coin":"ETH","levels":[[],[]]}}',  # no time
        '1000000002 {"channel":"trades","data":[{"coin":"ETH","side":"X","px":"1","sz":"1","time":1,"tid":1}]}',
        '1001000003 {"channel":"bbo","data":{"coin":"ETH","time":1001,"bbo":[null,null]}}',
        '1001000004 {"channel":"l2Book","data":{"coin":"ETH","time":-1,'  # before 1970
        '"levels":[[{"px":"100.0","sz":"1"}],[]]}}',
    ]
    path = tmp_path / "bad.ws"
    path.write_text("\n".join(lines) + "\n")
    summary = ingest_files([path], tmp_path / "cat", meta={"universe": [{"name": "ETH", "szDecimals": 4}]})
    f = summary.files[0]
    assert [(s.line_no, s.reason.split(":")[0]) for s in f.first_skipped] == [
        (2, "invalid l2Book"),
        (3, "invalid trades"),
        (5, "invalid l2Book"),
    ]
    eth = summary.instruments[ETH]
    assert eth.book.snapshots == 1 and eth.one_sided_bbo == 1 and eth.quotes == 0


def test_absurd_receive_times_are_skipped_with_line_numbers_and_the_catalog_stays_intact(
    tmp_path: Path, hl_data: Path
) -> None:
    catalog_dir = tmp_path / "cat"
    ingest_files([shipped_data.btc_capture()], catalog_dir)
    before = {p: p.read_bytes() for p in catalog_dir.rglob("*.parquet")}
    good = (
        '1000000000 {"channel":"trades","data":[{"coin":"ETH","side":"B","px":"100.0","sz":"1",'
        '"time":1000,"tid":1}]}'
    )
    absurd = good.replace("1000000000 ", "1000000000000000000000000 ").replace('"tid":1', '"tid":2')
    path = tmp_path / "x1000.ws"
    path.write_text(good + "\n" + absurd + "\n")
    summary = ingest_files([path], catalog_dir, meta={"universe": [{"name": "ETH", "szDecimals": 4}]})
    f = summary.files[0]
    assert [(s.line_no, s.reason) for s in f.first_skipped] == [(2, "bad receive time: out of range")]
    assert summary.instruments[ETH].trades == 1
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("sz_decimals", [-3, 50])
def test_meta_with_sz_decimals_outside_0_to_6_is_refused_naming_the_coin_and_writes_nothing(
    sz_decimals: int, tmp_path: Path, hl_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"universe": [{"name": "BTC", "szDecimals": sz_decimals}]}))
    code = cli_main(
        ["ingest", str(shipped_data.btc_capture()), "--meta", str(meta), "--catalog", str(tmp_path / "cat"),
         "--no-progress"]
    )
    assert code == 2
    assert f"BTC: szDecimals must be 0..6 for a perp, got {sz_decimals}" in capsys.readouterr().out
    assert not (tmp_path / "cat").exists()


def test_a_file_given_twice_is_read_and_counted_once(
    tmp_path: Path, hl_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = shipped_data.btc_capture()
    same = src.parent / ".." / src.parent.name / src.name  # another spelling of the same file
    once = ingest_files([src], tmp_path / "once")
    twice = ingest_files([src, same], tmp_path / "twice")
    assert [f.status for f in twice.files] == ["ingested"]
    assert twice.instruments[BTC].to_dict() == once.instruments[BTC].to_dict()
    assert twice.duplicates == [str(same)]
    cli_main(["ingest", str(src), str(src), "--catalog", str(tmp_path / "cli"), "--no-progress"])
    assert "given more than once" in capsys.readouterr().out


def test_a_byte_identical_copy_is_counted_once(tmp_path: Path, hl_data: Path) -> None:
    src = shipped_data.btc_capture()
    copy = tmp_path / "copy.ws.gz"
    copy.write_bytes(src.read_bytes())
    summary = ingest_files([src, copy], tmp_path / "cat")
    assert [f.path for f in summary.files] == [str(src)] and summary.duplicates == [str(copy)]
    assert summary.instruments[BTC].files == [str(src)]


def test_precision_is_inferred_with_a_warning_when_no_meta_is_given(tmp_path: Path, hl_data: Path) -> None:
    summary = ingest_files([shipped_data.btc_capture()], tmp_path)
    btc = summary.instruments[BTC]
    assert btc.precision_source == "inferred" and (btc.price_precision, btc.size_precision) == (1, 5)
    assert any("inferred" in w for w in summary.files[0].warnings)


def test_meta_precision_wins_over_inference(tmp_path: Path, hl_data: Path) -> None:
    meta = {"universe": [{"name": "BTC", "szDecimals": 5, "maxLeverage": 50}]}
    summary = ingest_files([shipped_data.btc_capture()], tmp_path, meta=meta, fee_tier=2)
    btc = summary.instruments[BTC]
    assert btc.precision_source == "meta" and not summary.files[0].warnings
    instrument = ParquetDataCatalog(str(tmp_path)).instruments()[0]
    assert instrument.maker_fee == Decimal("0.00008")


def test_meta_with_too_few_decimals_stops_with_a_clear_error(tmp_path: Path, hl_data: Path) -> None:
    meta = {"universe": [{"name": "BTC", "szDecimals": 3}]}
    with pytest.raises(IngestError, match="more decimals than the instrument's"):
        ingest_files([shipped_data.btc_capture()], tmp_path, meta=meta)
    assert not list(tmp_path.rglob("*.parquet"))


def test_ensure_shipped_catalog_builds_once(tmp_path: Path, hl_data: Path) -> None:
    directory = ensure_shipped_catalog(tmp_path / "cat")
    names = sorted(directory.rglob("*.parquet"))
    # 4 instruments; per file its deltas (+ quotes and trades where recorded): 7 files, the BTC
    # archive hour without quotes or trades, the small BTC capture without quotes.
    assert len(names) == 4 + 3 * 5 + 1 + 2
    assert ensure_shipped_catalog(tmp_path / "cat") == directory
    assert sorted(directory.rglob("*.parquet")) == names


def test_cli_ingests_and_prints_a_summary(
    tmp_path: Path, hl_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli_main(["ingest", str(shipped_data.btc_capture()), "--catalog", str(tmp_path), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 0
    assert "BTC-USD-PERP.HYPERLIQUID" in out and "ADD" in out and "gaps > 5 s" in out


def test_cli_names_a_wrong_file_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"PAR1\x00\x01\x02PAR1")
    code = cli_main(["ingest", str(bad), "--catalog", str(tmp_path / "cat"), "--no-progress"])
    assert code == 2
    assert "x.parquet" in capsys.readouterr().out


def test_ensure_shipped_catalog_applies_the_requested_fee_tier(tmp_path: Path, hl_data: Path) -> None:
    ensure_shipped_catalog(tmp_path / "cat", fee_tier=0)
    directory = ensure_shipped_catalog(tmp_path / "cat", fee_tier=3)
    instruments = ParquetDataCatalog(str(directory)).instruments()
    assert {i.maker_fee for i in instruments} == {Decimal("0.00004")}
    assert {i.taker_fee for i in instruments} == {Decimal("0.00030")}


def test_long_files_are_written_in_chunks_that_never_split_an_event(
    tmp_path: Path, hl_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import catalog.ingest as ingest_module

    monkeypatch.setattr(ingest_module, "CHUNK_ROWS", 5_000)
    summary = ingest_files(
        [shipped_data.btc_archive_hour()], tmp_path, meta=shipped_data.info_dir() / "meta_2023.json"
    )
    delta_files = list((tmp_path / "data" / "order_book_deltas").rglob("*.parquet"))
    assert len(delta_files) >= 6
    deltas = ParquetDataCatalog(str(tmp_path)).order_book_deltas()
    assert len(deltas) == summary.instruments[BTC].book.deltas
    assert deltas[-1].flags & F_LAST
    assert len(_events(deltas)) == 5587 - summary.instruments[BTC].book.unchanged


def test_cli_accepts_an_archive_folder(tmp_path: Path, hl_data: Path) -> None:
    archive_day = shipped_data.hyperliquid_dir() / "archive" / "market_data" / "20240101"
    code = cli_main(["ingest", str(archive_day), "--catalog", str(tmp_path), "--no-progress"])
    assert code == 0
    manifest = json.loads((tmp_path / "hyperliquid_ingest.json").read_text())
    assert [e["source"] for e in manifest["files"].values()] == [str(shipped_data.btc_archive_hour())]


@pytest.mark.parametrize(
    ("manifest", "match"),
    [
        ("{not json", "corrupt ingest manifest"),
        ('{"version": 99, "files": {}}', "not an ingest manifest of version 1"),
        ('{"version": 1, "files": {"ab": ["x"]}}', "not an ingest record"),
        ('{"version": 1, "files": {"ab": {"outputs": ["../../elsewhere.parquet"]}}}', "outside the catalog"),
        ('{"version": 1, "files": {"ab": {"outputs": ["/etc/passwd"]}}}', "outside the catalog"),
    ],
)
def test_a_damaged_manifest_stops_the_ingest_before_anything_is_touched(
    tmp_path: Path, manifest: str, match: str
) -> None:
    # --replace deletes a listed file's outputs: the manifest is checked before it is trusted.
    (tmp_path / "hyperliquid_ingest.json").write_text(manifest)
    with pytest.raises(ValueError, match=match):
        ingest_files([shipped_data.btc_capture()], tmp_path, replace=True)
    assert not list(tmp_path.rglob("*.parquet"))


def test_a_damaged_recorded_summary_is_a_clear_error_naming_the_manifest(tmp_path: Path) -> None:
    src = shipped_data.btc_capture()
    entry = {"outputs": [], "summary": {"instruments": {"BTC-USD-PERP.HYPERLIQUID": "not a summary"}}}
    manifest = {"version": 1, "files": {file_sha256(src): entry}}
    (tmp_path / "hyperliquid_ingest.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match=r"hyperliquid_ingest\.json: the summary recorded for .* is damaged"):
        ingest_files([src], tmp_path)


def test_replace_takes_out_a_truncated_copy_the_complete_recording_overlaps(tmp_path: Path, hl_data: Path) -> None:
    # Review 6: the complete file could not replace its truncated copy, and the error's advice
    # ("remove that file") was one of the copy's three outputs.
    data = shipped_data.eth_capture().read_bytes()
    cut = tmp_path / "ETH_cut.ws.gz"
    cut.write_bytes(data[: len(data) // 3])
    meta = shipped_data.info_dir() / "meta_2023.json"
    catalog = tmp_path / "cat"
    first = ingest_files([cut], catalog, meta=meta).files[0]
    with pytest.raises(IngestError, match=r"from .*ETH_cut\.ws\.gz\)\. .*ingest this file with --replace") as info:
        ingest_files([shipped_data.eth_capture()], catalog, meta=meta)
    assert f"{len(first.outputs)} parquet file(s)" in str(info.value)
    assert all((catalog / rel).exists() for rel in first.outputs)  # the refusal changed nothing

    whole = ingest_files([shipped_data.eth_capture()], catalog, meta=meta, replace=True).files[0]
    assert whole.status == "ingested" and not whole.truncated
    assert not any((catalog / rel).exists() for rel in first.outputs if rel not in whole.outputs)
    manifest = IngestManifest(catalog)
    assert [e["source"] for e in manifest.files.values()] == [str(shipped_data.eth_capture())]
