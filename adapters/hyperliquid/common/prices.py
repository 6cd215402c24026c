"""Hyperliquid's perp price and size rules: the one place they are written.

- Sizes: at most `szDecimals` decimals.
- Prices: at most 5 significant figures and at most `6 − szDecimals` decimals; integers always valid.

The exact check and rounding are in Decimal (`is_valid_hl_price`, `round_price_to_hl`,
`round_size_to_hl`). The same price rule in floats: `PriceGrid` for the quoter's hot path and
`price_tick_float` for tables; tests hold both to the Decimal rule.
"""

from __future__ import annotations

import math
from decimal import ROUND_CEILING
from decimal import ROUND_FLOOR
from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from decimal import InvalidOperation
from typing import Literal

PERP_MAX_DECIMALS = 6
MAX_SIGNIFICANT_FIGURES = 5
MAX_SZ_DECIMALS = PERP_MAX_DECIMALS

RoundMode = Literal["nearest", "down", "up"]


def price_precision_for(sz_decimals: int) -> int:
    """Decimals of a perp's price tick: 6 − szDecimals."""
    return PERP_MAX_DECIMALS - sz_decimals


def decimals_of(text: str) -> int:
    """Decimals a decimal string really uses (trailing zeros do not count: "1.50" → 1)."""
    dot = text.find(".")
    if dot < 0:
        return 0
    return len(text[dot + 1 :].rstrip("0"))



_ROUNDING = {"nearest": ROUND_HALF_EVEN, "down": ROUND_FLOOR, "up": ROUND_CEILING}


def _to_decimal(value: Decimal | float | str | int) -> Decimal:
    try:
        d = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not d.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return d


def _allowed_decimals(px: Decimal, sz_decimals: int) -> int:
    """Decimals a price of this magnitude may carry: 5 significant figures, at most 6 − szDecimals."""
    if px == 0:
        return PERP_MAX_DECIMALS - sz_decimals
    # adjusted() is the exponent of the leading digit: 42727 → 4, 0.0123 → -2.
    sig_decimals = MAX_SIGNIFICANT_FIGURES - 1 - px.adjusted()
    return max(0, min(PERP_MAX_DECIMALS - sz_decimals, sig_decimals))


def is_valid_hl_price(px: Decimal | float | str | int, sz_decimals: int) -> bool:
    """Whether Hyperliquid accepts `px` for a perp: integer, or ≤ 5 significant figures and
    ≤ 6 − szDecimals decimals. Non-positive prices are invalid."""
    d = _to_decimal(px)
    if d <= 0:
        return False
    if d == d.to_integral_value():
        return True
    return decimals_of(format(d.normalize(), "f")) <= _allowed_decimals(d, sz_decimals)


def round_price_to_hl(
    px: Decimal | float | str | int,
    sz_decimals: int,
    mode: RoundMode = "nearest",
) -> Decimal:
    """Round a perp price to one Hyperliquid accepts.

    `mode`: "nearest", "down" (toward zero: use for bids so a post-only bid never moves up) or
    "up" (use for asks).
    """
    if mode not in _ROUNDING:
        raise ValueError(f"mode must be one of {sorted(_ROUNDING)}, got {mode!r}")
    d = _to_decimal(px)
    if d <= 0:
        raise ValueError(f"price must be positive, got {px!r}")
    smallest = Decimal(1).scaleb(-(PERP_MAX_DECIMALS - sz_decimals))
    rounded = d
    # At most a few rounds: rounding up can add a leading digit (9.99995 → 10.0000), which allows
    # one decimal less and is rounded again.
    while not is_valid_hl_price(rounded, sz_decimals):
        rounded = rounded.quantize(
            Decimal(1).scaleb(-_allowed_decimals(rounded, sz_decimals)), rounding=_ROUNDING[mode]
        )
        if rounded <= 0:  # below the smallest tick, rounded down
            return smallest
    return rounded


# ---------------------------------------------------------------------------- fast float grid
# The quoter rounds a dozen prices per book event: Decimal is too slow there. Float arithmetic
# absorbs its own noise with a tolerance of 1e-9 of a step (a price computed as
# 3301.1999999999998 is 3301.2), so a price that close below a grid price counts as on it.
PRICE_GRID_EPS = 1e-9


