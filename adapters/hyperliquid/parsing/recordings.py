"""Streaming readers for Hyperliquid's market-data files, with bad-line accounting.

Two formats are read, compressed with gzip, LZ4 (frame) or not at all (detected from magic bytes):

- WS captures: one message a line, `<local receive ns> <raw WS message JSON>`
  (hftbacktest's collector format); a file of bare `{"channel": ..., "data": ...}` lines is read too
  (no receive time).
- Hyperliquid's hourly archive (`market_data/YYYYMMDD/H/l2Book/COIN.lz4`): JSON lines
  `{"time": "<iso, UTC>", "ver_num": 1, "raw": {"channel": "l2Book", "data": {...}}}`. The archiver's
  `time` is when it received the message, so it becomes `recv_ns`.

The reader never crashes on a bad line: corrupt JSON, a bad receive time (not an integer, or outside
Nautilus's uint64 nanoseconds), a channel other than
`l2Book`/`bbo`/`trades` and a truncated last line are skipped and recorded with their line numbers.
A truncated or corrupt compressed stream ends the iteration cleanly and sets `truncated`.
A file that is not one of these formats raises `WrongFileKindError` naming the file.

`RawRecord.raw` is the undecoded `data` JSON (a `msgspec.Raw`); decode it with the typed decoders of
`adapters.hyperliquid.schemas.market_data` (fast path) or read `RawRecord.data` (plain Python objects).
"""

from __future__ import annotations

import os
import re
import zlib
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Literal

import lz4.frame
import msgspec

from adapters.hyperliquid.schemas.market_data import ARCHIVE_LINE_DECODER
from adapters.hyperliquid.schemas.market_data import MARKET_DATA_CHANNELS
from adapters.hyperliquid.schemas.market_data import WS_MESSAGE_DECODER

# The line parsers' callbacks: skip(line_no, reason, line) and the channels kept.
_Skip = Callable[[int, str, bytes], None]
_Channels = frozenset[str]

GZIP_MAGIC = b"\x1f\x8b"
LZ4_FRAME_MAGIC = b"\x04\x22\x4d\x18"
_READ_CHUNK = 1 << 20
_SNIFF_BYTES = 1 << 18
_SNIFF_LINES = 8
_DECOMPRESS_PIECE = 1 << 16
# Receive times become Nautilus ts_init (uint64 ns): anything outside would overflow downstream.
RECV_NS_LIMIT = 2**64

FileKind = Literal["ws_capture", "ws_lines", "archive", "empty"]
Compression = Literal["gzip", "lz4", "none"]


