"""Matching of hlsim users' orders against the market's displayed book of one coin.

- User orders rest FIFO at their price behind the market size displayed there on arrival
  (`QueuePosition.front`); the market's own book never contains them.
- A market trade at a resting order's price runs through the queue ahead (queue rule), then fills
  user orders in time order; a trade through the price, or the opposite side of the market book
  moving onto it, fills the order completely (as hftbacktest does).
- Size leaving a level without trades advances the queue by the configured `QueueRule`.
- A marketable order takes displayed market liquidity and other users' resting orders, best
  price first; within a level, market size ahead of a resting user order goes first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hlsim.engine.book import MarketBook
from hlsim.engine.numbers import ZERO
from simulation.queue_model import QueuePosition
from simulation.queue_model import QueueRule
from simulation.queue_model import filled_qty
from simulation.queue_model import new_position


@dataclass(slots=True)
class RestingOrder:
    oid: int
    user: str
    coin: str
    asset: int
    is_buy: bool
    px: Decimal
    sz: Decimal  # remaining
    orig_sz: Decimal
    timestamp: int
    tif: str
    reduce_only: bool
    cloid: str | None
    queue: QueuePosition

    @property
    def side(self) -> str:
        return "B" if self.is_buy else "A"


@dataclass(slots=True)
class MakerFill:
    order: RestingOrder
    px: Decimal
    sz: Decimal


@dataclass(slots=True)
class TakerMatch:
    """One piece of a taker order's execution: against the market (maker None) or a user's order."""

    px: Decimal
    sz: Decimal
    maker: RestingOrder | None


@dataclass(slots=True)
class TakeResult:
    matches: list[TakerMatch]
    self_trade_canceled: list[RestingOrder]

    @property
    def filled(self) -> Decimal:
        return sum((m.sz for m in self.matches), ZERO)


class CoinMatcher:
    """Resting user orders of one coin and the rules that fill them."""

    def __init__(self, coin: str, sz_decimals: int, book: MarketBook, rule: QueueRule) -> None:
        self.coin = coin
        self.book = book
        self.rule = rule
        self.lot = Decimal(1).scaleb(-sz_decimals)
        self._lot_f = float(self.lot)
        # side ("B" bids / "A" asks) → px → FIFO list
        self.levels: dict[str, dict[Decimal, list[RestingOrder]]] = {"B": {}, "A": {}}

    # --- resting orders -------------------------------------------------------------------

    def add(self, order: RestingOrder) -> None:
        displayed = self.book.size_at(order.side, order.px) or ZERO
        order.queue = new_position(float(displayed))
        self.levels[order.side].setdefault(order.px, []).append(order)

    def remove(self, order: RestingOrder) -> None:
        level = self.levels[order.side].get(order.px)
        if level is None:
            return
        try:
            level.remove(order)
        except ValueError:
            return
        if not level:
            del self.levels[order.side][order.px]

    def user_size_at(self, side: str, px: Decimal) -> tuple[Decimal, int]:
        level = self.levels[side].get(px)
        if not level:
            return ZERO, 0
        return sum((o.sz for o in level), ZERO), len(level)

    def best_user_px(self, side: str) -> Decimal | None:
        prices = self.levels[side]
        if not prices:
            return None
        return max(prices) if side == "B" else min(prices)

    # --- market events --------------------------------------------------------------------

    def on_market_trade(self, aggressor: str, px: Decimal, sz: Decimal) -> list[MakerFill]:
        """A trade printed by the market: side "A" (seller aggressed) hits bids, "B" hits asks."""
        side = "B" if aggressor == "A" else "A"
        fills: list[MakerFill] = []
        levels = self.levels[side]
        if not levels:
            return fills
        through = [p for p in levels if (p > px if side == "B" else p < px)]
        for level_px in sorted(through, reverse=(side == "B")):
            for order in list(levels[level_px]):
                fills.append(MakerFill(order, order.px, order.sz))
        at_level = levels.get(px)
        if at_level:
            remaining = float(sz)
            for order in list(at_level):
                if remaining <= 0:
                    break
                self.rule.on_trade(order.queue, remaining)
                qty = min(Decimal(str(filled_qty(order.queue, self._lot_f))).quantize(self.lot), order.sz)
                if qty > 0:
                    fills.append(MakerFill(order, px, qty))
                    order.queue.front = max(order.queue.front + float(qty), 0.0) if qty < order.sz else 0.0
                    remaining -= float(qty)
        return fills

    def on_depth(self, side: str, px: Decimal, prev: Decimal | None, new: Decimal | None) -> None:
        """The market size at a level with user orders changed (None = unknown, ignored)."""
        if prev is None or new is None:
            return
        for order in self.levels[side].get(px, ()):
            self.rule.on_depth(order.queue, float(prev), float(new))
            if order.queue.front < 0.0:
                order.queue.front = 0.0

    def crossed_by_book(self) -> list[MakerFill]:
        """User orders the market's opposite side now reaches: filled completely at their price."""
        fills: list[MakerFill] = []
        best_ask = self.book.best("A")
        if best_ask is not None:
            for px in sorted((p for p in self.levels["B"] if p >= best_ask), reverse=True):
                fills.extend(MakerFill(o, o.px, o.sz) for o in list(self.levels["B"][px]))
        best_bid = self.book.best("B")
        if best_bid is not None:
            for px in sorted(p for p in self.levels["A"] if p <= best_bid):
                fills.extend(MakerFill(o, o.px, o.sz) for o in list(self.levels["A"][px]))
        return fills

    def levels_with_orders(self) -> list[tuple[str, Decimal]]:
        return [(side, px) for side in ("B", "A") for px in self.levels[side]]

    # --- taking liquidity -----------------------------------------------------------------

    def take(self, is_buy: bool, limit_px: Decimal, sz: Decimal, taker: str) -> TakeResult:
        """Executes a marketable order up to limit_px; consumes market size from the book."""
        book_side = "A" if is_buy else "B"
        result = TakeResult([], [])
        remaining = sz
        prices = set(self.book.prices(book_side)) | set(self.levels[book_side])
        ordered = sorted(prices, reverse=not is_buy)
        for px in ordered:
            if remaining <= 0 or (px > limit_px if is_buy else px < limit_px):
                break
            market_qty = self.book.size_at(book_side, px) or ZERO
            consumed_market = ZERO
            for order in list(self.levels[book_side].get(px, ())):
                if remaining <= 0:
                    break
                ahead = max(min(Decimal(str(order.queue.front)), market_qty) - consumed_market, ZERO)
                ahead = ahead.quantize(self.lot)
                take_market = min(remaining, ahead)
                if take_market > 0:
                    result.matches.append(TakerMatch(px, take_market, None))
                    consumed_market += take_market
                    remaining -= take_market
                if remaining <= 0:
                    break
                if order.user == taker:
                    # Self-trade prevention: the resting order is canceled, the taker continues.
                    result.self_trade_canceled.append(order)
                    continue
                qty = min(remaining, order.sz)
                result.matches.append(TakerMatch(px, qty, order))
                remaining -= qty
            rest_market = min(remaining, market_qty - consumed_market)
            if rest_market > 0:
                result.matches.append(TakerMatch(px, rest_market, None))
                consumed_market += rest_market
                remaining -= rest_market
            if consumed_market > 0:
                self.book.set_level(book_side, px, market_qty - consumed_market)
                for order in self.levels[book_side].get(px, ()):
                    order.queue.front = max(order.queue.front - float(consumed_market), 0.0)
        return result
