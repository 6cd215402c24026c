"""Market data replay into the engine from a recorded file (WS capture .ws.gz or archive hour .lz4,
read by `adapters.hyperliquid.parsing.recordings`) or from a ParquetDataCatalog directory (`hlsim.replay.catalog`).

Records are paced by their local receive time at `speed`x (0 = as fast as possible). Books and
bbo update the market book (queue rules apply), trades fill hlsim users' orders. Published
messages carry the simulator's clock, not the recorded times.

Order within a block: the feed often delivers a block's bbo before its trades, and a depth
decrease seen before the trades that caused it would advance resting orders twice. So book and
bbo messages are held for up to HOLD_NS of recorded time; trades of an exchange time are applied
before the held depth of that time (which then shows the post-trade state).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from adapters.hyperliquid.parsing.recordings import HyperliquidFileReader
from adapters.hyperliquid.parsing.recordings import SkipLog
from adapters.hyperliquid.parsing.recordings import iter_records
from hlsim.engine.book import Level
from hlsim.engine.exchange import SimExchange
from hlsim.engine.numbers import parse_decimal
from hlsim.engine.numbers import to_decimals
from hlsim.engine.validation import PERP_MAX_DECIMALS

YIELD_EVERY = 200
PEEK_LINES = 10_000  # how far into a file `check_replay_source` looks for a listed coin
HOLD_NS = 100_000_000  # how long (recorded time) a depth message may wait for its block's trades
DEPTH_CHANNELS = ("l2Book", "bbo")


@dataclass(slots=True)
class ReplayStats:
    records: int = 0
    books: int = 0
    bbos: int = 0
    trades: int = 0
    skipped: int = 0
    span_s: float = 0.0
    elapsed_s: float = 0.0
    done: bool = False

    @property
    def speedup(self) -> float:
        return self.span_s / self.elapsed_s if self.elapsed_s > 0 else 0.0


def _exchange_times(channel: str, data: Any) -> tuple[int, int] | None:
    """(earliest, latest) exchange ms of a depth or trades message; None when it has none."""
    try:
        if channel == "trades":
            stamps = [int(t["time"]) for t in data]
            return (min(stamps), max(stamps)) if stamps else None
        if channel in DEPTH_CHANNELS:
            stamp = int(data["time"])
            return stamp, stamp
    except (KeyError, TypeError, ValueError):
        return None
    return None


class _PeekDone(Exception):
    pass


class _PeekSkipLog(SkipLog):
    """Ends a peek after `limit` lines even when they are all skipped (never reads a whole bad file)."""

    def __init__(self, limit: int) -> None:
        super().__init__(keep=0)
        self.limit = limit

    def add(self, line_no: int, reason: str, line: bytes | str = b"") -> None:
        super().add(line_no, reason, line)
        if line_no >= self.limit:
            raise _PeekDone


def _coins_of(channel: str, data: Any) -> set[str]:
    items = data if channel == "trades" and isinstance(data, list) else [data]
    return {x["coin"] for x in items if isinstance(x, dict) and isinstance(x.get("coin"), str)}


def check_replay_source(path: Path, coins: list[str]) -> None:
    """Raises ValueError (or OSError) with a one-line reason unless `path` is a replayable source:
    a capture/archive file whose first PEEK_LINES lines hold a record of one of `coins`, or a
    catalog directory with book or trade data for one of them. Only the start is read."""
    if path.is_dir():
        from hlsim.replay.catalog import check_catalog  # Nautilus import only when needed

        check_catalog(path, coins)
        return
    reader = HyperliquidFileReader(path)  # refuses missing, non-regular and unrecognised files
    if reader.kind == "empty":
        raise ValueError(f"{path}: empty file, no market data")
    reader.skipped = _PeekSkipLog(PEEK_LINES)
    seen: set[str] = set()
    try:
        for rec in reader:
            found = _coins_of(rec.channel, rec.data)
            if found & set(coins):
                return
            seen |= found
            if rec.line_no >= PEEK_LINES:
                break
    except _PeekDone:
        pass
    if reader.truncated and not reader.records_read:
        raise ValueError(f"{path}: no readable record ({reader.truncation_reason})")
    read_to_end = reader.lines_read > 0  # the reader sets it only when the file was read through
    where = "it" if read_to_end else f"its first {PEEK_LINES:,} lines"
    found_text = f" (it has {', '.join(sorted(seen))})" if seen else ""
    raise ValueError(f"{path}: no market data for {', '.join(coins)} in {where}{found_text}")


class _CoinDecimals:
    """Prices and sizes of one coin as the exchange writes them: sizes to szDecimals, prices to at
    most 6 − szDecimals decimals, whatever precision the replayed source carried."""

    __slots__ = ("px_places", "sz_places")

    def __init__(self, sz_decimals: int) -> None:
        self.sz_places = sz_decimals
        self.px_places = PERP_MAX_DECIMALS - sz_decimals

    def px(self, text: Any) -> Decimal:
        return to_decimals(parse_decimal(text), self.px_places)

    def sz(self, text: Any) -> Decimal:
        return to_decimals(parse_decimal(text), self.sz_places)

    def level(self, raw: Any) -> Level:
        n = raw.get("n", 1)
        return self.px(raw["px"]), self.sz(raw["sz"]), n if isinstance(n, int) else 1


class Replayer:
    """Applies recorded market-data messages to an engine."""

    def __init__(self, engine: SimExchange) -> None:
        self.engine = engine
        self.stats = ReplayStats()
        # Last bbo per coin (time, bid, ask): an l2Book snapshot older than it is re-topped with it,
        # so a stale snapshot cannot move the top of book back (and cross resting orders).
        self._last_bbo: dict[str, tuple[int, Level | None, Level | None]] = {}
        self._held: list[tuple[int | None, int, str, Any]] = []  # recv ns, exchange ms, channel, data
        self._decimals = {coin: _CoinDecimals(szd) for coin, szd in engine.sz_decimals.items()}

    def feed(self, recv_ns: int | None, channel: str, data: Any) -> None:
        """Takes the next recorded message, applying it in block order (see the module docstring)."""
        if recv_ns is not None and self._held:
            self._flush_held(lambda h: h[0] is not None and h[0] + HOLD_NS <= recv_ns)
        times = _exchange_times(channel, data)
        if times is None:
            self.apply(channel, data)
        elif channel in DEPTH_CHANNELS:
            self._held.append((recv_ns, times[0], channel, data))
        else:
            self._flush_held(lambda h: h[1] < times[0])
            self.apply(channel, data)
            self._flush_held(lambda h: h[1] <= times[1])

    def finish(self) -> None:
        """Applies everything still held (end of the recording)."""
        self._flush_held(lambda h: True)

    def _flush_held(self, ready: Any) -> None:
        due: list[tuple[int | None, int, str, Any]] = []
        kept: list[tuple[int | None, int, str, Any]] = []
        for h in self._held:  # one pass: runs for every record while depth is held
            (due if ready(h) else kept).append(h)
        if not due:
            return
        self._held = kept
        for _, _, channel, data in sorted(due, key=lambda h: h[1]):
            self.apply(channel, data)

    def apply(self, channel: str, data: Any) -> None:
        engine = self.engine
        try:
            if channel == "l2Book":
                coin = data["coin"]
                if coin in engine.books:
                    bids, asks = data["levels"]
                    level = self._decimals[coin].level
                    engine.set_book(coin, [level(x) for x in bids], [level(x) for x in asks])
                    last = self._last_bbo.get(coin)
                    if last is not None and int(data.get("time", 0)) < last[0]:
                        engine.apply_bbo(coin, last[1], last[2])
                    self.stats.books += 1
                    return
            elif channel == "bbo":
                coin = data["coin"]
                if coin in engine.books:
                    bid, ask = data["bbo"]
                    level = self._decimals[coin].level
                    bid_level = level(bid) if bid else None
                    ask_level = level(ask) if ask else None
                    self._last_bbo[coin] = (int(data.get("time", 0)), bid_level, ask_level)
                    engine.apply_bbo(coin, bid_level, ask_level)
                    self.stats.bbos += 1
                    return
            elif channel == "trades":
                applied = self._trades(data)
                if applied:
                    self.stats.trades += applied
                    return
        except (KeyError, TypeError, ValueError):
            pass
        self.stats.skipped += 1

    def _trades(self, trades: Iterable[Any]) -> int:
        engine = self.engine
        n = 0
        try:
            for t in trades:
                coin = t["coin"]
                if coin not in engine.books or t["side"] not in ("A", "B"):
                    continue
                decimals = self._decimals[coin]
                px: Decimal = decimals.px(t["px"])
                sz: Decimal = decimals.sz(t["sz"])
                if px <= 0 or sz <= 0:
                    continue
                engine.market_trade(coin, t["side"], px, sz, flush=False)
                n += 1
        finally:
            engine.flush()  # publish what was applied even when a later trade in the message is bad
        return n

    def records(self, path: Path) -> Iterator[tuple[int | None, str, Any]]:
        """(receive ns, channel, data) of a file, or of a catalog directory for the engine's coins."""
        if path.is_dir():
            from hlsim.replay.catalog import catalog_records  # Nautilus import only when needed

            yield from catalog_records(path, self.engine.coins)
            return
        for rec in iter_records(path):
            yield rec.recv_ns, rec.channel, rec.data

    async def run(self, path: str | Path, speed: float, *, loop_forever: bool = False,
                  paused: Any = None) -> ReplayStats:
        """Replays the file; `paused` is an awaitable factory (stall_all) checked between records."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"replay source not found: {path}")
        while True:
            await self._run_once(self.records(path), speed, paused)
            if not loop_forever:
                break
        self.stats.done = True
        return self.stats

    async def _run_once(self, records: Iterable[tuple[int | None, str, Any]], speed: float, paused: Any) -> None:
        start_wall = time.perf_counter()
        first_ns: int | None = None
        last_ns: int | None = None
        for i, (recv_ns, channel, data) in enumerate(records):
            if paused is not None:
                await paused()
            if recv_ns is not None:
                if first_ns is None:
                    first_ns = recv_ns
                last_ns = recv_ns
                if speed > 0:
                    due = start_wall + (recv_ns - first_ns) / 1e9 / speed
                    delay = due - time.perf_counter()
                    hold_s = HOLD_NS / 1e9 / speed
                    if self._held and delay > hold_s:
                        # A quiet spell: held depth must not wait for the next message.
                        await asyncio.sleep(hold_s)
                        self.finish()
                        delay = due - time.perf_counter()
                    if delay > 0:
                        await asyncio.sleep(delay)
            if speed == 0 and i % YIELD_EVERY == 0:
                await asyncio.sleep(0)
            self.feed(recv_ns, channel, data)
            self.stats.records += 1
        self.finish()
        if first_ns is not None and last_ns is not None:
            self.stats.span_s += (last_ns - first_ns) / 1e9
        self.stats.elapsed_s += time.perf_counter() - start_wall
