"""Write a Nautilus TradingNode config (JSON) for the assets the screener chose.

One `MarketMaker` per asset (its base parameters from the snapshot), the `RegimeGovernor` (which
follows the screener over Redis from then on) and the `RiskGuard`, plus the Hyperliquid data and
execution clients. Readable with `nautilus_trader.config.TradingNodeConfig.parse(text)`.
No key is ever written: the execution client reads it from the environment or a key file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adapters.hyperliquid.common.fees import perp_fee_tier
from screener.files import write_json_atomic
from screener_link.payload import ScreenerSnapshot
from screener_link.redis_target import DEFAULT_CHANNEL
from screener_link.redis_target import DEFAULT_KEY
from screener_link.redis_target import check_redis_name
from screener_link.redis_target import check_redis_url
from screener_link.redis_target import env_url_name

VENUE = "HYPERLIQUID"
STRATEGY_PATH = "mm_strategy.market_maker:MarketMaker"
STRATEGY_CONFIG_PATH = "mm_strategy.market_maker:MarketMakerConfig"
GOVERNOR_PATH = "mm_strategy.governor:RegimeGovernor"
GOVERNOR_CONFIG_PATH = "mm_strategy.governor:RegimeGovernorConfig"
RISK_GUARD_PATH = "mm_strategy.risk_guard:RiskGuard"
RISK_GUARD_CONFIG_PATH = "mm_strategy.risk_guard:RiskGuardConfig"
DATA_CLIENT_CONFIG_PATH = "adapters.hyperliquid.config:HyperliquidDataClientConfig"
EXEC_CLIENT_CONFIG_PATH = "adapters.hyperliquid.config:HyperliquidExecClientConfig"
DATA_FACTORY_PATH = "adapters.hyperliquid.factories:HyperliquidLiveDataClientFactory"
EXEC_FACTORY_PATH = "adapters.hyperliquid.factories:HyperliquidLiveExecClientFactory"

_TRADER_ID_RE = re.compile(r"[A-Za-z0-9_]+-[A-Za-z0-9_]+")
_ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")


@dataclass(frozen=True, slots=True)
class NodeConfigOptions:
    trader_id: str = "MM-001"
    network: str = "mainnet"
    base_url: str | None = None  # e.g. a local hlsim; None: the network's url
    fee_tier: int = 0
    account_address: str | None = None  # the main account; None: supplied when run
    redis_url: str = "redis://127.0.0.1:6379/0"
    screener_channel: str = DEFAULT_CHANNEL
    screener_key: str = DEFAULT_KEY

    def __post_init__(self) -> None:
        if not _TRADER_ID_RE.fullmatch(self.trader_id):
            raise ValueError(f"trader_id must look like NAME-TAG, got {self.trader_id!r}")
        if self.network not in ("mainnet", "testnet"):
            raise ValueError(f"network must be mainnet or testnet, got {self.network!r}")
        perp_fee_tier(self.fee_tier)  # ValueError naming the allowed tiers
        if self.base_url is not None and not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be http(s)://..., got {self.base_url!r}")
        if self.account_address is not None and not _ADDRESS_RE.fullmatch(self.account_address):
            raise ValueError("account_address must be 0x + 40 hex digits")
        # The checks the node's screener feed applies. An `env:NAME` url is read where the node runs.
        try:
            if env_url_name(self.redis_url) is None:
                check_redis_url(self.redis_url)
        except ValueError as exc:
            raise ValueError(f"redis_url: {exc}") from None
        check_redis_name(self.screener_channel, "channel")
        check_redis_name(self.screener_key, "key")


def instrument_id(asset: str) -> str:
    return f"{asset}-USD-PERP.{VENUE}"


def build_node_config(snapshot: ScreenerSnapshot, options: NodeConfigOptions | None = None) -> dict[str, Any]:
    """The TradingNode config as a JSON-ready dict."""
    opts = options or NodeConfigOptions()
    coins = [a.asset for a in snapshot.assets]
    instruments = [instrument_id(c) for c in coins]
    client_common: dict[str, Any] = {"network": opts.network, "coins": coins, "fee_tier": opts.fee_tier}
    if opts.base_url is not None:
        client_common["base_url"] = opts.base_url
    exec_config = dict(client_common)
    if opts.account_address is not None:
        exec_config["account_address"] = opts.account_address
    strategies = [
        {
            "strategy_path": STRATEGY_PATH,
            "config_path": STRATEGY_CONFIG_PATH,
            "config": {
                "instrument_id": instrument_id(a.asset),
                "order_id_tag": f"{i:03d}",  # strategy ids must be unique within a trader
                "base_spread_bps": a.base_spread_bps,
                "level_spacing_ticks": a.level_spacing_ticks,
                "max_inventory_usd": a.max_inventory_usd,
                "order_size_usd": a.order_size_usd,
            },
        }
        for i, a in enumerate(snapshot.assets, start=1)
    ]
    actors = [
        {
            "actor_path": GOVERNOR_PATH,
            "config_path": GOVERNOR_CONFIG_PATH,
            "config": {
                "instrument_ids": instruments,
                "redis_url": opts.redis_url,
                "screener_channel": opts.screener_channel,
                "screener_key": opts.screener_key,
            },
        },
        {
            "actor_path": RISK_GUARD_PATH,
            "config_path": RISK_GUARD_CONFIG_PATH,
            "config": {
                "instrument_ids": instruments,
                "max_concurrent_assets": max(len(coins), 1),
                "max_total_inventory_usd": max(sum(a.max_inventory_usd for a in snapshot.assets), 1.0),
            },
        },
    ]
    return {
        "trader_id": opts.trader_id,
        "environment": "live",
        "data_clients": {
            VENUE: {
                "path": DATA_CLIENT_CONFIG_PATH,
                "config": client_common,
                "factory": {"path": DATA_FACTORY_PATH},
            }
        },
        "exec_clients": {
            VENUE: {
                "path": EXEC_CLIENT_CONFIG_PATH,
                "config": exec_config,
                "factory": {"path": EXEC_FACTORY_PATH},
            }
        },
        "actors": actors,
        "strategies": strategies,
    }


def write_node_config(
    path: str | Path, snapshot: ScreenerSnapshot, options: NodeConfigOptions | None = None
) -> Path:
    """Write the config atomically (temp file + rename: a node never reads half a file)."""
    return write_json_atomic(path, build_node_config(snapshot, options))
