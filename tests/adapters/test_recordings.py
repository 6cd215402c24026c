"""The raw readers: both formats, streaming, bad lines counted with their line numbers."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

import lz4.frame
import pytest

from adapters.hyperliquid.parsing.recordings import HyperliquidFileReader
from adapters.hyperliquid.parsing.recordings import WrongFileKindError
from adapters.hyperliquid.parsing.recordings import iso_to_ns
from adapters.hyperliquid.parsing.recordings import iter_records
from catalog import shipped_data

BBO_LINE = (
    b'1765401035304391680 {"channel":"bbo","data":{"coin":"ETH","time":1765401034460,'
    b'"bbo":[{"px":"3331.0","sz":"0.03"},{"px":"3331.5","sz":"413.2657"}]}}'
)


def _channels(path: Path) -> Counter[str]:
    return Counter(rec.channel for rec in iter_records(path))


def test_eth_capture_yields_every_message_with_its_receive_time(hl_data: Path) -> None:
    reader = HyperliquidFileReader(shipped_data.eth_capture())
    records = list(reader)
    assert reader.kind == "ws_capture" and reader.compression == "gzip"
    assert Counter(r.channel for r in records) == {"bbo": 9967, "l2Book": 2081, "trades": 1834}
    assert records[0].line_no == 1 and records[0].recv_ns == 1765401035171452672
    assert reader.skipped.count == 0 and not reader.truncated


def test_archive_hour_yields_5587_snapshots_with_the_archive_time_as_receive_time(hl_data: Path) -> None:
    reader = HyperliquidFileReader(shipped_data.btc_archive_hour())
    records = list(reader)
    assert reader.kind == "archive" and reader.compression == "lz4"
    assert len(records) == 5587 and {r.channel for r in records} == {"l2Book"}
    assert records[0].recv_ns == iso_to_ns("2024-01-01T12:00:01.138942031") == 1704110401138942031
    first = records[0].data
    assert first["coin"] == "BTC" and first["time"] == 1704110399915 and len(first["levels"][0]) == 20


def test_iso_time_keeps_nanoseconds_and_reads_naive_as_utc() -> None:
    assert iso_to_ns("1970-01-01T00:00:01.5") == 1_500_000_000
    assert iso_to_ns("1970-01-01T00:00:01.000000001Z") == 1_000_000_001
    assert iso_to_ns("1970-01-01T01:00:00+01:00") == 0


def test_plain_text_capture_is_read_like_gzip(tmp_path: Path) -> None:
    path = tmp_path / "capture.txt"
    path.write_bytes(BBO_LINE + b"\n" + BBO_LINE + b"\n")
    reader = HyperliquidFileReader(path)
    assert reader.compression == "none" and reader.kind == "ws_capture"
    assert [r.line_no for r in reader] == [1, 2]


def test_lines_without_receive_time_are_read_as_bare_ws_messages(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    path.write_bytes(BBO_LINE.split(b" ", 1)[1] + b"\n")
    records = list(HyperliquidFileReader(path))
    assert records[0].recv_ns is None and records[0].channel == "bbo"


def test_garbage_lines_are_skipped_and_counted_with_their_line_numbers(tmp_path: Path) -> None:
    lines = [
        BBO_LINE,
        b"this is not json",  # 2
        BBO_LINE[:60],  # 3: cut JSON
        b"notanumber " + BBO_LINE.split(b" ", 1)[1],  # 4
        b'1765401035304391680 {"channel":"pong"}',  # 5: not market data
        b"",  # blank lines are ignored
        BBO_LINE,  # 7
    ]
    path = tmp_path / "garbage.ws.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines) + b"\n"))
    reader = HyperliquidFileReader(path)
    assert [r.line_no for r in reader] == [1, 7]
    assert reader.skipped.count == 4
    assert [s.line_no for s in reader.skipped.first] == [2, 3, 4, 5]
    assert reader.skipped.first[3].reason == "unknown channel: pong"
    assert reader.skipped.by_reason == {"bad receive time": 2, "corrupt JSON": 1, "unknown channel": 1}


def test_truncated_gzip_ends_cleanly_and_reports_the_cut(tmp_path: Path, hl_data: Path) -> None:
    data = shipped_data.eth_capture().read_bytes()
    path = tmp_path / "cut.ws.gz"
    path.write_bytes(data[: len(data) // 2])
    reader = HyperliquidFileReader(path)
    records = list(reader)
    assert reader.truncated and "truncated" in reader.truncation_reason
    assert 1000 < len(records) < 13882
    # The incomplete last line is counted, not yielded.
    assert reader.skipped.first[-1].reason == "truncated last line"
    assert reader.skipped.first[-1].line_no == reader.lines_read


def test_truncated_lz4_ends_cleanly_and_reports_the_cut(tmp_path: Path, hl_data: Path) -> None:
    data = shipped_data.btc_archive_hour().read_bytes()
    path = tmp_path / "cut.lz4"
    path.write_bytes(data[: int(len(data) * 0.6)])
    reader = HyperliquidFileReader(path)
    records = list(reader)
    assert reader.truncated
    assert 2000 < len(records) < 5587
    assert all(r.channel == "l2Book" for r in records)


def test_corrupt_bytes_inside_a_gzip_stream_end_it_cleanly(tmp_path: Path, hl_data: Path) -> None:
    data = bytearray(shipped_data.eth_capture().read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = b"\x00" * 64
    path = tmp_path / "corrupt.ws.gz"
    path.write_bytes(bytes(data))
    reader = HyperliquidFileReader(path)
    records = list(reader)
    assert reader.truncated
    assert 1000 < len(records) < 13882


def test_concatenated_gzip_members_are_all_read(tmp_path: Path) -> None:
    path = tmp_path / "two_members.ws.gz"
    path.write_bytes(gzip.compress(BBO_LINE + b"\n") + gzip.compress(BBO_LINE + b"\n"))
    reader = HyperliquidFileReader(path)
    assert len(list(reader)) == 2 and not reader.truncated


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.ws.gz"
    path.write_bytes(b"")
    reader = HyperliquidFileReader(path)
    assert reader.kind == "empty" and list(reader) == []
    gz = tmp_path / "empty_member.ws.gz"
    gz.write_bytes(gzip.compress(b""))
    assert HyperliquidFileReader(gz).kind == "empty"


def test_parquet_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "data.parquet"
    path.write_bytes(b"PAR1" + bytes(range(256)) * 4 + b"PAR1")
    with pytest.raises(WrongFileKindError, match=r"data\.parquet"):
        HyperliquidFileReader(path)


def test_random_binary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "noise.bin"
    path.write_bytes(bytes((i * 7919) % 256 for i in range(5000)))
    with pytest.raises(WrongFileKindError, match=r"noise\.bin"):
        HyperliquidFileReader(path)


def test_json_file_that_is_not_a_capture_is_refused(hl_data: Path) -> None:
    meta = shipped_data.info_dir() / "meta_2023.json"
    with pytest.raises(WrongFileKindError, match=r"meta_2023\.json"):
        HyperliquidFileReader(meta)


def test_gzip_of_something_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt.gz"
    path.write_bytes(gzip.compress(b"hello\nworld\n"))
    with pytest.raises(WrongFileKindError, match=r"notes\.txt\.gz"):
        HyperliquidFileReader(path)


def test_lz4_frame_of_ws_capture_lines_is_read(tmp_path: Path) -> None:
    path = tmp_path / "capture.lz4"
    path.write_bytes(lz4.frame.compress(BBO_LINE + b"\n"))
    assert _channels(path) == {"bbo": 1}


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.ws\.gz"):
        HyperliquidFileReader(tmp_path / "nope.ws.gz")


def test_a_device_is_refused_as_not_a_regular_file() -> None:
    with pytest.raises(WrongFileKindError, match=r"/dev/null: not a regular file"):
        HyperliquidFileReader("/dev/null")


def test_receive_times_beyond_nautilus_uint64_nanoseconds_are_skipped_as_bad(tmp_path: Path) -> None:
    recv, message = BBO_LINE.split(b" ", 1)
    archive_line = b'{"time":"9999-01-01T00:00:00","ver_num":1,"raw":{"channel":"bbo","data":{}}}'
    capture = tmp_path / "x1000.ws"
    capture.write_bytes(BBO_LINE + b"\n" + recv + b"000 " + message + b"\n-1 " + message + b"\n")
    archive = tmp_path / "far_future.jsonl"
    archive.write_bytes(archive_line + b"\n")
    reader = HyperliquidFileReader(capture)
    assert [r.line_no for r in reader] == [1]
    assert [(s.line_no, s.reason) for s in reader.skipped.first] == [
        (2, "bad receive time: out of range"),
        (3, "bad receive time: out of range"),
    ]
    archive_reader = HyperliquidFileReader(archive)
    assert list(archive_reader) == [] and archive_reader.skipped.by_reason == {"bad archive time": 1}