class WrongFileKindError(ValueError):
    """The file is not a Hyperliquid WS capture or archive file."""


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One market-data message: `raw` is the undecoded JSON of its `data`."""

    line_no: int
    recv_ns: int | None
    channel: str
    raw: msgspec.Raw

    @property
    def data(self) -> object:
        """The `data` payload decoded to plain Python objects (decoded on each access)."""
        return msgspec.json.decode(self.raw)


@dataclass(frozen=True, slots=True)
class SkippedLine:
    line_no: int
    reason: str
    excerpt: str


@dataclass(slots=True)
class SkipLog:
    """Counts skipped lines by reason and keeps the first `keep` of them with their line numbers."""

    keep: int = 100
    count: int = 0
    by_reason: Counter[str] = field(default_factory=Counter)
    first: list[SkippedLine] = field(default_factory=list)

    def add(self, line_no: int, reason: str, line: bytes | str = b"") -> None:
        self.count += 1
        # Group reasons without their variable parts so the counter stays small.
        self.by_reason[reason.split(":", 1)[0]] += 1
        if len(self.first) < self.keep:
            text = line.decode("utf-8", "replace") if isinstance(line, bytes | bytearray) else line
            self.first.append(SkippedLine(line_no, reason, text[:80]))


_ISO_RE = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$")


def iso_to_ns(text: str) -> int:
    """ISO-8601 time with up to nanosecond digits (naive means UTC) → ns since the epoch."""
    match = _ISO_RE.match(text)
    if match is None:
        raise ValueError(f"not an ISO time: {text!r}")
    base, frac, tz = match.groups()
    dt = datetime.fromisoformat(base + (tz or ""))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    nanos = int(frac[:9].ljust(9, "0")) if frac else 0
    return int(dt.timestamp()) * 1_000_000_000 + nanos


def _compression_of(head: bytes) -> Compression:
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(LZ4_FRAME_MAGIC):
        return "lz4"
    return "none"


class HyperliquidFileReader:
    """Iterates a capture or archive file's market-data records, counting what it skips.

    The format is detected on construction (raising `WrongFileKindError` for anything else);
    iterate the reader once to stream its records. Afterwards (or during) read `skipped`,
    `truncated`, `lines_read` and `records_read`; `bytes_read`/`size` drive a progress bar.
    """

    def __init__(self, path: str | os.PathLike[str], *, keep_skipped: int = 100) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise IsADirectoryError(f"{self.path}: is a folder, not a capture or archive file")
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no such file")
        if not self.path.is_file():  # a device or pipe: it is read twice (sniff, then stream)
            raise WrongFileKindError(f"{self.path}: not a regular file")
        self.size = self.path.stat().st_size
        self.skipped = SkipLog(keep=keep_skipped)
        self.truncated = False
        self.truncation_reason = ""
        self.lines_read = 0
        self.records_read = 0
        self.bytes_read = 0
        with open(self.path, "rb") as fh:
            head = fh.read(4)
        self.compression: Compression = _compression_of(head)
        self.kind: FileKind = self._sniff_kind()

    # -- format detection -------------------------------------------------------------------------

    def _sniff_kind(self) -> FileKind:
        text = bytearray()
        try:
            for chunk in self._decompressed_chunks(sniffing=True):
                text += chunk
                if len(text) >= _SNIFF_BYTES:
                    break
        except _CorruptStream as exc:
            if not text:
                raise WrongFileKindError(
                    f"{self.path}: not a Hyperliquid capture or archive ({self.compression} stream is corrupt: {exc})"
                ) from None
        if not text.strip():
            return "empty"
        lines = [ln for ln in bytes(text).split(b"\n")[:-1] if ln.strip()][:_SNIFF_LINES]
        if not lines:  # a single line (no newline) or one longer than the sniff window
            lines = [bytes(text).split(b"\n", 1)[0]]
        for line in lines:
            kind = _classify_line(line)
            if kind is not None:
                return kind
        first = lines[0][:60].decode("utf-8", "replace")
        raise WrongFileKindError(
            f"{self.path}: not a Hyperliquid WS capture (`<recv_ns> <json>` lines) or archive file "
            f'(`{{"time", "ver_num", "raw"}}` lines); first line starts {first!r}'
        )

    # -- streaming --------------------------------------------------------------------------------

    def _decompressed_chunks(self, sniffing: bool = False) -> Iterator[bytes]:
        with open(self.path, "rb") as fh:
            if self.compression == "none":
                while chunk := fh.read(_READ_CHUNK):
                    if not sniffing:
                        self.bytes_read += len(chunk)
                    yield chunk
                return
            decomp = self._new_decompressor()
            started = False
            while True:
                chunk = fh.read(_SNIFF_BYTES if sniffing else _READ_CHUNK)
                if not sniffing:
                    self.bytes_read += len(chunk)
                if not chunk:
                    break
                while chunk:
                    # Small pieces: a corrupt stream loses at most one piece's output.
                    piece, chunk = chunk[:_DECOMPRESS_PIECE], chunk[_DECOMPRESS_PIECE:]
                    try:
                        out = decomp.decompress(piece)
                    except (zlib.error, RuntimeError, OSError) as exc:
                        raise _CorruptStream(str(exc)) from None
                    started = True
                    if out:
                        yield out
                    if decomp.eof:
                        # Concatenated members/frames: start over on what follows.
                        chunk = (decomp.unused_data or b"") + chunk
                        decomp = self._new_decompressor()
                        started = False
            if started and not decomp.eof:
                raise _CorruptStream(
                    f"{self.compression} stream ended before its end marker (truncated file)"
                )

    def _new_decompressor(self):  # zlib's and lz4's decompressors share decompress/eof/unused_data
        if self.compression == "gzip":
            return zlib.decompressobj(wbits=31)
        return lz4.frame.LZ4FrameDecompressor()

    def __iter__(self) -> Iterator[RawRecord]:
        if self.kind == "empty":
            return
        parse = _LINE_PARSERS[self.kind]
        skip = self.skipped.add
        known = MARKET_DATA_CHANNELS
        line_no = 0
        rest = b""
        try:
            for chunk in self._decompressed_chunks():
                lines = (rest + chunk).split(b"\n")
                rest = lines.pop()
                for line in lines:
                    line_no += 1
                    if not line.strip():
                        continue
                    record = parse(line, line_no, skip, known)
                    if record is not None:
                        self.records_read += 1
                        yield record
        except _CorruptStream as exc:
            self.truncated = True
            self.truncation_reason = str(exc)
        self.lines_read = line_no
        if rest.strip():
            line_no += 1
            self.lines_read = line_no
            if self.truncated:
                # An unterminated line of a cut stream is incomplete by construction.
                skip(line_no, "truncated last line", rest)
            else:
                record = parse(rest, line_no, skip, known)
                if record is not None:
                    self.records_read += 1
                    yield record


def iter_records(path: str | os.PathLike[str]) -> Iterator[RawRecord]:
    """Stream a file's market-data records (use `HyperliquidFileReader` to see what was skipped)."""
    yield from HyperliquidFileReader(path)