def float_price_step(price: float, price_precision: int) -> float:
    """The finest valid price increment at `price` (floats): the tick `10^-price_precision`,
    coarsened by the 5-significant-figure rule, never above 1 (integer prices are always valid)."""
    tick = 10.0**-price_precision
    if price <= 0:
        return tick
    sig_step = 10.0 ** (math.floor(math.log10(price)) - (MAX_SIGNIFICANT_FIGURES - 1))
    return max(tick, min(sig_step, 1.0))


class PriceGrid:
    """Valid prices of one price precision (`6 − szDecimals`) in floats, fast on the hot path:
    `step`, `bid` (round down) and `ask` (round up).

    The step only changes between decades (the 5-sig-fig rule), so the grid remembers the decade
    of the last price and answers from it; a price outside it (or within 1e-12 of its edges, where
    float `log10` could round either way) goes through `float_price_step`, the definition. The band
    is one tuple, swapped whole, so a grid shared between threads never pairs one decade's bounds
    with another's step.
    """

    __slots__ = ("_band", "precision")

    def __init__(self, price_precision: int) -> None:
        self.precision = price_precision
        self._band = (1.0, 0.0, 0.0)  # (low, high, step); empty until the first price

    @property
    def band(self) -> tuple[float, float, float]:
        """(low, high, step): prices in [low, high) have this step. Read by callers that inline
        `bid` / `ask` in a loop."""
        return self._band

    def step(self, price: float) -> float:
        lo, hi, step = self._band
        if lo <= price < hi:
            return step
        step = float_price_step(price, self.precision)
        if price > 0:
            decade = 10.0 ** math.floor(math.log10(price))
            self._band = (decade * (1.0 + 1e-12), decade * 10.0 * (1.0 - 1e-12), step)
        return step

    def bid(self, price: float) -> float:
        """Largest valid price ≤ `price` (a bid never rounds up); 0.0 below the smallest tick."""
        lo, hi, step = self._band
        if not lo <= price < hi:
            step = self.step(price)
        return round(math.floor(price / step + PRICE_GRID_EPS) * step, self.precision)

    def ask(self, price: float) -> float:
        """Smallest valid price ≥ `price` (an ask never rounds down)."""
        lo, hi, step = self._band
        if not lo <= price < hi:
            step = self.step(price)
        return round(math.ceil(price / step - PRICE_GRID_EPS) * step, self.precision)


_PRICE_GRIDS: dict[int, PriceGrid] = {}


def price_grid(price_precision: int) -> PriceGrid:
    """The shared `PriceGrid` of a price precision (built once; see `PriceGrid` on sharing)."""
    grid = _PRICE_GRIDS.get(price_precision)
    if grid is None:
        grid = _PRICE_GRIDS[price_precision] = PriceGrid(price_precision)
    return grid


def round_size_to_hl(sz: Decimal | float | str | int, sz_decimals: int) -> Decimal:
    """Round a size down to `szDecimals` decimals (never trade more than asked)."""
    return _to_decimal(sz).quantize(Decimal(1).scaleb(-sz_decimals), rounding=ROUND_FLOOR)


def price_tick_float(px: float, sz_decimals: int) -> float:
    """The price step Hyperliquid allows at `px`, as a float: for tables of many assets (the
    screener's frames), not for building orders.

    It is 10^-d with d the decimals a price of this magnitude may carry under the exact rule above
    (5 significant figures, at most 6 − szDecimals decimals); integer prices are always valid, so
    the step is at most 1.
    """
    if not 0 <= sz_decimals <= MAX_SZ_DECIMALS:
        raise ValueError(f"sz_decimals must be within 0..{MAX_SZ_DECIMALS}, got {sz_decimals!r}")
    d = _to_decimal(px)
    if d <= 0:
        raise ValueError(f"price must be positive, got {px!r}")
    return float(Decimal(1).scaleb(-_allowed_decimals(d, sz_decimals)))
