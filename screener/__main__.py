"""`python -m screener run`: screen the universe once (or `--every 1h`), print the ranked table,
publish the snapshot over Redis and optionally write a TradingNode config.

With `--catalog DIR` it scores the coins of a Nautilus ParquetDataCatalog from their recorded books
and trades instead (the spread takers paid, the tick in bps, realized volatility, traded volume),
publishes nothing, and with `--write-config PATH` also writes a backtest config for its picks
beside the TradingNode config (`live.json` → `live.backtest.json`), which
`python run_backtest.py --config live.backtest.json` runs as is.

Exit codes: 0 done (or stopped by SIGINT/SIGTERM in daemon mode), 1 a run failed (bad or
missing replies, no usable instrument in the catalog, no asset selected, Redis unreachable when
publishing), 2 bad arguments (a --catalog that is not a readable catalog folder included).
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sys
import threading
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Protocol

import redis
from rich.console import Console

from adapters.hyperliquid.common.fees import parse_fee_tier
from cli_types import check_writable_file
from cli_types import checked
from cli_types import non_negative_float
from cli_types import positive_float
from cli_types import positive_int
from screener.backtest_config import BacktestConfigOptions
from screener.backtest_config import backtest_config_path
from screener.backtest_config import write_backtest_config
from screener.catalog_reader import NS
from screener.catalog_reader import CatalogError
from screener.catalog_screen import CatalogScreenConfig
from screener.catalog_screen import CatalogScreening
from screener.filters import DeadCoinConfig
from screener.filters import RecordingConfig
from screener.info_client import HttpInfoClient
from screener.info_client import InfoError
from screener.info_client import InfoSource
from screener.info_client import OfflineInfoClient
from screener.node_config import NodeConfigOptions
from screener.node_config import write_node_config
from screener.params import ParamsConfig
from screener.pipeline import InfoScreening
from screener.pipeline import ScreenConfig
from screener.pipeline import ScreenResult
from screener.report import drop_counts
from screener.report import print_recordings
from screener.report import print_report
from screener_link.publish import ScreenerPublisher
from screener_link.redis_target import DEFAULT_CHANNEL
from screener_link.redis_target import DEFAULT_KEY
from screener_link.redis_target import check_redis_name
from screener_link.redis_target import check_redis_url
from screener_link.redis_target import env_url_name
from screener_link.redis_target import holds_password
from screener_link.redis_target import redact_url

_log = logging.getLogger("screener")

_INTERVAL_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MIN_INTERVAL_S = 1.0
MAX_INTERVAL_S = 7 * 86400.0  # a week; longer is a typo (and overflows Event.wait)


def parse_interval(text: str) -> float:
    """'90s', '30m', '1h', '1h30m', '1d' → seconds (1 s .. 7 days)."""
    spec = text.strip().lower()
    if not spec or _INTERVAL_PART.sub("", spec) != "":
        raise argparse.ArgumentTypeError(f"interval must look like 30s, 15m, 1h or 1h30m, got {text!r}")
    seconds = sum(float(n) * _UNIT_S[u] for n, u in _INTERVAL_PART.findall(spec))
    if seconds < MIN_INTERVAL_S:
        raise argparse.ArgumentTypeError(f"interval must be at least {MIN_INTERVAL_S:.0f} s, got {text!r}")
    if seconds > MAX_INTERVAL_S:
        raise argparse.ArgumentTypeError(f"interval must be at most 7 days, got {text!r}")
    return seconds


def utc_time_ns(text: str) -> int:
    """An ISO time ('2025-09-04T19:50', '...Z', '...+02:00'; no zone: UTC) → ns since the epoch."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO time like 2025-09-04T19:50:00Z, got {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp()) * NS + moment.microsecond * 1000


def redis_url(text: str) -> str:
    """`text` as given once checked: an `env:NAME` url stays a name (only the name is checked here: a
    config written for a node elsewhere names that node's variable), read where it is used, and
    written as the name into a generated config, not as the url and its password."""
    try:
        if env_url_name(text) is None:
            check_redis_url(text)
        return text
    except ValueError as exc:  # ArgumentTypeError: argparse shows our (redacted) message as is
        raise argparse.ArgumentTypeError(str(exc)) from None


