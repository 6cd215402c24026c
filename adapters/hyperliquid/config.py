"""Typed Nautilus configs for the Hyperliquid data and execution clients.

No key field exists on purpose: the agent (API wallet) key comes from an environment variable
(name configurable) or a key file, never from a config that could land in the repo.
"""

from __future__ import annotations

import math
import re

from nautilus_trader.config import LiveDataClientConfig
from nautilus_trader.config import LiveExecClientConfig

from adapters.hyperliquid.common.constants import MAINNET_REST_URL
from adapters.hyperliquid.common.constants import NETWORK_REST_URLS
from adapters.hyperliquid.common.endpoints import Endpoints
from adapters.hyperliquid.common.endpoints import ws_url_from_rest

DEFAULT_AGENT_KEY_ENV = "HYPERLIQUID_AGENT_KEY"
# The longest wait between two reconnect attempts of a socket. The node does not quote while its
# market data is down, so an outage costs it the time the next attempt comes after the server is
# back: up to this cap (30 s gave quoting back ~19 s after a 25 s outage). At 5 s a long outage
# costs a socket ~16 attempts a minute, far from any connection limit.
RECONNECT_BACKOFF_MAX_SECS = 5.0
_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
_COIN_RE = re.compile(r"^[A-Za-z0-9:_\-]{1,32}$")


def _validate_common(config: HyperliquidDataClientConfig | HyperliquidExecClientConfig) -> None:
    if config.network not in NETWORK_REST_URLS:
        raise ValueError(f"network must be one of {sorted(NETWORK_REST_URLS)}, got {config.network!r}")
    for url in (config.base_url, *config.backup_base_urls):
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError(f"REST url must start with http:// or https://, got {url!r}")
    if config.ws_url is not None and not config.ws_url.startswith(("ws://", "wss://")):
        raise ValueError(f"ws_url must start with ws:// or wss://, got {config.ws_url!r}")
    if config.coins is not None:
        if not config.coins:
            raise ValueError("coins, when given, must not be empty")
        for coin in config.coins:
            if not isinstance(coin, str) or not _COIN_RE.match(coin):
                raise ValueError(f"invalid coin name {coin!r}")
    if not 0 <= config.fee_tier <= 6:
        raise ValueError(f"fee_tier must be within 0..6, got {config.fee_tier}")
    if config.ping_interval_secs <= 0 or config.ping_interval_secs >= 60:
        raise ValueError("ping_interval_secs must be within (0, 60): the server drops a connection silent for 60 s")
    if config.http_timeout_secs <= 0:
        raise ValueError("http_timeout_secs must be positive")
    if not 0 < config.reconnect_backoff_initial_secs <= config.reconnect_backoff_max_secs:
        raise ValueError("need 0 < reconnect_backoff_initial_secs <= reconnect_backoff_max_secs")


def resolve_endpoints(config: HyperliquidDataClientConfig | HyperliquidExecClientConfig) -> Endpoints:
    """Urls from the explicit settings, else from the network preset."""
    primary = (config.base_url or NETWORK_REST_URLS[config.network]).rstrip("/")
    backups = tuple(url.rstrip("/") for url in config.backup_base_urls if url.rstrip("/") != primary)
    ws_url = config.ws_url or ws_url_from_rest(primary)
    # Like the SDK: sign as mainnet only when the primary url is mainnet's, unless told otherwise.
    is_mainnet = config.is_mainnet if config.is_mainnet is not None else primary == MAINNET_REST_URL
    return Endpoints(rest_urls=(primary, *backups), ws_url=ws_url, is_mainnet=is_mainnet)


class HyperliquidDataClientConfig(LiveDataClientConfig, frozen=True):
    """
    Configuration for `HyperliquidDataClient`.

    Parameters
    ----------
    network : "mainnet" | "testnet"
        Preset for the urls when `base_url` / `ws_url` are not given.
    base_url : str, optional
        REST base url (`{base}/info`, `{base}/exchange`), e.g. a local hlsim.
    ws_url : str, optional
        WS url; derived from `base_url` the SDK's way when absent.
    backup_base_urls : list[str]
        REST endpoints tried in order when the primary is refused or answers 5xx.
    coins : list[str], optional
        Coins whose instruments are loaded (None: every listed perp).
    fee_tier : int
        Hyperliquid perp fee tier (0..6) for the instruments' maker/taker fees.
    l2_book_fast : bool
        Subscribe `l2Book` with `fast: true` (5 levels, ~0.5 s).
    stall_timeout_secs : float
        No market data for this long while the socket is open publishes `MarketDataStall`.
    """

    network: str = "mainnet"
    base_url: str | None = None
    ws_url: str | None = None
    backup_base_urls: tuple[str, ...] = ()
    is_mainnet: bool | None = None
    coins: tuple[str, ...] | None = None
    fee_tier: int = 0
    l2_book_fast: bool = True
    stall_timeout_secs: float = 10.0
    stall_check_interval_secs: float = 1.0
    ping_interval_secs: float = 50.0
    http_timeout_secs: float = 10.0
    reconnect_backoff_initial_secs: float = 0.5
    reconnect_backoff_max_secs: float = RECONNECT_BACKOFF_MAX_SECS

    def __post_init__(self) -> None:
        _validate_common(self)
        if self.stall_timeout_secs <= 0 or self.stall_check_interval_secs <= 0:
            raise ValueError("stall_timeout_secs and stall_check_interval_secs must be positive")


