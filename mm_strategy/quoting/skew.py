"""Inventory skew (Avellaneda–Stoikov / GLFT style) and the soft / hard exit decisions.

Inventory is measured as `q = position notional / max_inventory_usd` (signed, so 1.0 = at the
limit long). The reservation price moves against inventory, `r = fair · (1 − q · skew_bps/1e4)`,
optionally plus the A–S risk term `γ σ²` scaled by q; the side that would add inventory shrinks
linearly to nothing at the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ExitMode(Enum):
    NONE = "none"
    SOFT = "soft"  # maker exit: drop the adding side, step the reducing side toward the touch
    HARD = "hard"  # reduce-only taker exit (only if enabled)


@dataclass(frozen=True, slots=True)
class SkewParams:
    skew_bps_at_limit: float = 2.0  # reservation shift at q = ±1
    risk_aversion: float = 0.0  # γ of A–S: extra shift of γ·σ²(bps²)·q, 0 = off
    soft_limit: float = 0.6  # |q| past which the soft exit engages
    hard_limit: float = 1.5  # |q| past which a taker exit is allowed (if enabled)
    hard_exit_enabled: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.soft_limit <= self.hard_limit:
            raise ValueError("need 0 < soft_limit ≤ hard_limit")
        if self.skew_bps_at_limit < 0 or self.risk_aversion < 0:
            raise ValueError("skew_bps_at_limit and risk_aversion must be ≥ 0")


def inventory_ratio(position_qty: float, price: float, max_inventory_usd: float) -> float:
    """Signed inventory as a fraction of the limit."""
    if max_inventory_usd <= 0:
        raise ValueError("max_inventory_usd must be > 0")
    return position_qty * price / max_inventory_usd


def reservation_price(fair: float, q: float, params: SkewParams, vol_bps: float = 0.0) -> float:
    """Fair price shifted against inventory: long → lower (sell sooner, buy later)."""
    shift_bps = q * params.skew_bps_at_limit + params.risk_aversion * vol_bps * vol_bps * q
    return fair * (1.0 - shift_bps / 1e4)


def side_size_factors(q: float) -> tuple[float, float]:
    """(bid factor, ask factor): the side that adds inventory shrinks to 0 at |q| = 1."""
    shrink = max(0.0, 1.0 - abs(q))
    if q > 0:
        return shrink, 1.0
    if q < 0:
        return 1.0, shrink
    return 1.0, 1.0


def exit_mode(q: float, params: SkewParams, kill_switch: bool = False) -> ExitMode:
    """Soft exit past the soft limit; hard only past the hard limit (or kill switch) and if enabled."""
    if params.hard_exit_enabled and (abs(q) >= params.hard_limit or (kill_switch and q != 0)):
        return ExitMode.HARD
    if abs(q) >= params.soft_limit:
        return ExitMode.SOFT
    return ExitMode.NONE


def soft_exit_anchor(q: float, best_bid: float, best_ask: float, step: float) -> tuple[bool, float]:
    """Where the reducing side's ladder starts in a soft exit: one step inside the spread if there
    is room, else at the touch (still passive). Returns (is_bid_side, anchor price)."""
    if q > 0:  # long: sell as a maker
        return False, best_ask - step if best_ask - step > best_bid else best_ask
    return True, best_bid + step if best_bid + step < best_ask else best_bid
