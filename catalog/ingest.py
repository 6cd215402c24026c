"""Hyperliquid WS captures and archive files → a Nautilus `ParquetDataCatalog`.

Per source file, in one streaming pass: `l2Book` → true book deltas (`L2BookDiffer`, restarted per
file so each file opens with a fresh F_SNAPSHOT), `bbo` → QuoteTick, `trades` → TradeTick, plus the
instrument of every coin seen. Each file's data goes to its own parquet files (named by their
`ts_init` range, so files of one instrument with different time ranges sit side by side); data
overlapping what the catalog already holds stops the ingest with a clear error and nothing of that
file is kept.

Idempotent: the manifest (`catalog.manifest`) lists ingested files by content hash; the same
bytes are not ingested twice (`replace=True` rewrites them, and takes out an earlier file whose
data the new one overlaps).

Instrument precisions: from the `meta` reply given, else from the instrument the catalog already
holds, else inferred from the file's sizes and prices (a warning; see `infer_sz_decimals`).

`ts_init` is the local receive time (never before the exchange time) and is kept non-decreasing
per data type in file order (Nautilus needs that; a step back of clock jitter is held at the
previous value and counted), so a diff is never replayed before the snapshot it was taken against.
What a line's times must be to get in at all (in Nautilus's range, receive time near the exchange
time, lines in time order) is `catalog.line_times`: whatever a file holds, the catalog stays
readable. Rows are written through the one chunked writer, `catalog.writer`.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from rich.console import Console
from rich.progress import BarColumn
from rich.progress import DownloadColumn
from rich.progress import Progress
from rich.progress import TextColumn
from rich.progress import TimeElapsedColumn

from adapters.hyperliquid.common.prices import MAX_SZ_DECIMALS
from adapters.hyperliquid.parsing.book_diff import L2BookDiffer
from adapters.hyperliquid.parsing.convert import PrecisionError
from adapters.hyperliquid.parsing.convert import ValueConverter
from adapters.hyperliquid.parsing.convert import ms_to_ns
from adapters.hyperliquid.parsing.convert import ts_init_for
from adapters.hyperliquid.parsing.instruments import infer_sz_decimals
from adapters.hyperliquid.parsing.instruments import instrument_id_for
from adapters.hyperliquid.parsing.instruments import load_meta_file
from adapters.hyperliquid.parsing.instruments import perp_instrument
from adapters.hyperliquid.parsing.recordings import HyperliquidFileReader
from adapters.hyperliquid.parsing.recordings import RawRecord
from adapters.hyperliquid.parsing.ticks import bbo_to_quote
from adapters.hyperliquid.parsing.ticks import trade_to_tick
from adapters.hyperliquid.schemas.market_data import BBO_DECODER
from adapters.hyperliquid.schemas.market_data import L2BOOK_DECODER
from adapters.hyperliquid.schemas.market_data import TRADES_DECODER
from catalog import shipped_data
from catalog.line_times import DEFAULT_MAX_SKEW_S
from catalog.line_times import BadLineTime
from catalog.line_times import LineTimes
from catalog.line_times import OutOfOrder
from catalog.manifest import IngestManifest
from catalog.manifest import catalog_lock
from catalog.manifest import file_sha256
from catalog.summary import GAP_NS
from catalog.summary import FileSummary
from catalog.summary import IngestSummary
from catalog.summary import InstrumentSummary
from catalog.writer import ChunkedCatalogWriter
from catalog.writer import OverlapError

log = logging.getLogger(__name__)

DEFAULT_CATALOG_DIR = shipped_data.DEFAULT_CATALOG_DIR
# Rows buffered per data type before a parquet file is written (bounds memory on long files).
CHUNK_ROWS = 1_000_000
_PROGRESS_EVERY = 4096


class IngestError(Exception):
    """An ingest that cannot go on (overlapping data, precision mismatch); names the file."""


class SourceOverlap(IngestError):
    """The file's data overlaps what an earlier ingested file (`sha256`, in the manifest) wrote."""

    def __init__(self, message: str, sha256: str) -> None:
        super().__init__(message)
        self.sha256 = sha256