class HyperliquidExecClientConfig(LiveExecClientConfig, frozen=True):
    """
    Configuration for `HyperliquidExecutionClient`.

    Parameters
    ----------
    account_address : str
        The main account (the agent key signs for it).
    agent_key_env : str
        Environment variable holding the agent (API wallet) private key.
    key_file : str, optional
        File holding the key (used when given; the env var otherwise).
    schedule_cancel : bool
        Keep a `scheduleCancel` dead man's switch armed, refreshed every
        `schedule_cancel_interval_secs` for `schedule_cancel_horizon_secs` ahead.
    use_ws_post : bool
        Send actions as WS `post` requests (REST when the socket is down).
    fill_audit_interval_secs : float
        While the user stream is up, ask the exchange's fills this often and apply any the stream
        did not deliver (a lost push, an order placed outside the node); 0 turns it off.
    rejection_alarm_count, rejection_window_secs : int, float
        This many rejections of one instrument's orders for the same kind of reason within the
        window publish `OrderRejections` (ALO crosses not counted).
    refusal_stop_count : int
        This many actions refused as a whole for an account-wide reason (unknown signer, address
        budget used up) within `rejection_window_secs` publish `TradingRefused`: the node stops.
    cancel_all_on_stall : bool
        On a market-data stall, cancel every open order of the account on the stalled coins (all
        coins when the socket dropped) as the exchange lists them, over whatever transport is up.
    batch_actions : bool
        Modifies that reach the client in one turn of the event loop (one book event's) leave as one
        `batchModify` request; off: one request per modify. New orders (`SubmitOrderList`) and
        cancels (`BatchCancelOrders`) are one request per command either way.
    log_commands : bool
        Log each order command (INFO) as it reaches the client. Off by default: the line is
        formatted before the log level applies, on the latency-critical path.
    """

    network: str = "mainnet"
    base_url: str | None = None
    ws_url: str | None = None
    backup_base_urls: tuple[str, ...] = ()
    is_mainnet: bool | None = None
    account_address: str | None = None
    agent_key_env: str = DEFAULT_AGENT_KEY_ENV
    key_file: str | None = None
    coins: tuple[str, ...] | None = None
    fee_tier: int = 0
    use_ws_post: bool = True
    post_timeout_secs: float = 5.0
    schedule_cancel: bool = False
    schedule_cancel_interval_secs: float = 30.0
    schedule_cancel_horizon_secs: float = 60.0
    ping_interval_secs: float = 50.0
    http_timeout_secs: float = 10.0
    reconnect_backoff_initial_secs: float = 0.5
    reconnect_backoff_max_secs: float = RECONNECT_BACKOFF_MAX_SECS
    fills_lookback_mins: int = 60 * 24
    fill_audit_interval_secs: float = 30.0
    rejection_alarm_count: int = 5
    rejection_window_secs: float = 60.0
    refusal_stop_count: int = 3
    cancel_all_on_stall: bool = True
    batch_actions: bool = True
    log_commands: bool = False

    def __post_init__(self) -> None:
        _validate_common(self)
        if self.rejection_alarm_count < 1 or self.refusal_stop_count < 1:
            raise ValueError("rejection_alarm_count and refusal_stop_count must be >= 1")
        if not (math.isfinite(self.rejection_window_secs) and self.rejection_window_secs > 0):
            raise ValueError("rejection_window_secs must be a positive number")
        if not (math.isfinite(self.fill_audit_interval_secs) and self.fill_audit_interval_secs >= 0):
            raise ValueError("fill_audit_interval_secs must be a finite number >= 0 (0 = off)")
        if self.account_address is not None and not _ADDRESS_RE.fullmatch(self.account_address):
            raise ValueError(f"account_address must be 0x + 40 hex digits, got {self.account_address!r}")
        if not self.agent_key_env:
            raise ValueError("agent_key_env must name an environment variable")
        if self.schedule_cancel and self.schedule_cancel_horizon_secs < 5:
            raise ValueError("schedule_cancel_horizon_secs must be >= 5 (the exchange's minimum)")
        if self.schedule_cancel and self.schedule_cancel_interval_secs >= self.schedule_cancel_horizon_secs:
            raise ValueError("schedule_cancel_interval_secs must be below schedule_cancel_horizon_secs")
        if self.post_timeout_secs <= 0:
            raise ValueError("post_timeout_secs must be positive")
        if self.schedule_cancel and self.schedule_cancel_interval_secs <= 0:
            raise ValueError("schedule_cancel_interval_secs must be positive")
        if self.fills_lookback_mins <= 0:
            raise ValueError("fills_lookback_mins must be positive")
