"""Exchange strings and times → Nautilus values, shared by the book differ and the tick parsers.

Timestamps: `ts_event` is the exchange `time` (ms → ns). `ts_init` is the local receive time
when one is known, never earlier than `ts_event` (Nautilus orders events by `ts_init`; a receive
clock behind the exchange's would otherwise put data before it happened), else `ts_event`.
"""

from __future__ import annotations

from typing import Any

from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from adapters.hyperliquid.common.prices import decimals_of

_NS_PER_MS = 1_000_000
_CACHE_LIMIT = 200_000


def ms_to_ns(ms: int) -> int:
    return ms * _NS_PER_MS


def ts_init_for(ts_event: int, recv_ns: int | None) -> int:
    """`recv_ns` if known and not before `ts_event`, else `ts_event`."""
    if recv_ns is None or recv_ns < ts_event:
        return ts_event
    return recv_ns


class PrecisionError(ValueError):
    """A price or size carries more decimals than the instrument allows (wrong szDecimals)."""


class ValueConverter:
    """Builds `Price`/`Quantity` from exchange strings at the instrument's precisions.

    Prices repeat a lot, so their objects are cached by string. Every conversion checks the
    string has no more decimals than the precision: a rounded value would silently corrupt the
    book, so a mismatch (a wrong or inferred szDecimals) raises `PrecisionError`.
    """

    __slots__ = ("_prices", "_sizes", "label", "price_precision", "size_precision")

    def __init__(self, price_precision: int, size_precision: int, label: str = "") -> None:
        self.price_precision = price_precision
        self.size_precision = size_precision
        self.label = label
        self._prices: dict[str, Price] = {}
        self._sizes: dict[str, Quantity] = {}

    def price(self, px: str) -> Price:
        p = self._prices.get(px)
        if p is None:
            p = self._prices[px] = _checked(Price, px, self.price_precision, "price", self.label, self._prices)
        return p

    def size(self, sz: str) -> Quantity:
        q = self._sizes.get(sz)
        if q is None:
            q = self._sizes[sz] = _checked(Quantity, sz, self.size_precision, "size", self.label, self._sizes)
        return q


def _checked(kind: type, text: str, precision: int, what: str, label: str, cache: dict) -> Any:
    """`kind(text)` at `precision` (a cache miss); makes room in `cache` when it is full."""
    if decimals_of(text) > precision:
        raise PrecisionError(
            f"{label}: {what} {text!r} has more decimals than the instrument's {what} precision "
            f"{precision} (szDecimals wrong? pass the exchange's meta reply)"
        )
    if "e" in text or "E" in text:  # decimals_of cannot see the exponent: "1e-9" would round to 0
        raise ValueError(f"{label}: bad {what} {text!r}: exponent notation")
    try:
        number = float(text)
        if not number > 0.0 and kind is Price:  # market-data prices are positive (NaN too is refused)
            raise ValueError("not a positive price")
        value = kind(number, precision)
    except ValueError as exc:
        raise ValueError(f"{label}: bad {what} {text!r}: {exc}") from None
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    return value