def shipped_files() -> list[Path]:
    """The shipped recordings `--shipped` ingests: the ETH capture, the BTC capture, the BTC archive
    hour and the four-coin recording of 2025-09-04."""
    return [
        shipped_data.eth_capture(), shipped_data.btc_capture(), shipped_data.btc_archive_hour(),
        *(shipped_data.four_coin_capture(coin) for coin in shipped_data.FOUR_COINS),
    ]


def shipped_meta() -> Path:
    """A real mainnet meta reply (BTC szDecimals 5, ETH 4), used for the shipped files."""
    return shipped_data.mainnet_meta()


MetaArg = str | os.PathLike[str] | dict[str, Any] | list[Any] | None


def _load_meta(meta: MetaArg) -> dict[str, dict[str, Any]]:
    """Coin → universe entry (with its asset index) from a meta path or parsed reply.

    Every entry is checked here: a bad szDecimals or maxLeverage would otherwise only surface
    per line, skipping all of a coin's data."""
    if meta is None:
        return {}
    if isinstance(meta, str | os.PathLike):
        universe = load_meta_file(meta)
    else:
        from adapters.hyperliquid.parsing.instruments import meta_universe

        universe = meta_universe(meta)
    where = f"{meta}: " if isinstance(meta, str | os.PathLike) else "meta: "
    for asset in universe:
        sz_decimals, leverage = asset["szDecimals"], asset.get("maxLeverage")
        if isinstance(sz_decimals, bool) or not 0 <= sz_decimals <= MAX_SZ_DECIMALS:
            raise ValueError(
                f"{where}{asset['name']}: szDecimals must be 0..{MAX_SZ_DECIMALS} for a perp, got {sz_decimals!r}"
            )
        if leverage is not None and (type(leverage) is not int or leverage <= 0):
            raise ValueError(f"{where}{asset['name']}: maxLeverage must be a positive integer, got {leverage!r}")
    return {asset["name"]: {**asset, "asset": i} for i, asset in enumerate(universe)}


class _CoinState:
    def __init__(self, instrument: CryptoPerpetual, summary: InstrumentSummary) -> None:
        self.instrument = instrument
        iid = instrument.id
        self.values = ValueConverter(instrument.price_precision, instrument.size_precision, str(iid))
        self.differ = L2BookDiffer(
            iid, instrument.price_precision, instrument.size_precision, converter=self.values
        )
        self.summary = summary
        self.seen_tids: set[int] = set()
        self.last_msg_ns: int | None = None

    def see_message(self, t_ns: int) -> None:
        last = self.last_msg_ns
        if last is not None and t_ns - last > GAP_NS:
            self.summary.gaps.append((last, t_ns))
        if last is None or t_ns > last:
            self.last_msg_ns = t_ns