def redis_name(text: str) -> str:
    try:
        return check_redis_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m screener", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="screen the universe once, or every INTERVAL with --every")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--offline", type=Path, metavar="DIR", help="read saved /info replies from DIR")
    source.add_argument(
        "--catalog",
        type=Path,
        metavar="DIR",
        help="score the coins of the Nautilus ParquetDataCatalog DIR from their recorded books and trades "
        "(the spread takers paid, tick in bps, realized volatility, traded volume over the span) instead "
        "of live /info; publishes nothing; with --write-config PATH also writes a backtest config for the "
        "picks beside it (PATH's name + .backtest.json) that run_backtest.py --config runs as is. "
        "--min-volume applies to the recorded volume as a 24h rate; --min-open-interest and --book-samples "
        "do not apply",
    )
    source.add_argument(
        "--base-url",
        default="mainnet",
        help="mainnet, testnet or an http(s) url (e.g. hlsim); default mainnet",
    )
    run.add_argument("--fee-tier", type=checked(parse_fee_tier), default=0, help="perp fee tier 0..6 (default 0)")
    run.add_argument("--max-assets", type=positive_int, default=5, help="assets to select (default 5)")
    run.add_argument(
        "--min-volume", type=non_negative_float, default=10e6, metavar="USD", help="24h notional"
    )
    run.add_argument("--min-open-interest", type=non_negative_float, default=1e6, metavar="USD")
    run.add_argument(
        "--capital", type=positive_float, default=10_000.0, metavar="USD", help="capital budget"
    )
    run.add_argument(
        "--book-samples",
        type=positive_int,
        default=1,
        help="l2Book snapshots per coin, 5 s apart (median spread)",
    )
    run.add_argument(
        "--start", type=utc_time_ns, metavar="TIME", help="with --catalog: score from this ISO UTC time on"
    )
    run.add_argument("--end", type=utc_time_ns, metavar="TIME", help="with --catalog: score up to this ISO UTC time")
    run.add_argument("--redis-url", type=redis_url, default="redis://127.0.0.1:6379/0")
    run.add_argument("--channel", type=redis_name, default=DEFAULT_CHANNEL)
    run.add_argument("--key", type=redis_name, default=DEFAULT_KEY)
    run.add_argument("--no-publish", action="store_true", help="do not publish over Redis")
    run.add_argument("--write-config", type=Path, metavar="PATH", help="write a TradingNode config JSON here")
    run.add_argument(
        "--network", choices=("mainnet", "testnet"), default="mainnet", help="for the written config"
    )
    run.add_argument("--account-address", help="main account address for the written config")
    run.add_argument(
        "--every", type=parse_interval, metavar="INTERVAL", help="daemon mode: run every INTERVAL"
    )
    return parser


class Screening(Protocol):
    """One source of screens: `/info` replies (`InfoScreening`) or a catalog (`CatalogScreening`)."""

    def describe(self) -> str: ...

    def screen(self, now_ms: int) -> ScreenResult: ...

    def close(self) -> None: ...


def _make_source(args: argparse.Namespace) -> InfoSource:
    if args.offline is not None:
        return OfflineInfoClient(args.offline)
    return HttpInfoClient(args.base_url)


def make_screening(args: argparse.Namespace) -> Screening:
    config = screen_config(args)
    if args.catalog is None:
        return InfoScreening(_make_source(args), config)
    catalog_config = CatalogScreenConfig(
        screen=config,
        recording=RecordingConfig(min_volume_usd=args.min_volume),
        start_ns=args.start,
        end_ns=args.end,
    )
    return CatalogScreening(args.catalog, catalog_config)


