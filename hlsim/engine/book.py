"""The market's displayed L2 book of one coin (replayed or scripted), without hlsim users' orders.

Snapshots replace what they cover; prices beyond the deepest level of a snapshot are unknown
(`size_at` returns None there) so a truncated window is never mistaken for a cancel.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from hlsim.engine.numbers import ZERO

Level = tuple[Decimal, Decimal, int]  # px, sz, n


class MarketBook:
    """Bids and asks as px → (sz, n); sides are "B" (bids) and "A" (asks)."""

    __slots__ = ("_asks", "_bids", "_sorted", "ask_edge", "bid_edge", "coin", "time_ms")

    def __init__(self, coin: str) -> None:
        self.coin = coin
        self._bids: dict[Decimal, tuple[Decimal, int]] = {}
        self._asks: dict[Decimal, tuple[Decimal, int]] = {}
        self._sorted: dict[str, list[Decimal] | None] = {"B": None, "A": None}
        # Deepest price a snapshot covered on each side (None = nothing known beyond the levels).
        self.bid_edge: Decimal | None = None
        self.ask_edge: Decimal | None = None
        self.time_ms = 0

    def _side(self, side: str) -> dict[Decimal, tuple[Decimal, int]]:
        return self._bids if side == "B" else self._asks

    def replace(self, bids: Iterable[Level], asks: Iterable[Level], time_ms: int) -> None:
        self._bids = {px: (sz, n) for px, sz, n in bids if sz > 0}
        self._asks = {px: (sz, n) for px, sz, n in asks if sz > 0}
        self._sorted = {"B": None, "A": None}
        self.bid_edge = min(self._bids) if self._bids else None
        self.ask_edge = max(self._asks) if self._asks else None
        self.time_ms = time_ms

    def apply_bbo(self, bid: Level | None, ask: Level | None, time_ms: int) -> None:
        """A top-of-book update: the new best level replaces it and anything better than it."""
        if bid is not None:
            px, sz, n = bid
            for other in [p for p in self._bids if p > px]:
                del self._bids[other]
            self._bids[px] = (sz, n)
            # An ask at or below the new best bid cannot be displayed any more.
            for other in [p for p in self._asks if p <= px]:
                del self._asks[other]
        if ask is not None:
            px, sz, n = ask
            for other in [p for p in self._asks if p < px]:
                del self._asks[other]
            self._asks[px] = (sz, n)
            for other in [p for p in self._bids if p >= px]:
                del self._bids[other]
        self._sorted = {"B": None, "A": None}
        self.time_ms = time_ms

    def set_level(self, side: str, px: Decimal, sz: Decimal, n: int = 1) -> None:
        levels = self._side(side)
        if sz <= 0:
            levels.pop(px, None)
        else:
            levels[px] = (sz, n)
        self._sorted[side] = None

    def size_at(self, side: str, px: Decimal) -> Decimal | None:
        """Displayed size at px; 0 inside the known window, None beyond it."""
        level = self._side(side).get(px)
        if level is not None:
            return level[0]
        edge = self.bid_edge if side == "B" else self.ask_edge
        if edge is None:
            return ZERO if not self._side(side) else None
        inside = px >= edge if side == "B" else px <= edge
        return ZERO if inside else None

    def prices(self, side: str) -> list[Decimal]:
        """Prices best first."""
        cached = self._sorted[side]
        if cached is None:
            cached = sorted(self._side(side), reverse=(side == "B"))
            self._sorted[side] = cached
        return cached

    def levels(self, side: str, depth: int) -> list[Level]:
        book = self._side(side)
        return [(px, *book[px]) for px in self.prices(side)[:depth]]

    def best(self, side: str) -> Decimal | None:
        prices = self.prices(side)
        return prices[0] if prices else None

    def mid(self) -> Decimal | None:
        bid, ask = self.best("B"), self.best("A")
        if bid is None or ask is None:
            return bid if ask is None else ask
        return (bid + ask) / 2
