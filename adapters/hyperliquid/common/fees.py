"""Hyperliquid perp fee tiers (14-day weighted volume; see hyperliquid.md, "Fees").

A small account pays the maker fee: the rebates need a share of the whole exchange's maker volume,
so they are not part of a tier and not modelled here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class FeeTier:
    tier: int
    min_14d_volume_usd: int
    maker: Decimal  # fraction of notional (0.00015 = 0.015%)
    taker: Decimal


PERP_FEE_TIERS: tuple[FeeTier, ...] = (
    FeeTier(0, 0, Decimal("0.00015"), Decimal("0.00045")),
    FeeTier(1, 5_000_000, Decimal("0.00012"), Decimal("0.00040")),
    FeeTier(2, 25_000_000, Decimal("0.00008"), Decimal("0.00035")),
    FeeTier(3, 100_000_000, Decimal("0.00004"), Decimal("0.00030")),
    FeeTier(4, 500_000_000, Decimal("0"), Decimal("0.00028")),
    FeeTier(5, 2_000_000_000, Decimal("0"), Decimal("0.00026")),
    FeeTier(6, 7_000_000_000, Decimal("0"), Decimal("0.00024")),
)


def perp_fee_tier(tier: int) -> FeeTier:
    """The fee tier `tier` (0-6); anything else is a configuration error."""
    if not isinstance(tier, int) or isinstance(tier, bool) or not 0 <= tier < len(PERP_FEE_TIERS):
        raise ValueError(f"fee tier must be an integer 0..{len(PERP_FEE_TIERS) - 1}, got {tier!r}")
    return PERP_FEE_TIERS[tier]


def perp_fees(tier: int = 0) -> tuple[Decimal, Decimal]:
    """(maker, taker) fee rates of a tier."""
    t = perp_fee_tier(tier)
    return t.maker, t.taker


def parse_fee_tier(text: str) -> int:
    """A fee tier given as text (a command-line value): its number, or a `ValueError` that says why."""
    try:
        return perp_fee_tier(int(text)).tier
    except ValueError:
        raise ValueError(f"fee tier must be an integer 0..{len(PERP_FEE_TIERS) - 1}, got {text!r}") from None
