"""Exact decimal helpers: prices and sizes arrive and leave as strings."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from decimal import InvalidOperation

ZERO = Decimal(0)


def parse_decimal(text: object) -> Decimal:
    """A finite Decimal from a wire string; ValueError for anything else."""
    if not isinstance(text, str):
        raise ValueError(f"expected a decimal string, got {type(text).__name__}")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"not a decimal: {text!r}") from None
    if not value.is_finite():
        raise ValueError(f"not a finite decimal: {text!r}")
    return value


def fmt(value: Decimal) -> str:
    """As the exchange prints numbers: no exponent, no trailing zeros, integers with ".0"
    ("3330.8", "0.1", "1417.0")."""
    if value == 0:
        return "0.0"
    text = f"{value.normalize():f}"
    return text if "." in text else text + ".0"


def fmt_usd(value: Decimal, places: int = 6) -> str:
    """USDC amounts as HL shows them: fixed decimals, trailing zeros dropped."""
    q = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    return fmt(q)


def to_decimals(value: Decimal, places: int) -> Decimal:
    """`value` with at most `places` decimals (half-even): what a replayed number becomes on the wire,
    so float noise in a source ("123641.99999999999" for a 0-decimal coin) never reaches a client."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


def decimals_of(value: Decimal) -> int:
    exp = value.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def sig_figs(value: Decimal) -> int:
    digits = value.normalize().as_tuple().digits
    return len(digits)