class _FileIngest:
    """One source file into the catalog (one streaming pass, plus a pre-pass when inferring)."""

    def __init__(
        self,
        reader: HyperliquidFileReader,
        sha256: str,
        catalog: ParquetDataCatalog,
        manifest: IngestManifest,
        meta: dict[str, dict[str, Any]],
        fee_tier: int,
        known: dict[str, CryptoPerpetual],
        progress: Progress | None,
        max_skew_s: float = DEFAULT_MAX_SKEW_S,
    ) -> None:
        self.reader = reader
        self.catalog = catalog
        self.manifest = manifest
        self.meta = meta
        self.fee_tier = fee_tier
        self.known = known  # instruments already in the catalog or resolved earlier in this run
        self.progress = progress
        self.coins: dict[str, _CoinState] = {}
        self.inferred: dict[str, int] | None = None
        self.writer = ChunkedCatalogWriter(catalog, CHUNK_ROWS)
        self.times = LineTimes(max_skew_s)
        self.summary = FileSummary(
            path=str(reader.path),
            sha256=sha256,
            status="ingested",
            kind=reader.kind,
            compression=reader.compression,
        )

    # -- instruments ------------------------------------------------------------------------------

    def _state(self, coin: str) -> _CoinState:
        st = self.coins.get(coin)
        if st is None:
            instrument, source = self._resolve_instrument(coin)
            iid = instrument.id.value
            s = InstrumentSummary(
                iid,
                instrument.price_precision,
                instrument.size_precision,
                source,
                files=[str(self.reader.path)],
            )
            st = self.coins[coin] = _CoinState(instrument, s)
            self.summary.instruments[iid] = s
        return st

    def _resolve_instrument(self, coin: str) -> tuple[CryptoPerpetual, str]:
        iid = instrument_id_for(coin)
        existing = self.known.get(iid.value)
        if coin in self.meta:
            asset = self.meta[coin]
            instrument = perp_instrument(
                coin,
                asset["szDecimals"],
                self.fee_tier,
                max_leverage=asset.get("maxLeverage"),
                asset_index=asset["asset"],
            )
            if existing is not None and existing.size_precision != instrument.size_precision:
                raise IngestError(
                    f"{self.reader.path}: the catalog holds {iid} with size precision {existing.size_precision}, "
                    f"the meta reply says szDecimals {instrument.size_precision}: ingest into a new catalog"
                )
            self.known[iid.value] = instrument
            return instrument, "meta"
        if existing is not None:
            if existing.info.get("feeTier") != self.fee_tier:
                existing = perp_instrument(
                    coin,
                    existing.size_precision,
                    self.fee_tier,
                    max_leverage=existing.info.get("maxLeverage"),
                    asset_index=existing.info.get("asset"),
                )
                self.known[iid.value] = existing
            return existing, "catalog"
        if self.inferred is None:
            self.inferred = _infer_sz_decimals_by_coin(self.reader.path)
        if coin not in self.inferred:
            raise IngestError(f"{self.reader.path}: cannot infer szDecimals of {coin} (no sizes seen)")
        sz_decimals = self.inferred[coin]
        warning = (
            f"{coin}: szDecimals inferred from the data as {sz_decimals} (price precision {6 - sz_decimals}); "
            "pass --meta with the exchange's meta reply to be sure"
        )
        log.warning(warning)
        self.summary.warnings.append(warning)
        instrument = perp_instrument(coin, sz_decimals, self.fee_tier)
        self.known[iid.value] = instrument
        return instrument, "inferred"

    # -- the pass ---------------------------------------------------------------------------------

    def run(self) -> FileSummary:
        started = time.perf_counter()
        reader = self.reader
        skip = reader.skipped.add
        task = None
        if self.progress is not None:
            task = self.progress.add_task(reader.path.name, total=reader.size)
        try:
            for n, rec in enumerate(reader):
                channel = rec.channel
                try:
                    if channel == "l2Book":
                        self._on_l2book(rec)
                    elif channel == "bbo":
                        self._on_bbo(rec)
                    else:
                        self._on_trades(rec)
                except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                    skip(rec.line_no, f"invalid {channel}: {exc}", bytes(rec.raw))
                except BadLineTime as exc:
                    skip(rec.line_no, str(exc), bytes(rec.raw))
                except OutOfOrder as exc:
                    raise IngestError(f"{reader.path}, {exc}") from None
                except PrecisionError as exc:
                    raise IngestError(f"{reader.path}, line {rec.line_no}: {exc}") from None
                except ValueError as exc:
                    skip(rec.line_no, f"invalid {channel} values: {exc}", bytes(rec.raw))
                if task is not None and n % _PROGRESS_EVERY == 0:
                    self.progress.update(task, completed=reader.bytes_read)
            self._write(self.writer.flush_all)
        except BaseException:
            self._remove_outputs()
            raise
        finally:
            if task is not None:
                self.progress.update(task, completed=reader.size)

        s = self.summary
        s.lines = reader.lines_read
        s.records = reader.records_read
        s.skipped = reader.skipped.count
        s.skipped_by_reason = dict(reader.skipped.by_reason)
        s.first_skipped = list(reader.skipped.first)
        s.truncated = reader.truncated
        s.truncation_reason = reader.truncation_reason
        if reader.truncated:
            s.warnings.append(
                f"stream truncated: {reader.truncation_reason}; data up to the cut was ingested"
            )
        for st in self.coins.values():
            st.summary.book = st.differ.stats
        s.outputs = list(self.writer.written)
        s.seconds = time.perf_counter() - started
        return s

    def _on_l2book(self, rec: RawRecord) -> None:
        book = L2BOOK_DECODER.decode(rec.raw)
        ts_event = ms_to_ns(book.time)
        self.times.check(rec.line_no, rec.recv_ns, [ts_event], (book.coin, "l2Book"))
        st = self._state(book.coin)
        ts_init = self._ts_init(st, OrderBookDelta, ts_init_for(ts_event, rec.recv_ns))
        st.summary.messages["l2Book"] += 1
        deltas = st.differ.apply_levels(book.levels[0], book.levels[1], ts_event, ts_init, book.time)
        st.see_message(ts_init)
        st.summary.see_time(ts_event)
        if deltas:
            self._append(st, OrderBookDelta, deltas, ts_init)

    def _on_bbo(self, rec: RawRecord) -> None:
        bbo = BBO_DECODER.decode(rec.raw)
        ts_event = ms_to_ns(bbo.time)
        self.times.check(rec.line_no, rec.recv_ns, [ts_event], (bbo.coin, "bbo"))
        st = self._state(bbo.coin)
        ts_init = self._ts_init(st, QuoteTick, ts_init_for(ts_event, rec.recv_ns))
        quote = bbo_to_quote(bbo, st.instrument.id, st.values, ts_init)
        st.summary.messages["bbo"] += 1
        st.see_message(ts_init)
        st.summary.see_time(ts_event)
        if quote is None:
            st.summary.one_sided_bbo += 1
            return
        st.summary.quotes += 1
        self._append(st, QuoteTick, [quote], ts_init)

    def _on_trades(self, rec: RawRecord) -> None:
        trades = TRADES_DECODER.decode(rec.raw)
        coins = {trade.coin for trade in trades}
        self.times.check(rec.line_no, rec.recv_ns, [ms_to_ns(t.time) for t in trades], (tuple(sorted(coins)), "trades"))
        counted: set[str] = set()
        for trade in trades:
            st = self._state(trade.coin)
            if trade.coin not in counted:
                counted.add(trade.coin)
                st.summary.messages["trades"] += 1
            if trade.tid in st.seen_tids:
                st.summary.duplicate_trades += 1
                continue
            ts_event = ms_to_ns(trade.time)
            ts_init = self._ts_init(st, TradeTick, ts_init_for(ts_event, rec.recv_ns))
            tick = trade_to_tick(trade, st.instrument.id, st.values, ts_init)
            st.seen_tids.add(trade.tid)
            st.summary.trades += 1
            st.summary.see_time(ts_event)
            st.see_message(ts_init)
            self._append(st, TradeTick, [tick], ts_init)

    def _ts_init(self, st: _CoinState, cls: type, ts_init: int) -> int:
        """Held at its series' floor when it steps back (clock jitter within `LineTimes`'s tolerance,
        or an exchange time ahead of the receive time): counted in the summary."""
        floor = self.writer.floor(cls, st.instrument.id.value)
        if ts_init < floor:
            st.summary.ts_init_clamped += 1
            return floor
        return ts_init

    def _append(self, st: _CoinState, cls: type, items: list[Any], ts_init: int) -> None:
        self._write(self.writer.add, cls, st.instrument.id.value, items, ts_init)

    def _write(self, write: Any, *args: Any) -> None:
        """A write through the catalog writer; data overlapping the catalog's is an IngestError
        naming the file it came from."""
        try:
            write(*args)
        except OverlapError as exc:
            what = (f"{self.reader.path}: its {exc.cls.__name__} data for {exc.identifier} "
                    f"({_iso(exc.start_ns)} .. {_iso(exc.end_ns)}) overlaps data already in the catalog")
            sha = self.manifest.sha_of_output(exc.existing)
            if sha is None:
                raise IngestError(f"{what} ({exc.existing}, from an earlier write). A catalog holds one source per "
                                  "instrument and time range; use another catalog or remove that file.") from None
            entry = self.manifest.entry(sha) or {}
            raise SourceOverlap(
                f"{what} ({exc.existing}, from {entry.get('source')}). A catalog holds one source per instrument "
                f"and time range: ingest this file with --replace to take out everything that file wrote "
                f"({len(entry.get('outputs', []))} parquet file(s)) and put this one's in, or use another catalog.",
                sha,
            ) from None

    def _remove_outputs(self) -> None:
        for rel in self.writer.written:
            try:
                (Path(self.catalog.path) / rel).unlink()
            except FileNotFoundError:
                pass
        self.writer.written.clear()


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="milliseconds")


