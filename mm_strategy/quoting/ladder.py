"""Fair price and the post-only quote ladder, on Hyperliquid's price and size grids.

Prices obey both the tick (`10^-price_precision`) and the 5-significant-figure rule (integer
prices are always valid); bids round down and asks round up so rounding never tightens a quote.
Sizes sit on the lot grid and every order is worth at least the venue minimum ($10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

MAX_SIG_FIGS = 5
_EPS = 1e-9


class FairPrice(Enum):
    MID = "mid"
    MICROPRICE = "microprice"


def fair_price(bid: float, bid_size: float, ask: float, ask_size: float, kind: FairPrice) -> float:
    """Mid, or the size-weighted microprice (leans toward the side with less size: it is the one about to go)."""
    if bid <= 0 or ask <= 0 or ask < bid:
        raise ValueError(f"bad top of book: bid={bid} ask={ask}")
    if kind is FairPrice.MICROPRICE and bid_size > 0 and ask_size > 0:
        return (bid * ask_size + ask * bid_size) / (bid_size + ask_size)
    return (bid + ask) / 2.0


def price_step(price: float, price_precision: int) -> float:
    """The finest valid price increment at `price`: the tick, coarsened by the 5-sig-fig rule."""
    tick = 10.0 ** -price_precision
    if price <= 0:
        return tick
    sig_step = 10.0 ** (math.floor(math.log10(price)) - (MAX_SIG_FIGS - 1))
    # Integer prices are always valid, so the sig-fig rule never demands a step above 1.
    return max(tick, min(sig_step, 1.0))


def round_bid(price: float, price_precision: int) -> float:
    """Largest valid price ≤ `price`."""
    step = price_step(price, price_precision)
    return round(math.floor(price / step + _EPS) * step, price_precision)


def round_ask(price: float, price_precision: int) -> float:
    """Smallest valid price ≥ `price`."""
    step = price_step(price, price_precision)
    return round(math.ceil(price / step - _EPS) * step, price_precision)


def is_valid_price(price: float, price_precision: int) -> bool:
    return round_bid(price, price_precision) == round(price, price_precision)


def floor_size(size: float, size_precision: int) -> float:
    lot = 10.0 ** -size_precision
    return round(math.floor(size / lot + _EPS) * lot, size_precision)


def min_size_for_notional(price: float, min_notional: float, size_precision: int) -> float:
    """Smallest lot-grid size whose notional at `price` is ≥ `min_notional`."""
    lot = 10.0 ** -size_precision
    return round(math.ceil(min_notional / price / lot - _EPS) * lot, size_precision)


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    """What the quote math needs to know about an instrument."""

    price_precision: int
    size_precision: int
    maker_fee: float  # fraction, e.g. 0.00015
    min_notional: float = 10.0


@dataclass(frozen=True, slots=True)
class LadderParams:
    """A ladder per side: level i sits `half_spread + i * spacing` from the reservation price.

    `base_spread_bps` is the full L1 bid-to-ask spread around the reservation price.
    """

    base_spread_bps: float
    level_spacing_ticks: int
    order_size_usd: float
    size_multipliers: tuple[float, ...] = (1.0, 2.0, 4.0)
    adverse_selection_bps: float = 0.5

    def __post_init__(self) -> None:
        if self.base_spread_bps < 0:
            raise ValueError("base_spread_bps must be ≥ 0")
        if self.level_spacing_ticks < 1:
            raise ValueError("level_spacing_ticks must be ≥ 1")
        if not self.size_multipliers or any(m <= 0 for m in self.size_multipliers):
            raise ValueError("size_multipliers must be a non-empty list of positive numbers")
        if self.adverse_selection_bps < 0:
            raise ValueError("adverse_selection_bps must be ≥ 0")

    @property
    def levels(self) -> int:
        return len(self.size_multipliers)


@dataclass(frozen=True, slots=True)
class Quote:
    level: int  # 0-based ladder level
    price: float
    size: float


def min_edge_bps(spec: InstrumentSpec, params: LadderParams) -> float:
    """Capture a passive fill must earn (distance from fair) to pay the maker fee and adverse selection."""
    return spec.maker_fee * 1e4 + params.adverse_selection_bps


def build_side(
    *,
    is_bid: bool,
    anchor: float,
    fair: float,
    best_bid: float,
    best_ask: float,
    spec: InstrumentSpec,
    params: LadderParams,
    spread_mult: float = 1.0,
    size_mult: float = 1.0,
    capacity: float | None = None,
    enforce_edge: bool = True,
) -> list[Quote]:
    """One side of the ladder, best level first.

    `anchor` is where level 0 is measured from (the reservation price normally; the touch in a
    soft exit). Quotes never cross the opposite touch (post-only), levels whose distance from
    `fair` cannot pay `min_edge_bps` are dropped when `enforce_edge`, and on the side that adds
    inventory `capacity` (base units) caps the total size.
    """
    pp = spec.price_precision
    sp = spec.size_precision
    step = price_step(anchor, pp)  # spacing counts valid price steps at the anchor
    half = anchor * params.base_spread_bps * spread_mult / 2e4
    edge = min_edge_bps(spec, params) / 1e4 * fair - _EPS * fair
    spacing = params.level_spacing_ticks * step * max(spread_mult, 1.0)
    lot = 10.0**-sp
    min_notional = spec.min_notional - 1e-9
    # The most aggressive passive price: one step off the opposite touch (post-only).
    limit = round_bid(best_ask - price_step(best_ask, pp), pp) if is_bid else round_ask(best_bid + price_step(best_bid, pp), pp)
    out: list[Quote] = []
    used = 0.0
    last_px = 0.0
    for level, mult in enumerate(params.size_multipliers):
        offset = half + level * spacing
        if is_bid:
            px = round_bid(anchor - offset, pp)
            if px > limit:
                px = limit
            if out and px >= last_px:
                px = round_bid(last_px - price_step(last_px, pp), pp)
            if enforce_edge and fair - px < edge:
                continue
        else:
            px = round_ask(anchor + offset, pp)
            if px < limit:
                px = limit
            if out and px <= last_px:
                px = round_ask(last_px + price_step(last_px, pp), pp)
            if enforce_edge and px - fair < edge:
                continue
        if px <= 0:
            break
        notional = params.order_size_usd * mult * size_mult
        if notional < min_notional:
            continue  # shrunk below the venue minimum: dropping it never adds risk
        size = math.floor(notional / px / lot + _EPS)
        min_lots = math.ceil(spec.min_notional / px / lot - _EPS)
        size = max(size, min_lots)
        if capacity is not None:
            size = min(size, math.floor((capacity - used) / lot + _EPS))
        size = round(size * lot, sp)
        if size <= 0 or size * px < min_notional:
            continue
        used += size
        last_px = px
        out.append(Quote(level, px, size))
    return out
