"""The l2Book message data (REST `l2Book` and WS `l2Book`), with optional price aggregation."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

from hlsim.engine.book import Level
from hlsim.engine.numbers import fmt

if TYPE_CHECKING:
    from hlsim.engine.exchange import SimExchange

FULL_DEPTH = 20
FAST_DEPTH = 5


def _bucket(px: Decimal, n_sig: int, mantissa: int | None, is_bid: bool) -> Decimal:
    exponent = math.floor(math.log10(px)) - n_sig + 1
    step = Decimal(1).scaleb(exponent) * (mantissa or 1)
    rounding = ROUND_FLOOR if is_bid else ROUND_CEILING
    return (px / step).to_integral_value(rounding=rounding) * step


def aggregate(levels: list[Level], n_sig: int | None, mantissa: int | None, is_bid: bool) -> list[Level]:
    """Merges levels into buckets of n_sig significant figures (bids down, asks up)."""
    if n_sig is None:
        return levels
    merged: dict[Decimal, tuple[Decimal, int]] = {}
    for px, sz, n in levels:
        key = _bucket(px, n_sig, mantissa if n_sig == 5 else None, is_bid)
        old_sz, old_n = merged.get(key, (Decimal(0), 0))
        merged[key] = (old_sz + sz, old_n + n)
    return [(px, *merged[px]) for px in sorted(merged, reverse=is_bid)]


def level_wire(level: Level) -> dict[str, Any]:
    px, sz, n = level
    return {"px": fmt(px), "sz": fmt(sz), "n": n}


def l2_book_data(
    engine: SimExchange, coin: str, *, depth: int = FULL_DEPTH, n_sig: int | None = None,
    mantissa: int | None = None, now_ms: int | None = None,
) -> dict[str, Any]:
    # Aggregation needs more raw levels than it shows; 20 raw levels is what the sim keeps anyway.
    bids, asks = engine.l2_levels(coin, FULL_DEPTH if n_sig is None else 1000)
    bids = aggregate(bids, n_sig, mantissa, True)[:depth]
    asks = aggregate(asks, n_sig, mantissa, False)[:depth]
    return {
        "coin": coin,
        "time": now_ms if now_ms is not None else engine.now_ms(),
        "levels": [[level_wire(x) for x in bids], [level_wire(x) for x in asks]],
    }


def bbo_data(engine: SimExchange, coin: str, now_ms: int) -> dict[str, Any]:
    bids, asks = engine.l2_levels(coin, 1)
    return {
        "coin": coin,
        "time": now_ms,
        "bbo": [level_wire(bids[0]) if bids else None, level_wire(asks[0]) if asks else None],
    }


def all_mids(engine: SimExchange) -> dict[str, str]:
    return {coin: fmt(mid) for coin, mid in engine.marks().items()}