def _infer_sz_decimals_by_coin(path: Path) -> dict[str, int]:
    """szDecimals per coin from every size and price of a file (a pre-pass; see infer_sz_decimals)."""
    sizes: dict[str, set[str]] = {}
    prices: dict[str, set[str]] = {}
    for rec in HyperliquidFileReader(path):
        try:
            if rec.channel == "l2Book":
                book = L2BOOK_DECODER.decode(rec.raw)
                sz, px = sizes.setdefault(book.coin, set()), prices.setdefault(book.coin, set())
                for side in book.levels:
                    for lvl in side:
                        sz.add(lvl.sz)
                        px.add(lvl.px)
            elif rec.channel == "bbo":
                bbo = BBO_DECODER.decode(rec.raw)
                for lvl in bbo.bbo:
                    if lvl is not None:
                        sizes.setdefault(bbo.coin, set()).add(lvl.sz)
                        prices.setdefault(bbo.coin, set()).add(lvl.px)
            else:
                for t in TRADES_DECODER.decode(rec.raw):
                    sizes.setdefault(t.coin, set()).add(t.sz)
                    prices.setdefault(t.coin, set()).add(t.px)
        except (msgspec.ValidationError, msgspec.DecodeError):
            continue  # counted by the main pass
    out: dict[str, int] = {}
    for coin, sz in sizes.items():
        try:
            out[coin] = infer_sz_decimals(sz, prices.get(coin, ()))
        except ValueError as exc:
            raise IngestError(f"{path}: {coin}: {exc}") from None
    return out


