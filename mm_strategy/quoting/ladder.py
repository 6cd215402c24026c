"""Fair price and the post-only quote ladder, on Hyperliquid's price and size grids.

Prices sit on the venue's price grid (`adapters.hyperliquid.common.prices.PriceGrid`: the tick and
the 5-significant-figure rule); bids round down and asks round up so rounding never tightens a
quote. Sizes sit on the lot grid and every order is worth at least the venue minimum ($10).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from adapters.hyperliquid.common.prices import PRICE_GRID_EPS
from adapters.hyperliquid.common.prices import price_grid

_EPS = 1e-9  # float noise tolerance of the lot-grid rounding and the edge check


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
    # Hysteresis of the fee-edge check (see `passes_edge`): a level that is not quoted must clear
    # the requirement by this much to be (re-)added; a quoted one stays until it falls below it.
    # 0 = a plain threshold (the strategy's config sets its own default).
    edge_hysteresis_bps: float = 0.0

    def __post_init__(self) -> None:
        if self.base_spread_bps < 0:
            raise ValueError("base_spread_bps must be ≥ 0")
        if self.level_spacing_ticks < 1:
            raise ValueError("level_spacing_ticks must be ≥ 1")
        if not self.size_multipliers or any(m <= 0 for m in self.size_multipliers):
            raise ValueError("size_multipliers must be a non-empty list of positive numbers")
        if self.adverse_selection_bps < 0:
            raise ValueError("adverse_selection_bps must be ≥ 0")
        if self.edge_hysteresis_bps < 0:
            raise ValueError("edge_hysteresis_bps must be ≥ 0")

    @property
    def levels(self) -> int:
        return len(self.size_multipliers)


class Quote(NamedTuple):
    # Immutable like a frozen dataclass, but cheaper to build (several per book event).
    level: int  # 0-based ladder level
    price: float
    size: float


def min_edge_bps(spec: InstrumentSpec, params: LadderParams) -> float:
    """Capture a passive fill must earn (distance from fair) to pay the maker fee and adverse selection."""
    return spec.maker_fee * 1e4 + params.adverse_selection_bps


def passes_edge(distance_bps: float, need_bps: float, hysteresis_bps: float, quoted: bool) -> bool:
    """The fee-edge rule with hysteresis, for one level (`distance_bps` = |price − fair| in bps of fair).

    A level that is quoted (has a resting order) stays while its edge is at least the requirement
    and is dropped once it falls below; a level that is not quoted is only (re-)added when its edge
    exceeds the requirement by `hysteresis_bps`. Without the margin, fair jittering around the
    threshold would cancel and re-place the level on every flip. `build_side` applies the same
    rule inline (in price units, with a 1e-9 relative tolerance for float rounding).
    """
    threshold = need_bps if quoted else need_bps + hysteresis_bps
    return distance_bps >= threshold - 1e-5


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
    quoted: Collection[int] = (),
    max_quotes: int | None = None,
) -> list[Quote]:
    """One side of the ladder, best level first, at most `max_quotes` of them (None: every level).

    `anchor` is where level 0 is measured from (the reservation price normally; the touch in a
    soft exit). Quotes never cross the opposite touch (post-only), levels whose distance from
    `fair` cannot pay `min_edge_bps` are dropped when `enforce_edge` (with hysteresis: a level
    not in `quoted`, the levels currently resting on this side, must clear the requirement by
    `params.edge_hysteresis_bps`; see `passes_edge`), and on the side that adds inventory
    `capacity` (base units) caps the total size.
    """
    grid = price_grid(spec.price_precision)
    pp = spec.price_precision
    sp = spec.size_precision
    step = grid.step(anchor)  # spacing counts valid price steps at the anchor
    half = anchor * params.base_spread_bps * spread_mult / 2e4
    edge = min_edge_bps(spec, params) / 1e4 * fair - _EPS * fair  # to keep a quoted level
    edge_new = edge + params.edge_hysteresis_bps / 1e4 * fair  # to add a level
    spacing = params.level_spacing_ticks * step * max(spread_mult, 1.0)
    lot = 10.0**-sp
    min_notional = spec.min_notional - 1e-9
    size_usd = params.order_size_usd
    floor = math.floor
    ceil = math.ceil
    # The most aggressive passive price: one step off the opposite touch (post-only).
    limit = grid.bid(best_ask - grid.step(best_ask)) if is_bid else grid.ask(best_bid + grid.step(best_bid))
    # The grid's current decade, read once: the rounding below is `grid.bid` / `grid.ask` inlined
    # (the same arithmetic); a price outside the decade asks the grid.
    lo, hi, band_step = grid.band
    out: list[Quote] = []
    used = 0.0
    last_px = 0.0
    for level, mult in enumerate(params.size_multipliers):
        offset = half + level * spacing
        if is_bid:
            x = anchor - offset
            st = band_step if lo <= x < hi else grid.step(x)
            px = round(floor(x / st + PRICE_GRID_EPS) * st, pp)
            if px > limit:
                px = limit
            if out and px >= last_px:
                px = grid.bid(last_px - grid.step(last_px))
            if enforce_edge and fair - px < (edge if level in quoted else edge_new):
                continue
        else:
            x = anchor + offset
            st = band_step if lo <= x < hi else grid.step(x)
            px = round(ceil(x / st - PRICE_GRID_EPS) * st, pp)
            if px < limit:
                px = limit
            if out and px <= last_px:
                px = grid.ask(last_px + grid.step(last_px))
            if enforce_edge and px - fair < (edge if level in quoted else edge_new):
                continue
        if px <= 0:
            break
        notional = size_usd * mult * size_mult
        if notional < min_notional:
            continue  # shrunk below the venue minimum: dropping it never adds risk
        size = floor(notional / px / lot + _EPS)
        min_lots = ceil(spec.min_notional / px / lot - _EPS)
        if min_lots > size:
            size = min_lots
        if capacity is not None:
            cap_lots = floor((capacity - used) / lot + _EPS)
            if cap_lots < size:
                size = cap_lots
        size = round(size * lot, sp)
        if size <= 0 or size * px < min_notional:
            continue
        used += size
        last_px = px
        out.append(Quote(level, px, size))
        if len(out) == max_quotes:
            break  # the innermost levels that can be quoted, not the first levels whatever they pay
    return out