def check_arguments(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """What argparse cannot say alone: the options that go only with --catalog, or not with it."""
    if args.catalog is None:
        if args.start is not None or args.end is not None:
            parser.error("--start and --end go with --catalog")
        return
    if args.every is not None:
        parser.error("--every does not go with --catalog: a recording does not change between runs")
    if args.start is not None and args.end is not None and args.end <= args.start:
        parser.error("--end must be after --start")


def screen_config(args: argparse.Namespace) -> ScreenConfig:
    return ScreenConfig(
        fee_tier=args.fee_tier,
        max_assets=args.max_assets,
        dead=DeadCoinConfig(min_volume_usd=args.min_volume, min_open_interest_usd=args.min_open_interest),
        params=ParamsConfig(capital_budget_usd=args.capital),
        book_samples=args.book_samples,
    )


def run_once(args: argparse.Namespace, screening: Screening, console: Console) -> int:
    now_ms = int(time.time() * 1000)
    try:
        result = screening.screen(now_ms)
    except (InfoError, CatalogError) as exc:
        console.print(f"[red]screen failed:[/] {exc}")
        return 1
    console.print(f"source: {screening.describe()}")
    if args.catalog is not None:
        print_recordings(result.table, console)
    print_report(result, console)
    if not result.snapshot.assets:
        # An empty snapshot means "quote nothing" to running nodes: keep what they hold instead.
        console.print(
            f"[red]no asset selected:[/] all {result.table.height} perps were filtered out "
            f"({drop_counts(result.table)}); nothing published, no config written"
        )
        return 1
    status = 0
    if args.write_config is not None:
        base_url = (
            None if args.offline is not None or args.base_url in ("mainnet", "testnet") else args.base_url
        )
        options = NodeConfigOptions(
            network=args.network,
            base_url=base_url,
            fee_tier=args.fee_tier,
            account_address=args.account_address,
            redis_url=args.redis_url,
            screener_channel=args.channel,
            screener_key=args.key,
        )
        try:
            path = write_node_config(args.write_config, result.snapshot, options)
            console.print(f"wrote TradingNode config: {path} ({len(result.snapshot.assets)} market makers)")
            if holds_password(args.redis_url):
                console.print("[yellow]warning:[/] the config holds the Redis password of --redis-url; "
                              "give it as --redis-url env:NAME to write the variable's name instead")
            if args.catalog is not None:
                backtest_options = BacktestConfigOptions(
                    catalog=args.catalog,
                    fee_tier=args.fee_tier,
                    starting_usdc=args.capital,
                )
                path = write_backtest_config(backtest_config_path(args.write_config), result, backtest_options)
                console.print(f"wrote backtest config: {path} (run it: python run_backtest.py --config {path})")
        except OSError as exc:  # checked at start; the folder may still go away or fill up during the run
            console.print(f"[red]error:[/] --write-config {args.write_config}: {exc.strerror or exc}", soft_wrap=True, highlight=False)
            return 2
    if args.catalog is not None:
        console.print("nothing published: a recording is not the market now")
    elif not args.no_publish:
        try:
            with ScreenerPublisher(args.redis_url, args.channel, args.key) as publisher:
                receivers = publisher.publish(result.snapshot)
            console.print(f"published on {args.channel} (stored under {args.key}); {receivers} subscriber(s)")
        except redis.RedisError as exc:
            console.print(f"[red]publish failed:[/] Redis at {redact_url(args.redis_url)}: {exc}")
            status = 1
    return status


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_arguments(parser, args)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = Console(width=None if sys.stdout.isatty() else 200)
    try:
        if args.write_config is not None:
            # Where the configs go, checked before the first (possibly slow) run: not after it, as a traceback.
            check_writable_file(args.write_config, "--write-config")
            if args.catalog is not None:
                check_writable_file(backtest_config_path(args.write_config), "--write-config (its backtest config)")
        if args.catalog is None and not args.no_publish:
            check_redis_url(args.redis_url)  # the variable of an env: url, read before the (slow) run
        if args.write_config is not None or args.account_address is not None:
            # Check config options before the first (possibly slow) run.
            NodeConfigOptions(
                network=args.network, account_address=args.account_address, redis_url=args.redis_url
            )
        screening = make_screening(args)
    except (ValueError, InfoError, CatalogError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True, highlight=False)  # one line, whatever its length
        return 2
    try:
        if args.every is None:
            return run_once(args, screening, console)
        return run_daemon(args, screening, console)
    finally:
        screening.close()


def run_daemon(args: argparse.Namespace, screening: Screening, console: Console) -> int:
    """A run every `args.every` until SIGINT/SIGTERM; a failed or crashed run waits for the next."""
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():  # a second signal: do not wait for the current run to finish
            raise KeyboardInterrupt
        console.print(f"received {signal.Signals(signum).name}: stopping after the current run")
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    console.print(f"daemon mode: a run every {args.every:g} s (SIGINT/SIGTERM to stop)")
    try:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = run_once(args, screening, console)
                if status != 0:
                    console.print("[yellow]run failed; next attempt at the next interval[/]")
            except Exception:  # a daemon survives a bad run and tries again next time
                _log.exception("screening run crashed")
            stop.wait(max(0.0, args.every - (time.monotonic() - started)))
    except KeyboardInterrupt:
        console.print("screener interrupted during a run")
        return 130
    console.print("screener stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