def _catalog_instruments(catalog: ParquetDataCatalog) -> dict[str, CryptoPerpetual]:
    try:
        instruments = catalog.instruments()
    except Exception:  # an empty catalog has no instrument tables to read
        return {}
    return {i.id.value: i for i in instruments if isinstance(i, CryptoPerpetual)}


def _write_instruments(catalog: ParquetDataCatalog, instruments: Iterable[CryptoPerpetual]) -> None:
    """Write each instrument, replacing its previous definition (fees or leverage may have changed)."""
    for instrument in instruments:
        directory = Path(catalog._make_path(data_cls=type(instrument), identifier=instrument.id.value))
        if directory.exists():
            for old in directory.glob("*.parquet"):
                old.unlink()
        catalog.write_data([instrument])


def ingest_files(
    paths: Sequence[str | os.PathLike[str]],
    catalog_dir: str | os.PathLike[str],
    *,
    meta: MetaArg = None,
    fee_tier: int = 0,
    replace: bool = False,
    progress: bool = False,
    console: Console | None = None,
    max_skew_s: float = DEFAULT_MAX_SKEW_S,
) -> IngestSummary:
    """Ingest capture/archive files into the catalog at `catalog_dir` (created if missing).

    Every file is opened and its format checked before anything is written, so a wrong file
    (`WrongFileKindError`) or a missing one stops the run with nothing changed. A file already
    ingested (same bytes) is skipped unless `replace`. A file given more than once (by path or by
    content) is read and counted once and listed in `summary.duplicates`. Lines whose times the
    catalog cannot hold (past Nautilus's range, or a receive time more than `max_skew_s` from the
    exchange time) are skipped and listed (`catalog.line_times`). Raises `IngestError` on
    overlapping data, a precision mismatch or a file out of time order; that file's partial output
    is removed.
    """
    from adapters.hyperliquid.common.fees import perp_fee_tier

    perp_fee_tier(fee_tier)  # validate before any work
    LineTimes(max_skew_s)  # a bad bound is refused before any work too
    meta_by_coin = _load_meta(meta)
    unique: dict[Path, Path] = {}
    duplicates: list[str] = []
    for p in map(Path, paths):
        if p.resolve() in unique:
            duplicates.append(str(p))
        else:
            unique[p.resolve()] = p
    readers = [HyperliquidFileReader(p) for p in unique.values()]
    catalog_dir = Path(catalog_dir).resolve()
    summary = IngestSummary(str(catalog_dir), duplicates=duplicates)
    seen: set[str] = set()
    with catalog_lock(catalog_dir):
        catalog = ParquetDataCatalog(str(catalog_dir))
        manifest = IngestManifest(catalog_dir)
        known = _catalog_instruments(catalog)
        touched: dict[str, CryptoPerpetual] = {}
        bar = _progress(console) if progress else None
        with bar or _nullcontext():
            for reader in readers:
                sha = file_sha256(reader.path)
                if sha in seen:  # a copy of a file given earlier: its data is counted already
                    summary.duplicates.append(str(reader.path))
                    continue
                seen.add(sha)
                if manifest.entry(sha) is not None:
                    if manifest.is_complete(sha) and not replace:
                        recorded = (manifest.entry(sha) or {}).get("summary", {})
                        try:
                            fs = FileSummary.from_manifest(str(reader.path), sha, "already ingested", recorded)
                        except (AttributeError, KeyError, TypeError, ValueError) as exc:
                            raise ValueError(
                                f"{manifest.path}: the summary recorded for {reader.path.name} is damaged "
                                f"({type(exc).__name__}: {exc}); ingest it again with --replace"
                            ) from None
                        summary.files.append(fs)
                        continue
                    _forget(catalog_dir, manifest, sha)
                if reader.kind == "empty":
                    fs = FileSummary(str(reader.path), sha, "empty", reader.kind, reader.compression)
                    fs.warnings.append("empty file: nothing to ingest")
                    summary.files.append(fs)
                    continue
                while True:
                    job = _FileIngest(reader, sha, catalog, manifest, meta_by_coin, fee_tier, known, bar, max_skew_s)
                    try:
                        fs = job.run()
                        break
                    except SourceOverlap as exc:
                        # --replace: the earlier file this one overlaps goes out whole (a truncated
                        # copy of the same recording, say), then this one is read again.
                        if not replace:
                            raise
                        _forget(catalog_dir, manifest, exc.sha256)
                        reader = HyperliquidFileReader(reader.path)
                for st in job.coins.values():
                    touched[st.instrument.id.value] = st.instrument
                if touched:
                    _write_instruments(catalog, [touched[iid] for iid in sorted(touched)])
                    touched.clear()
                manifest.record(
                    sha,
                    {
                        "source": str(reader.path),
                        "ingested_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
                        "outputs": fs.outputs,
                        "instruments": sorted(fs.instruments),
                        "summary": fs.to_dict(),
                    },
                )
                summary.files.append(fs)
    return summary


