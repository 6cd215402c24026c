"""Tick harvester: Hyperliquid WS (`l2Book` fast, `bbo`, `trades`) → the Nautilus catalog, continuously.

`python -m catalog harvest --coins BTC,ETH --catalog DIR [--base-url URL] [--meta META_JSON]`
(also runnable as `python -m catalog.harvest ...`). Without `--coins`, the coins of the screener's
generated node config (`configs/live.generated.json`, or `--from-config PATH`) are harvested.

- The socket is the adapter's `HyperliquidWebSocketClient` (reconnects with backoff, re-subscribes);
  messages become Nautilus objects through the adapter's `MarketDataFeed` (the same parsing the live
  data client uses: true book deltas from the snapshot differ, quotes, trades).
- Nothing is dropped: the socket reader hands raw messages to a writer thread through a bounded
  queue; when the queue is full the reader waits (backpressure reaches the server through TCP)
  and the waits are counted. `stats.lost` = messages received but not processed (0 unless the
  process is killed).
- Rotating chunks: each (data type, instrument) series is written as its own parquet file once it
  holds `chunk_rows` rows or is `chunk_secs` old, and on shutdown (SIGINT/SIGTERM flush everything).
  `ts_init` is kept non-decreasing within a series and strictly increasing across its files, since the
  catalog's files of one series must cover disjoint time ranges (a clamped object is rebuilt).
- Gaps: every disconnect is written to `harvest_gaps.jsonl` in the catalog (start, end, reason),
  and the books restart from the next snapshot (F_SNAPSHOT), so a backtest never diffs across a gap.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import queue
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from adapters.hyperliquid.common.constants import NETWORK_REST_URLS
from adapters.hyperliquid.common.endpoints import ws_url_from_rest
from adapters.hyperliquid.common.fees import parse_fee_tier
from adapters.hyperliquid.feed import MarketDataFeed
from adapters.hyperliquid.http.errors import REST_ERRORS
from adapters.hyperliquid.parsing.instruments import instruments_from_meta
from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient
from catalog.writer import ChunkedCatalogWriter
from cli_types import check_writable_dir
from cli_types import checked
from cli_types import positive_float
from cli_types import positive_int
from cli_types import readable_file

log = logging.getLogger("catalog.harvest")

GAPS_FILE = "harvest_gaps.jsonl"
SCREENER_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "live.generated.json"
_TID_MEMORY = 20_000  # trade ids remembered per coin (a re-subscribe may resend recent trades)


class HarvestConfig(msgspec.Struct, kw_only=True, frozen=True):
    """What to harvest and where; defaults suit a long-running daemon."""

    coins: tuple[str, ...]
    catalog_dir: str
    base_url: str = NETWORK_REST_URLS["mainnet"]
    ws_url: str | None = None
    meta: str | None = None  # saved meta reply; fetched from `{base_url}/info` when absent
    fee_tier: int = 0
    l2_book_fast: bool = True
    chunk_rows: int = 200_000
    chunk_secs: float = 60.0
    queue_max: int = 100_000

    def __post_init__(self) -> None:
        if not self.coins:
            raise ValueError("coins: give at least one coin")
        for coin in self.coins:
            if not coin or not coin.replace("_", "").replace(":", "").isalnum():
                raise ValueError(f"invalid coin name {coin!r}")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        if self.ws_url is not None and not self.ws_url.startswith(("ws://", "wss://")):
            raise ValueError(f"ws_url must start with ws:// or wss://, got {self.ws_url!r}")
        if self.chunk_rows < 1 or not self.chunk_secs > 0 or self.queue_max < 1:
            raise ValueError("chunk_rows, chunk_secs and queue_max must be positive")
        if not 0 <= self.fee_tier <= 6:
            raise ValueError(f"fee_tier must be within 0..6, got {self.fee_tier}")

    @property
    def resolved_ws_url(self) -> str:
        return self.ws_url or ws_url_from_rest(self.base_url)


@dataclass(slots=True)
class HarvestStats:
    received: int = 0  # messages handed over by the socket
    processed: int = 0  # messages parsed by the writer (good or bad)
    bad: int = 0  # messages the feed rejected (schema, unknown coin, values)
    duplicate_trades: int = 0
    rows_written: int = 0
    chunks_written: int = 0
    reconnects: int = 0
    gaps: int = 0
    backpressure_waits: int = 0
    queue_high_water: int = 0
    ts_init_clamped: int = 0
    first_received_mono_ns: int = 0  # monotonic clock, for throughput figures
    last_processed_mono_ns: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)

    @property
    def lost(self) -> int:
        return self.received - self.processed

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__slots__}
        out["lost"] = self.lost
        return out


class ChunkWriter:
    """The harvester's side of the catalog writer (`catalog.writer`, writer thread only): feed
    objects become rows of their series, a row arriving before its series' floor is rebuilt at
    the floor (and counted), and the stats follow what was written. Series continue after what
    the catalog already holds."""

    def __init__(
        self, catalog: ParquetDataCatalog, stats: HarvestStats, chunk_rows: int, chunk_secs: float
    ) -> None:
        self.stats = stats
        self._writer = ChunkedCatalogWriter(catalog, chunk_rows, chunk_secs, after_existing=True)

    def add(self, item: OrderBookDeltas | QuoteTick | TradeTick) -> None:
        if isinstance(item, OrderBookDeltas):
            cls: type = OrderBookDelta
            rows: list[Any] = list(item.deltas)
        else:
            cls = type(item)
            rows = [item]
        identifier = item.instrument_id.value
        ts_init = rows[0].ts_init
        floor = self._writer.floor(cls, identifier)
        if ts_init < floor:
            self.stats.ts_init_clamped += 1
            rows = [_with_ts_init(row, floor) for row in rows]
            ts_init = floor
        self._writer.add(cls, identifier, rows, ts_init)
        self._sync()

    def flush_old(self) -> None:
        self._writer.flush_old()
        self._sync()

    def flush_all(self) -> None:
        self._writer.flush_all()
        self._sync()

    def _sync(self) -> None:
        self.stats.rows_written = self._writer.rows_written
        self.stats.chunks_written = len(self._writer.written)


def _with_ts_init(row: Any, ts_init: int) -> Any:
    if isinstance(row, OrderBookDelta):
        order = None if row.action.name == "CLEAR" else row.order
        return OrderBookDelta(
            row.instrument_id, row.action, order, row.flags, row.sequence, row.ts_event, ts_init
        )
    if isinstance(row, QuoteTick):
        return QuoteTick(
            row.instrument_id, row.bid_price, row.ask_price, row.bid_size, row.ask_size, row.ts_event, ts_init
        )
    return TradeTick(
        row.instrument_id, row.price, row.size, row.aggressor_side, row.trade_id, row.ts_event, ts_init
    )


class _Stop:
    pass


@dataclass(frozen=True, slots=True)
class _Gap:
    start_ns: int
    end_ns: int
    reason: str


class Harvester:
    """One WS connection feeding a writer thread; `run(stop)` until `stop` is set, then flush."""

    def __init__(self, config: HarvestConfig, instruments: dict[str, Instrument]) -> None:
        missing = [coin for coin in config.coins if coin not in instruments]
        if missing:
            raise ValueError(f"no instrument for {', '.join(missing)} (not in the exchange's meta)")
        self.config = config
        self.instruments = {coin: instruments[coin] for coin in config.coins}
        self.stats = HarvestStats()
        self.catalog_dir = Path(config.catalog_dir)
        self.catalog_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = ParquetDataCatalog(str(self.catalog_dir))
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=config.queue_max)
        self._feed = MarketDataFeed(self.instruments, logger=log)
        self._writer = ChunkWriter(self.catalog, self.stats, config.chunk_rows, config.chunk_secs)
        self._seen_tids: dict[str, tuple[set[str], deque[str]]] = {}
        self._down_since: int | None = None
        self._writer_error: BaseException | None = None
        self.ws = HyperliquidWebSocketClient(
            config.resolved_ws_url,
            self._on_message,
            on_disconnect=self._on_disconnect,
            on_reconnect=self._on_reconnect,
            logger=log,
            name="harvest",
        )

    def subscriptions(self) -> list[dict[str, Any]]:
        book: dict[str, Any] = {"type": "l2Book"}
        subs = []
        for coin in self.config.coins:
            subs.append({**book, "coin": coin, **({"fast": True} if self.config.l2_book_fast else {})})
            subs.append({"type": "bbo", "coin": coin})
            subs.append({"type": "trades", "coin": coin})
        return subs

    async def run(self, stop: asyncio.Event, ready: asyncio.Event | None = None) -> HarvestStats:
        self._write_instruments()
        writer = threading.Thread(target=self._writer_loop, name="harvest-writer", daemon=True)
        writer.start()
        try:
            for sub in self.subscriptions():
                await self.ws.subscribe(sub)
            await self.ws.connect()
            if ready is not None:
                ready.set()
            while not stop.is_set():
                if not writer.is_alive():
                    raise RuntimeError(f"harvest writer died: {self._writer_error!r}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
        finally:
            await self.ws.close()
            self._put(_Stop())
            await asyncio.get_running_loop().run_in_executor(None, writer.join)
        if self._writer_error is not None:
            raise RuntimeError(f"harvest writer failed: {self._writer_error!r}") from self._writer_error
        return self.stats

    # -- socket side (event loop thread) ------------------------------------------------------

    def _on_message(self, channel: str, data: bytes, recv_ns: int) -> None:
        if not self.stats.received:
            self.stats.first_received_mono_ns = time.monotonic_ns()
        self.stats.received += 1
        self.stats.by_channel[channel] = self.stats.by_channel.get(channel, 0) + 1
        self._put((channel, data, recv_ns))

    def _put(self, item: Any) -> None:
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            # Backpressure: the reader waits, so the kernel's socket buffer (then the server) holds the rest.
            self.stats.backpressure_waits += 1
            while True:
                try:
                    self._queue.put(item, timeout=1.0)
                    break
                except queue.Full:
                    if self._writer_error is not None:
                        raise RuntimeError("harvest writer failed; cannot queue more messages") from None
        size = self._queue.qsize()
        if size > self.stats.queue_high_water:
            self.stats.queue_high_water = size

    def _on_disconnect(self) -> None:
        self._down_since = time.time_ns()

    def _on_reconnect(self) -> None:
        self.stats.reconnects += 1
        start = self._down_since if self._down_since is not None else time.time_ns()
        self._down_since = None
        self._put(_Gap(start, time.time_ns(), "ws reconnect"))

    # -- writer thread ------------------------------------------------------------------------

    def _writer_loop(self) -> None:
        try:
            while True:
                try:
                    item = self._queue.get(timeout=0.5)
                except queue.Empty:
                    self._writer.flush_old()
                    continue
                if isinstance(item, _Stop):
                    break
                if isinstance(item, _Gap):
                    self._record_gap(item)
                    continue
                channel, data, recv_ns = item
                self._process(channel, data, recv_ns)
                if self.stats.processed % 1024 == 0:
                    self._writer.flush_old()
            self._writer.flush_all()
        except BaseException as exc:  # surfaced by run(); the data buffered so far is still flushed
            self._writer_error = exc
            with contextlib.suppress(Exception):
                self._writer.flush_all()

    def _process(self, channel: str, data: bytes, recv_ns: int) -> None:
        bad_before = self._feed.stats.bad
        items = self._feed.handle(channel, data, recv_ns)
        self.stats.processed += 1
        self.stats.last_processed_mono_ns = time.monotonic_ns()
        self.stats.bad += self._feed.stats.bad - bad_before
        for item in items:
            if isinstance(item, TradeTick) and self._duplicate_trade(item):
                continue
            self._writer.add(item)

    def _duplicate_trade(self, tick: TradeTick) -> bool:
        key = tick.instrument_id.value
        seen = self._seen_tids.get(key)
        if seen is None:
            seen = self._seen_tids[key] = (set(), deque())
        ids, order = seen
        tid = tick.trade_id.value
        if tid in ids:
            self.stats.duplicate_trades += 1
            return True
        ids.add(tid)
        order.append(tid)
        if len(order) > _TID_MEMORY:
            ids.discard(order.popleft())
        return False

    def _record_gap(self, gap: _Gap) -> None:
        self.stats.gaps += 1
        # The book may have changed in any way while we were away: the next snapshot is a full rebuild.
        self._feed.reset_books()
        line = {
            "start_ns": gap.start_ns,
            "end_ns": gap.end_ns,
            "seconds": round((gap.end_ns - gap.start_ns) / 1e9, 3),
            "reason": gap.reason,
            "coins": list(self.config.coins),
        }
        with open(self.catalog_dir / GAPS_FILE, "a") as fh:
            fh.write(json.dumps(line) + "\n")
        log.warning(f"harvest gap of {line['seconds']} s recorded ({gap.reason})")

    def _write_instruments(self) -> None:
        for instrument in self.instruments.values():
            directory = Path(
                self.catalog._make_path(data_cls=type(instrument), identifier=instrument.id.value)
            )
            if not (directory.exists() and any(directory.glob("*.parquet"))):
                self.catalog.write_data([instrument])


def read_gaps(catalog_dir: str | Path) -> list[dict[str, Any]]:
    """The gaps a harvester recorded in a catalog (oldest first)."""
    path = Path(catalog_dir) / GAPS_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def fetch_instruments(
    base_url: str, fee_tier: int, timeout_secs: float = 10.0
) -> dict[str, Instrument]:
    """Instruments from the exchange's `meta` reply."""
    from adapters.hyperliquid.http.client import HyperliquidHttpClient

    client = HyperliquidHttpClient([base_url.rstrip("/")], timeout_secs=timeout_secs)
    try:
        raw = await client.info({"type": "meta"})
    finally:
        await client.close()
    return instruments_from_meta(raw, fee_tier=fee_tier)