# -- line parsers (module functions: the hot loop) ---------------------------------------------------


def _parse_ws_capture_line(line: bytes, line_no: int, skip: _Skip, known: _Channels) -> RawRecord | None:
    sp = line.find(b" ")
    if sp <= 0:
        skip(line_no, "no receive time", line)
        return None
    try:
        recv_ns = int(line[:sp])
    except ValueError:
        skip(line_no, "bad receive time", line)
        return None
    if not 0 <= recv_ns < RECV_NS_LIMIT:
        skip(line_no, "bad receive time: out of range", line)
        return None
    return _decode_ws_message(line[sp + 1 :], line_no, skip, known, recv_ns, line)


def _parse_ws_line(line: bytes, line_no: int, skip: _Skip, known: _Channels) -> RawRecord | None:
    return _decode_ws_message(line, line_no, skip, known, None, line)


def _decode_ws_message(
    payload: bytes, line_no: int, skip: _Skip, known: _Channels, recv_ns: int | None, line: bytes
) -> RawRecord | None:
    try:
        msg = WS_MESSAGE_DECODER.decode(payload)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        skip(line_no, f"corrupt JSON: {exc}", line)
        return None
    if msg.channel not in known:
        skip(line_no, f"unknown channel: {msg.channel}", line)
        return None
    return RawRecord(line_no, recv_ns, msg.channel, msg.data)


def _parse_archive_line(line: bytes, line_no: int, skip: _Skip, known: _Channels) -> RawRecord | None:
    try:
        entry = ARCHIVE_LINE_DECODER.decode(line)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        skip(line_no, f"corrupt JSON: {exc}", line)
        return None
    try:
        recv_ns = iso_to_ns(entry.time)
    except ValueError:
        skip(line_no, "bad archive time", line)
        return None
    if not 0 <= recv_ns < RECV_NS_LIMIT:
        skip(line_no, "bad archive time: out of range", line)
        return None
    msg = entry.raw
    if msg.channel not in known:
        skip(line_no, f"unknown channel: {msg.channel}", line)
        return None
    return RawRecord(line_no, recv_ns, msg.channel, msg.data)


_LINE_PARSERS = {
    "ws_capture": _parse_ws_capture_line,
    "ws_lines": _parse_ws_line,
    "archive": _parse_archive_line,
}


def _classify_line(line: bytes) -> FileKind | None:
    line = line.strip()
    if line[:1].isdigit():
        sp = line.find(b" ")
        if sp > 0 and line[:sp].isdigit():
            try:
                WS_MESSAGE_DECODER.decode(line[sp + 1 :])
                return "ws_capture"
            except (msgspec.DecodeError, msgspec.ValidationError):
                return None
        return None
    if line.startswith(b"{"):
        try:
            ARCHIVE_LINE_DECODER.decode(line)
            return "archive"
        except (msgspec.DecodeError, msgspec.ValidationError):
            pass
        try:
            WS_MESSAGE_DECODER.decode(line)
            return "ws_lines"
        except (msgspec.DecodeError, msgspec.ValidationError):
            return None
    return None


class _CorruptStream(Exception):
    pass
