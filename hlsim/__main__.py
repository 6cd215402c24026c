"""`python -m hlsim`: run the simulated exchange (replay or scripted via /admin) until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from pathlib import Path

from adapters.hyperliquid.common.fees import parse_fee_tier
from cli_types import checked
from cli_types import finite_float
from cli_types import non_negative_float
from cli_types import non_negative_int
from cli_types import port
from cli_types import positive_float
from cli_types import positive_int
from hlsim.api.server import HlSimServer
from hlsim.config import COIN_NAME_RE
from hlsim.config import FEE_TIERS
from hlsim.config import MAX_LEVERAGE_CAP
from hlsim.config import HlSimConfig
from hlsim.engine.validation import is_valid_address
from hlsim.replay.recording import check_replay_source
from simulation.queue_model import QUEUE_RULES

EPILOG = """\
fee tiers (--fee-tier, perps, 14-day volume):
""" + "\n".join(
    f"  {t.tier}: volume > ${t.min_14d_volume_usd:,}  taker {t.taker * 100:.3f}%  maker {t.maker * 100:.3f}%"
    for t in FEE_TIERS
) + """

speed (--speed): replay pace relative to the recorded receive times; 1 = real time,
  10 = ten times faster, 0 = as fast as possible. Published messages carry hlsim's clock.

faults (POST http://HOST:PORT/admin/faults with a JSON object; keys combine):
  {"drop_user_ws": "0xADDRESS"}      abruptly close WS connections subscribed to that user
  {"drop_market_ws": true}           abruptly close WS connections subscribed to market data
  {"refuse_for_s": N}                with a drop: cut re-subscriptions for N s (an explicit dark window)
  {"stall_market_data": true|false}  stop/resume l2Book, bbo, trades, allMids pushes (REST stays up)
  {"stall_all": true|false}          no blocks: actions wait, no pushes, replay pauses; /info answers
  {"delay_market_data_ms": N}        send l2Book, bbo, trades, allMids pushes N ms late, in order (0 = off)
  {"delay_ms": N}                    hold every REST reply and WS post response N ms (0 = off)
  {"http_status": 429|500|..., "count": N}  answer the next N REST requests (null = until cleared)
  {"refuse_rest_ms": N, "port": P?}  stop listening for N ms (connections refused); only port P if given
  {"clear": true}                    clear delays, status, stalls
other admin ops: /admin/fund {"address","usdc"}, /admin/register_agent {"account","agent"},
  /admin/set_book {"coin","bids":[[px,sz],...],"asks":[...]}, /admin/trade {"coin","side":"A"|"B","px","sz"},
  /admin/fill_order {"address","oid","sz"?}, /admin/cancel_order {"address","oid"}, /admin/state {}.

example:
  python -m hlsim --replay data/samples/hyperliquid/ETH_20251210_2110.ws.gz --speed 10 --port 8080 \\
      --wallet 0xYOURADDRESS=100000
"""


def _wallet(text: str) -> tuple[str, float]:
    address, sep, usdc = text.partition("=")
    if not sep or not is_valid_address(address):
        raise argparse.ArgumentTypeError(f"expected 0xADDRESS=USDC, got {text!r}")
    return address.lower(), non_negative_float(usdc)


def _agent(text: str) -> tuple[str, str]:
    agent, sep, account = text.partition("=")
    if not sep or not is_valid_address(agent) or not is_valid_address(account):
        raise argparse.ArgumentTypeError(f"expected 0xAGENT=0xACCOUNT, got {text!r}")
    return agent.lower(), account.lower()


def _coin(text: str) -> tuple[str, int, int | None]:
    """COIN=SZDECIMALS[:MAXLEVERAGE]: (name, szDecimals, its max leverage or None for the default)."""
    name, sep, rest = text.partition("=")
    decimals, colon, leverage = rest.partition(":")
    if (not sep or not COIN_NAME_RE.fullmatch(name) or not decimals.isascii() or not decimals.isdigit()
            or (colon and not (leverage.isascii() and leverage.isdigit() and 1 <= int(leverage) <= MAX_LEVERAGE_CAP))):
        raise argparse.ArgumentTypeError(
            "expected COIN=SZDECIMALS[:MAXLEVERAGE] with a perp name of ASCII letters/digits and a leverage of "
            f"1..{MAX_LEVERAGE_CAP} (e.g. kPEPE=0, WLFI=0:5), got {text!r}"
        )
    return name, int(decimals), int(leverage) if colon else None


class _CoinAction(argparse.Action):
    """Appends a --coin, refusing a coin listed twice (which szDecimals would win is not obvious)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        coins = list(getattr(namespace, self.dest) or [])
        name = values[0]  # type: ignore[index]
        if any(name == listed[0] for listed in coins):
            parser.error(f"argument --coin: {name} is listed more than once")
        setattr(namespace, self.dest, [*coins, values])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m hlsim",
        description="A local Hyperliquid-compatible exchange: POST /info, POST /exchange and WS /ws on one port.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--replay", type=Path,
                        help="market data to replay: a WS capture (.ws.gz), an archive hour (.lz4) or a "
                             "ParquetDataCatalog directory (OrderBookDelta + TradeTick of the listed coins)")
    parser.add_argument("--speed", type=non_negative_float, default=1.0, help="replay speed multiple (0 = as fast as possible; default 1)")
    parser.add_argument("--loop", action="store_true", help="restart the replay when it ends")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=port, default=8080, help="port (default 8080; 0 = any free port)")
    parser.add_argument("--extra-port", type=port, action="append", default=[], metavar="PORT",
                        help="also serve the same exchange on this port (backup endpoint); repeatable")
    parser.add_argument("--wallet", type=_wallet, action="append", default=[], metavar="0xADDRESS=USDC",
                        help="fund an account at start; repeatable")
    parser.add_argument("--agent", type=_agent, action="append", default=[], metavar="0xAGENT=0xACCOUNT",
                        help="register an API (agent) wallet for an account; repeatable")
    parser.add_argument("--network", choices=("testnet", "mainnet"), default="testnet",
                        help="signing source to verify: testnet ('b', what the SDK signs for any non-mainnet url) "
                             "or mainnet ('a'); default testnet")
    parser.add_argument("--coin", type=_coin, action=_CoinAction, default=[], metavar="COIN=SZDECIMALS[:MAXLEV]",
                        help="listed perp, its max leverage after a colon (default 50 for BTC, 25 otherwise; "
                             "accounts trade at 20x within it) (repeatable; default BTC=5 and ETH=4, in that asset order)")
    parser.add_argument("--fee-tier", type=checked(parse_fee_tier), default=0,
                        help="fee tier 0-6 (see below; default 0)")
    parser.add_argument("--queue-rule", choices=QUEUE_RULES, default="conservative",
                        help="how cancels ahead advance resting orders (default conservative)")
    parser.add_argument("--queue-power", type=positive_float, default=2.0, help="exponent of the power queue rules")
    parser.add_argument("--no-schedule-cancel-gate", action="store_true",
                        help="allow scheduleCancel below $1M traded volume")
    parser.add_argument("--ip-weight", type=non_negative_int, default=1200, help="IP weight per minute (0 = no limit; default 1200)")
    parser.add_argument("--address-budget", type=non_negative_int, default=10_000, help="initial address action budget")
    parser.add_argument("--max-open-orders", type=positive_int, default=1000)
    parser.add_argument("--l2-interval-ms", type=non_negative_int, default=2000,
                        help="l2Book push cadence (default 2000 as on mainnet; 0 = every change)")
    parser.add_argument("--l2-fast-interval-ms", type=non_negative_int, default=500,
                        help="l2Book fast:true push cadence (default 500; 0 = every change)")
    parser.add_argument("--funding-rate", type=finite_float, default=0.0,
                        help="funding rate paid per interval on positions at the mark (0 = off; positive: longs pay)")
    parser.add_argument("--funding-interval", type=positive_float, default=3600.0, help="seconds between funding payments")
    parser.add_argument("--ws-idle-timeout", type=positive_float, default=60.0, help="seconds before an idle WS is closed")
    parser.add_argument("--log-level", default="INFO", type=str.upper, choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                        help="(default: %(default)s)")
    return parser


