"""The command line of `run_live.py`."""

from __future__ import annotations

import argparse
from pathlib import Path

from adapters.hyperliquid.config import DEFAULT_AGENT_KEY_ENV
from cli_types import LOG_LEVELS
from cli_types import non_negative_float
from cli_types import positive_float
from dashboard.address import ListenAddress
from dashboard.address import parse_listen_address
from live.node_config import ACCOUNT_ENV
from live.node_config import REDIS_CACHE_URL_ENV
from live.node_config import REDIS_CACHE_USE_ENV

DESCRIPTION = "Run the market maker as a Nautilus TradingNode, live on Hyperliquid or in shadow mode."


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=DESCRIPTION)
    parser.add_argument("--config", required=True, type=Path, help="TradingNode JSON config")
    parser.add_argument("--mode", choices=("live", "shadow"), help="default: the config's run.mode, else live")
    parser.add_argument("--network", help="mainnet, testnet or a REST url (e.g. a local hlsim)")
    parser.add_argument("--backup-url", action="append", default=[], help="backup REST endpoint (repeatable)")
    parser.add_argument("--account", help=f"main account address (else the config or ${ACCOUNT_ENV})")
    parser.add_argument("--key-file", help=f"agent key file (else ${DEFAULT_AGENT_KEY_ENV})")
    parser.add_argument(
        "--redis-cache", nargs="?", const=REDIS_CACHE_USE_ENV, metavar="URL",
        help=f"keep state in Redis (without a URL: ${REDIS_CACHE_URL_ENV}, else redis://127.0.0.1:6379; "
        "env:NAME: the URL in variable NAME; a URL with a password is best given in a variable, out of the "
        "process list)",
    )
    parser.add_argument("--keep-orders", action="store_true", help="do not cancel leftover orders at start-up")
    parser.add_argument("--shadow-latency-ms", type=non_negative_float, help="shadow mode: one-way latency")
    parser.add_argument("--report-dir", help="shadow mode: where the report goes")
    parser.add_argument("--run-secs", type=positive_float, help="stop (gracefully) after this many seconds")
    parser.add_argument("--no-status", action="store_true", help="no status table")
    parser.add_argument("--state-file", help="write the node's state (fills, orders, guards) here as JSON, every run.status_interval_secs (1 s)")
    parser.add_argument(
        "--dashboard", metavar="[HOST:]PORT", type=_listen_address,
        help="serve a read-only dashboard of this node (on 127.0.0.1 unless a host is given)",
    )
    parser.add_argument("--log-level", default="INFO", type=str.upper, choices=LOG_LEVELS)
    return parser.parse_args(argv)


def _listen_address(text: str) -> ListenAddress:
    try:
        return parse_listen_address(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
