"""Ingest refuses what the catalog cannot hold, so a bad file never makes the catalog unreadable."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog

import run_backtest
from backtest.runner import RunSpec
from backtest.runner import load_settings
from backtest.runner import parse_utc
from backtest.runner import run_session
from catalog import shipped_data
from catalog.__main__ import main as cli_main
from catalog.ingest import IngestError
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta

BTC = "BTC-USD-PERP.HYPERLIQUID"
T0 = parse_utc("2025-03-01T00:00:00Z")  # a day the archive hour of 2024 does not touch
YEAR_2520_NS = 17_357_000_000 * 10**9
META = {"universe": [{"name": "BTC", "szDecimals": 5}]}


def book(recv_ns: int | None, time_ns: int, bid: str = "85000.0") -> str:
    data = {"coin": "BTC", "time": time_ns // 10**6, "levels": [[{"px": bid, "sz": "1.0", "n": 1}],
                                                                [{"px": "85001.0", "sz": "2.0", "n": 1}]]}
    message = json.dumps({"channel": "l2Book", "data": data})
    return message if recv_ns is None else f"{recv_ns} {message}"


def trade(recv_ns: int, time_ns: int, tid: int) -> str:
    data = [{"coin": "BTC", "side": "B", "px": "85000.5", "sz": "0.1", "time": time_ns // 10**6, "tid": tid}]
    return f"{recv_ns} " + json.dumps({"channel": "trades", "data": data})


def quote(recv_ns: int, time_ns: int) -> str:
    data = {"coin": "BTC", "time": time_ns // 10**6, "bbo": [{"px": "85000.0", "sz": "1.0", "n": 1},
                                                             {"px": "85001.0", "sz": "2.0", "n": 1}]}
    return f"{recv_ns} " + json.dumps({"channel": "bbo", "data": data})


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def good_catalog(tmp_path: Path, hl_data: Path) -> Path:
    """A catalog holding good data: the BTC archive hour of 2024-01-01."""
    directory = tmp_path / "catalog"
    ingest_files([shipped_data.btc_archive_hour()], directory, meta=shipped_meta())
    return directory


def backtest_the_good_data(directory: Path) -> int:
    settings = msgspec.structs.replace(load_settings(run_backtest.DEFAULT_CONFIG), warmup_s=60.0)
    spec = RunSpec("btc", BTC, start="2024-01-01T12:02:00Z", end="2024-01-01T12:04:00Z")
    session = run_session(settings, spec, ParquetDataCatalog(str(directory)))
    session.engine.dispose()
    return session.data_events


def test_times_the_catalog_cannot_hold_are_skipped_by_line_and_the_good_data_still_backtests(
    good_catalog: Path, tmp_path: Path
) -> None:
    bad = write(tmp_path / "BTC_bad.ws", [
        book(T0, T0),
        book(YEAR_2520_NS, YEAR_2520_NS, bid="84999.0"),  # a receive (and exchange) time in year 2520
        book(T0 + 10**9, T0 + 10**9, bid="84998.0"),
        trade(T0 + 15 * 10**8, 10**19, tid=1),  # an exchange time in year 2286
        quote(T0 + 2 * 10**9, T0 - 600 * 10**9),  # received 10 minutes after its exchange time
        book(T0 + 3 * 10**9, T0 + 3 * 10**9, bid="84997.0"),
    ])
    summary = ingest_files([bad], good_catalog, meta=META)
    skipped = [(s.line_no, s.reason.split(":")[0]) for s in summary.files[0].first_skipped]
    assert skipped == [
        (2, "receive time past Nautilus's range"),
        (4, "exchange time past Nautilus's range"),
        (5, "receive time far from the exchange time"),
    ]
    assert summary.instruments[BTC].book.snapshots == 3
    # Nautilus's own reader still reads every file, and the good data backtests.
    assert ParquetDataCatalog(str(good_catalog)).order_book_deltas(instrument_ids=[BTC])
    assert backtest_the_good_data(good_catalog) > 0


def test_a_file_stepping_back_in_time_is_refused_naming_the_line_and_leaves_the_catalog_as_it_was(
    good_catalog: Path, tmp_path: Path
) -> None:
    before = {p: p.read_bytes() for p in good_catalog.rglob("*") if p.is_file()}
    events = backtest_the_good_data(good_catalog)
    # A reversed capture: 600 messages, each 100 ms before the previous line.
    times = [T0 + (600 - i) * 10**8 for i in range(600)]
    reversed_file = write(tmp_path / "BTC_reversed.ws", [book(t, t, bid=f"{84000 + i}.0") for i, t in enumerate(times)])
    with pytest.raises(IngestError, match=r"BTC_reversed\.ws, line 12: its receive time .* before line 1's"):
        ingest_files([reversed_file], good_catalog, meta=META)
    assert {p: p.read_bytes() for p in good_catalog.rglob("*") if p.is_file()} == before
    assert backtest_the_good_data(good_catalog) == events


def test_a_file_without_receive_times_is_ordered_by_exchange_time(tmp_path: Path) -> None:
    lines = [book(None, T0 + 5 * 10**9), book(None, T0, bid="84000.0")]
    with pytest.raises(IngestError, match=r"line 2: its exchange time 2025-03-01T00:00:00\.000Z is 5\.000 s before"):
        ingest_files([write(tmp_path / "bare.jsonl", lines)], tmp_path / "cat", meta=META)


def test_clock_jitter_under_a_second_is_held_at_the_previous_time_and_counted(tmp_path: Path) -> None:
    lines = [book(T0 + 10**9, T0), book(T0 + 5 * 10**8, T0 + 10**8, bid="84999.0")]
    summary = ingest_files([write(tmp_path / "jitter.ws", lines)], tmp_path / "cat", meta=META)
    btc = summary.instruments[BTC]
    assert btc.book.snapshots == 2 and btc.ts_init_clamped == 1
    deltas = ParquetDataCatalog(str(tmp_path / "cat")).order_book_deltas()
    assert {d.ts_init for d in deltas} == {T0 + 10**9}


def test_the_receive_time_bound_is_a_cli_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [book(T0, T0), quote(T0 + 10**9, T0 - 600 * 10**9)]
    path = write(tmp_path / "late.ws", lines)
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps(META))
    args = ["ingest", str(path), "--meta", str(meta), "--no-progress"]
    assert cli_main([*args, "--catalog", str(tmp_path / "strict")]) == 0
    assert "line 2: receive time far from the exchange time" in capsys.readouterr().out
    assert cli_main([*args, "--catalog", str(tmp_path / "lenient"), "--max-time-skew-s", "900"]) == 0
    assert ParquetDataCatalog(str(tmp_path / "lenient")).quote_ticks()
    with pytest.raises(SystemExit):
        cli_main([*args, "--catalog", str(tmp_path / "x"), "--max-time-skew-s", "0"])
    assert "--max-time-skew-s" in capsys.readouterr().err
