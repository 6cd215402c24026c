"""Per-order checks with the exchange's own error texts (the engine appends " asset=N")."""

from __future__ import annotations

from decimal import Decimal

from hlsim.engine.numbers import decimals_of
from hlsim.engine.numbers import fmt
from hlsim.engine.numbers import sig_figs

MIN_NOTIONAL = Decimal(10)
PERP_MAX_DECIMALS = 6  # a perp price has at most 6 − szDecimals decimals

TICK_ERROR = "Price must be divisible by tick size."
SIZE_ERROR = "Order has invalid size."
ZERO_SIZE_ERROR = "Order has zero size."
PRICE_ERROR = "Order has invalid price."
MIN_VALUE_ERROR = "Order must have minimum value of $10."
MARGIN_ERROR = "Insufficient margin to place order."
REDUCE_ONLY_ERROR = "Reduce only order would increase position."
IOC_NO_MATCH_ERROR = "Order could not immediately match against any resting orders."
MODIFY_GONE_ERROR = "Cannot modify canceled or filled order"
CANCEL_GONE_ERROR = "Order was never placed, already canceled, or filled."
OPEN_ORDERS_ERROR = "Too many open orders."


def check_price(px: Decimal, sz_decimals: int, *, is_spot: bool = False) -> str | None:
    """At most 5 significant figures and (6 - szDecimals) decimals; integers always pass."""
    if px <= 0:
        return PRICE_ERROR
    if px == px.to_integral_value():
        return None
    max_decimals = (8 if is_spot else PERP_MAX_DECIMALS) - sz_decimals
    if sig_figs(px) > 5 or decimals_of(px) > max_decimals:
        return TICK_ERROR
    return None


def check_size(sz: Decimal, sz_decimals: int) -> str | None:
    if sz <= 0:
        return ZERO_SIZE_ERROR
    if decimals_of(sz) > sz_decimals:
        return SIZE_ERROR
    return None


def check_min_value(px: Decimal, sz: Decimal) -> str | None:
    return MIN_VALUE_ERROR if px * sz < MIN_NOTIONAL else None


def alo_cross_error(is_buy: bool, px: Decimal, best_bid: Decimal | None, best_ask: Decimal | None) -> str | None:
    """An ALO order that would take liquidity is rejected with the bbo it saw."""
    crosses = (best_ask is not None and px >= best_ask) if is_buy else (best_bid is not None and px <= best_bid)
    if not crosses:
        return None
    bid = fmt(best_bid) if best_bid is not None else "None"
    ask = fmt(best_ask) if best_ask is not None else "None"
    return f"Post only order would have immediately matched, bbo was {bid}@{ask}."


def reduce_only_error(is_buy: bool, position_szi: Decimal) -> str | None:
    """Reduce-only needs an open position on the other side."""
    if position_szi == 0 or (position_szi > 0) == is_buy:
        return REDUCE_ONLY_ERROR
    return None


_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")


def _is_0x_hex(text: object, digits: int, prefixes: tuple[str, ...]) -> bool:
    # A digit-set check, not int(_, 16): that also takes "_", "-", "+" and spaces.
    return (
        isinstance(text, str)
        and len(text) == digits + 2
        and text[:2] in prefixes
        and _HEX_DIGITS.issuperset(text[2:])
    )


def is_valid_address(text: object) -> bool:
    """"0x" + 40 hex digits."""
    return _is_0x_hex(text, 40, ("0x", "0X"))


def is_valid_cloid(text: object) -> bool:
    """"0x" + 32 hex digits."""
    return _is_0x_hex(text, 32, ("0x",))