# -- CLI --------------------------------------------------------------------------------------------


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Register the `harvest` sub-command on `python -m catalog`'s sub-parsers."""
    parser = sub.add_parser("harvest", help="record live l2Book/bbo/trades into a catalog until SIGINT")
    _add_arguments(parser)
    return parser


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--coins", help="comma-separated coins, e.g. BTC,ETH (default: the screener's active set)")
    parser.add_argument(
        "--from-config", type=Path, default=SCREENER_CONFIG,
        help="node config whose strategies name the coins when --coins is not given (default: %(default)s, "
        "which the screener writes)",
    )
    parser.add_argument(
        "--catalog", required=True, type=Path, help="ParquetDataCatalog folder (created if missing)"
    )
    parser.add_argument("--base-url", help="REST base url (default mainnet); the WS url is derived from it")
    parser.add_argument("--network", choices=sorted(NETWORK_REST_URLS), default="mainnet")
    parser.add_argument("--ws-url", help="explicit WS url")
    parser.add_argument("--meta", type=readable_file, help="saved meta reply (else fetched from the exchange)")
    parser.add_argument("--fee-tier", type=checked(parse_fee_tier), default=0)
    parser.add_argument("--chunk-rows", type=positive_int, default=200_000)
    parser.add_argument("--chunk-secs", type=positive_float, default=60.0)
    parser.add_argument("--no-fast", action="store_true", help="subscribe l2Book without fast (20 levels)")


def coins_from_node_config(path: Path) -> tuple[str, ...]:
    """The coins of a TradingNode config's strategies (`COIN-USD-PERP.HYPERLIQUID` instrument ids)."""
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ValueError(f"no --coins given and no screener config at {path}") from None
    except IsADirectoryError:
        raise ValueError(f"--from-config {path} is a folder, not a node config") from None
    except UnicodeDecodeError:
        raise ValueError(f"--from-config {path}: not a text (JSON) file") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    coins = []
    for strategy in raw.get("strategies", []) if isinstance(raw, dict) else []:
        instrument_id = strategy.get("config", {}).get("instrument_id", "") if isinstance(strategy, dict) else ""
        if instrument_id.endswith("-USD-PERP.HYPERLIQUID"):
            coins.append(instrument_id.removesuffix("-USD-PERP.HYPERLIQUID"))
    if not coins:
        raise ValueError(f"{path}: no Hyperliquid strategies to take the coins from")
    return tuple(dict.fromkeys(coins))


def config_from_args(args: argparse.Namespace) -> HarvestConfig:
    if args.coins:
        coins = tuple(c.strip() for c in args.coins.split(",") if c.strip())
    else:
        coins = coins_from_node_config(args.from_config)
    return HarvestConfig(
        coins=coins,
        catalog_dir=str(args.catalog),
        base_url=(args.base_url or NETWORK_REST_URLS[args.network]).rstrip("/"),
        ws_url=args.ws_url,
        meta=str(args.meta) if args.meta else None,
        fee_tier=args.fee_tier,
        l2_book_fast=not args.no_fast,
        chunk_rows=args.chunk_rows,
        chunk_secs=args.chunk_secs,
    )


def meta_file_instruments(path: str, fee_tier: int) -> dict[str, Any]:
    """Instruments from a saved meta reply; a file that is not one is a ValueError naming it (the
    parser's own message names no file)."""
    try:
        return instruments_from_meta(Path(path).read_bytes(), fee_tier=fee_tier)
    except OSError as exc:
        raise ValueError(f"--meta {path}: {exc.strerror or exc}") from None
    except ValueError as exc:  # not JSON, not UTF-8 (both ValueErrors), or a reply of another shape
        raise ValueError(f"--meta {path}: not a saved meta reply ({exc})") from None


async def harvest_until_signal(config: HarvestConfig) -> HarvestStats:
    if config.meta:
        instruments = meta_file_instruments(config.meta, config.fee_tier)
    else:
        instruments = await fetch_instruments(config.base_url, config.fee_tier)
    harvester = Harvester(config, instruments)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    task = asyncio.create_task(harvester.run(stop))
    while not task.done():
        await asyncio.wait({task}, timeout=10.0)
        s = harvester.stats
        print(
            f"harvest: {s.received} msgs, {s.rows_written} rows in {s.chunks_written} chunks, "
            f"{s.gaps} gaps, queue peak {s.queue_high_water}",
            file=sys.stderr,
            flush=True,
        )
    return task.result()


def run_cli(args: argparse.Namespace) -> int:
    """Entry point for `python -m catalog harvest`; exit 0 on a clean stop, 2 on bad input."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = config_from_args(args)
        check_writable_dir(Path(config.catalog_dir), "catalog")
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        stats = asyncio.run(harvest_until_signal(config))
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (TimeoutError, *REST_ERRORS, aiohttp.ClientError, OSError) as exc:
        # At start an exchange that does not answer is a setting to fix, not an outage to sit out.
        print(f"error: the exchange at {config.base_url} could not be reached ({exc}); nothing was recorded",
              file=sys.stderr)
        return 1
    print(json.dumps(stats.as_dict()))
    return 0


def add_harvest_parser(sub: argparse._SubParsersAction) -> None:
    """Adds the `harvest` sub-command to `python -m catalog`."""
    _add_arguments(sub.add_parser("harvest", help="record live l2Book/bbo/trades into a catalog"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalog.harvest", description=__doc__.split("\n", 1)[0])
    _add_arguments(parser)
    return run_cli(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
