"""Typed configuration of a simulated exchange (msgspec; every field has a safe default)."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Literal

import msgspec

from adapters.hyperliquid.common.fees import PERP_FEE_TIERS
from adapters.hyperliquid.common.fees import FeeTier
from hlsim.engine.validation import is_valid_address
from simulation.queue_model import QUEUE_RULES

Network = Literal["testnet", "mainnet"]

# The fee table is the adapter's (hyperliquid.md "Fees"): one copy for the node and the simulator.
FEE_TIERS: tuple[FeeTier, ...] = PERP_FEE_TIERS
# Perp coin names as Hyperliquid spells them (BTC, kPEPE); they also become Nautilus instrument ids.
COIN_NAME_RE = re.compile(r"[A-Za-z0-9]{1,32}")


def _rate_text(rate: Decimal) -> str:
    return format(rate.normalize(), "f")  # as /info userFees prints it: "0.0004", "0"


MAX_LEVERAGE_CAP = 100  # the highest a coin's maxLeverage may be set to


class HlSimConfig(msgspec.Struct, kw_only=True):
    """Everything an hlsim instance needs. Defaults mirror the real exchange except push cadence.

    - `network`: signing source the verifier expects ("testnet" → "b", what the SDK signs for any
      url but mainnet's; "mainnet" → "a").
    - `coins`: coin → szDecimals; asset index = position in this mapping (meta.universe order).
    - `max_leverage`: coin → max leverage (default 50 for BTC, 25 otherwise); `default_leverage` cross, within each coin's cap.
    - `host`/`port` (0 = ephemeral) and `extra_ports` (more ports sharing the same exchange state).
    - `fee_tier` 0..6 (taker/maker rates of hyperliquid.md).
    - `queue_rule`/`queue_power`: how non-trade decreases of a level advance a resting order.
    - `schedule_cancel_volume_gate`: refuse scheduleCancel below $1M traded (real behaviour);
      `schedule_cancel_min_ahead_ms`: how far ahead its time must be (real: 5000).
    - `require_known_user`: unknown signers get "User or API Wallet ... does not exist.".
    - `address_initial_budget`, `ip_weight_per_min` (None = off), `max_open_orders`.
    - `l2_book_interval_ms`/`l2_book_fast_interval_ms`: 0 pushes l2Book on every book change
      (deterministic tests); the real cadence is 2000 / 500.
    - `ws_idle_timeout_s`: a WS connection the server sent nothing to for this long is closed.
    - `wallets`: address → USDC credited at start.
    - `funding_rate` (per interval, 0 = off) paid every `funding_interval_s` on positions at the
      mark (positive: longs pay shorts); pushed as userEvents `funding`.
    - `replay`/`replay_speed` (0 = as fast as possible)/`replay_loop`.
    """

    network: Network = "testnet"
    coins: dict[str, int] = msgspec.field(default_factory=lambda: {"BTC": 5, "ETH": 4})
    max_leverage: dict[str, int] = msgspec.field(default_factory=dict)
    default_leverage: int = 20
    host: str = "127.0.0.1"
    port: int = 0
    extra_ports: list[int] = msgspec.field(default_factory=list)
    fee_tier: int = 0
    queue_rule: str = "conservative"
    queue_power: float = 2.0
    schedule_cancel_volume_gate: bool = True
    schedule_cancel_min_ahead_ms: int = 5_000
    require_known_user: bool = True
    address_initial_budget: int = 10_000
    ip_weight_per_min: int | None = 1200
    max_open_orders: int = 1000
    l2_book_interval_ms: int = 0
    l2_book_fast_interval_ms: int = 0
    ws_idle_timeout_s: float = 60.0
    wallets: dict[str, float] = msgspec.field(default_factory=dict)
    funding_rate: float = 0.0
    funding_interval_s: float = 3600.0
    replay: str | None = None
    replay_speed: float = 1.0
    replay_loop: bool = False

    def __post_init__(self) -> None:
        if self.network not in ("testnet", "mainnet"):
            raise ValueError(f"network must be 'testnet' or 'mainnet', got {self.network!r}")
        if not self.coins:
            raise ValueError("coins must name at least one coin")
        for coin, decimals in self.coins.items():
            if not isinstance(coin, str) or not COIN_NAME_RE.fullmatch(coin):
                raise ValueError(f"coin {coin!r}: a perp name is ASCII letters/digits (e.g. kPEPE)")
            if not isinstance(decimals, int) or not 0 <= decimals <= 6:
                raise ValueError(f"coin {coin!r}: szDecimals must be an int in 0..6, got {decimals!r}")
        if not 0 <= self.fee_tier < len(FEE_TIERS):
            raise ValueError(f"fee_tier must be in 0..{len(FEE_TIERS) - 1}, got {self.fee_tier}")
        if self.queue_rule not in QUEUE_RULES:
            raise ValueError(f"queue_rule must be one of {QUEUE_RULES}, got {self.queue_rule!r}")
        for name in ("ws_idle_timeout_s", "funding_rate", "funding_interval_s", "replay_speed"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name} must be a finite number, got {getattr(self, name)!r}")
        if self.funding_interval_s <= 0:
            raise ValueError("funding_interval_s must be > 0")
        if self.ws_idle_timeout_s <= 0:
            raise ValueError("ws_idle_timeout_s must be > 0")
        for address, usdc in self.wallets.items():
            if not is_valid_address(address):
                raise ValueError(f"wallets: {address!r} is not a 0x address")
            if not (math.isfinite(usdc) and usdc >= 0):
                raise ValueError(f"wallets: USDC for {address} must be a finite number >= 0, got {usdc!r}")
        if self.replay_speed < 0:
            raise ValueError("replay_speed must be >= 0 (0 = as fast as possible)")
        if self.max_open_orders < 1 or self.address_initial_budget < 0:
            raise ValueError("max_open_orders must be >= 1 and address_initial_budget >= 0")
        if self.ip_weight_per_min is not None and self.ip_weight_per_min < 1:
            raise ValueError("ip_weight_per_min must be >= 1 or None")
        for coin, cap in self.max_leverage.items():
            if coin not in self.coins or not isinstance(cap, int) or not 1 <= cap <= MAX_LEVERAGE_CAP:
                raise ValueError(
                    f"max_leverage of {coin!r} must be an int in 1..{MAX_LEVERAGE_CAP} for a listed coin, got {cap!r}")
        for port in (self.port, *self.extra_ports):
            if not 0 <= port < 65536:
                raise ValueError(f"port out of range: {port}")

    @property
    def is_mainnet(self) -> bool:
        return self.network == "mainnet"

    def leverage_cap(self, coin: str) -> int:
        return self.max_leverage.get(coin, 50 if coin == "BTC" else 25)

    def default_leverage_for(self, coin: str) -> int:
        """An account's leverage on `coin` until it sets one: the default, within the coin's cap (as
        Hyperliquid never lets a position run above its coin's maxLeverage)."""
        return min(self.default_leverage, self.leverage_cap(coin))

    @property
    def taker_rate(self) -> str:
        return _rate_text(FEE_TIERS[self.fee_tier].taker)

    @property
    def maker_rate(self) -> str:
        return _rate_text(FEE_TIERS[self.fee_tier].maker)