def config_from_args(args: argparse.Namespace) -> HlSimConfig:
    coins = {name: decimals for name, decimals, _ in args.coin} if args.coin else {"BTC": 5, "ETH": 4}
    max_leverage = {name: leverage for name, _, leverage in args.coin if leverage is not None}
    if args.replay is not None:
        # Before listening: a bad source would otherwise serve an empty market.
        try:
            check_replay_source(args.replay, list(coins))
        except (ValueError, OSError) as exc:
            raise SystemExit(f"hlsim: cannot replay: {exc}") from None
    try:
        return HlSimConfig(
            network=args.network,
            coins=coins,
            max_leverage=max_leverage,
            host=args.host,
            port=args.port,
            extra_ports=args.extra_port,
            fee_tier=args.fee_tier,
            queue_rule=args.queue_rule,
            queue_power=args.queue_power,
            schedule_cancel_volume_gate=not args.no_schedule_cancel_gate,
            ip_weight_per_min=args.ip_weight or None,
            address_initial_budget=args.address_budget,
            max_open_orders=args.max_open_orders,
            l2_book_interval_ms=args.l2_interval_ms,
            l2_book_fast_interval_ms=args.l2_fast_interval_ms,
            ws_idle_timeout_s=args.ws_idle_timeout,
            funding_rate=args.funding_rate,
            funding_interval_s=args.funding_interval,
            wallets=dict(args.wallet),
            replay=str(args.replay) if args.replay else None,
            replay_speed=args.speed,
            replay_loop=args.loop,
        )
    except ValueError as exc:
        raise SystemExit(f"hlsim: {exc}") from None


async def serve(config: HlSimConfig, agents: list[tuple[str, str]]) -> None:
    server = HlSimServer(config)
    await server.start()
    for agent, account in agents:
        server.engine.register_agent(account, agent)
    urls = ", ".join(f"http://{config.host}:{p}" for p in server.ports)
    print(f"hlsim ({config.network}) listening on {urls}; WS at ws://{config.host}:{server.ports[0]}/ws", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s")
    config = config_from_args(args)
    try:
        asyncio.run(serve(config, args.agent))
    except OSError as exc:
        print(f"hlsim: cannot serve: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