def _forget(catalog_dir: Path, manifest: IngestManifest, sha: str) -> None:
    entry = manifest.forget(sha) or {}
    for rel in entry.get("outputs", []):
        try:
            (catalog_dir / rel).unlink()
        except FileNotFoundError:
            pass


def _progress(console: Console | None) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
    )


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def set_fee_tier(catalog_dir: str | os.PathLike[str], fee_tier: int) -> list[str]:
    """Rewrite the catalog's Hyperliquid instruments with the fees of `fee_tier`; returns the ids changed."""
    from adapters.hyperliquid.common.fees import perp_fee_tier

    perp_fee_tier(fee_tier)
    changed: list[CryptoPerpetual] = []
    with catalog_lock(catalog_dir):
        catalog = ParquetDataCatalog(str(Path(catalog_dir).resolve()))
        for instrument in _catalog_instruments(catalog).values():
            info = instrument.info or {}
            if "szDecimals" not in info or info.get("feeTier") == fee_tier:
                continue
            changed.append(
                perp_instrument(
                    info.get("coin", instrument.raw_symbol.value),
                    instrument.size_precision,
                    fee_tier,
                    max_leverage=info.get("maxLeverage"),
                    asset_index=info.get("asset"),
                )
            )
        _write_instruments(catalog, changed)
    return [i.id.value for i in changed]


def ensure_shipped_catalog(catalog_dir: str | os.PathLike[str] | None = None, fee_tier: int = 0) -> Path:
    """The catalog of the shipped recordings, built on first use (cheap when already complete).

    Default folder: `data/catalog` in the project (what `scripts/main.sh` builds). The instruments
    carry the fees of `fee_tier`.
    """
    directory = Path(catalog_dir) if catalog_dir is not None else DEFAULT_CATALOG_DIR
    ingest_files(shipped_files(), directory, meta=shipped_meta(), fee_tier=fee_tier)
    set_fee_tier(directory, fee_tier)
    return directory.resolve()
