"""Scripted markets for scenario tests and benches: the catalog's Hyperliquid perp and a book that
turns level snapshots into true deltas. The engine comes from `backtest_run.make_engine`, the
same venue model `run_backtest` uses."""

from __future__ import annotations

from nautilus_trader.model.data import BookOrder
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from adapters.hyperliquid.parsing.instruments import perp_instrument
from backtest.runner import make_engine

__all__ = ["HYPERLIQUID", "ScriptedBook", "ladder_book", "make_engine", "scripted_perp"]

HYPERLIQUID = Venue("HYPERLIQUID")
F_LAST = int(RecordFlag.F_LAST)
F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)


def scripted_perp(coin: str = "ETH", sz_decimals: int = 4, fee_tier: int = 0) -> CryptoPerpetual:
    """The catalog's `COIN-USD-PERP.HYPERLIQUID` perp (price precision 6 − szDecimals, $10 minimum)."""
    return perp_instrument(coin, sz_decimals, fee_tier=fee_tier, max_leverage=20)


class ScriptedBook:
    """Turns full level snapshots into the true deltas a Hyperliquid catalog holds."""

    def __init__(self, instrument: CryptoPerpetual) -> None:
        self.instrument = instrument
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}
        self._trade_id = 0

    def _order(self, side: OrderSide, px: float, sz: float) -> BookOrder:
        inst = self.instrument
        return BookOrder(side, Price(px, inst.price_precision), Quantity(sz, inst.size_precision), 0)

    def snapshot(self, ts_ns: int, bids: dict[float, float], asks: dict[float, float]) -> list[OrderBookDelta]:
        iid = self.instrument.id
        out = [OrderBookDelta(iid, BookAction.CLEAR, None, F_SNAPSHOT, 0, ts_ns, ts_ns)]
        for side, levels in ((OrderSide.BUY, bids), (OrderSide.SELL, asks)):
            for px, sz in levels.items():
                out.append(OrderBookDelta(iid, BookAction.ADD, self._order(side, px, sz), F_SNAPSHOT, 0, ts_ns, ts_ns))
        out[-1] = _with_flags(out[-1], F_SNAPSHOT | F_LAST)
        self.bids, self.asks = dict(bids), dict(asks)
        return out

    def update(self, ts_ns: int, bids: dict[float, float], asks: dict[float, float]) -> list[OrderBookDelta]:
        iid = self.instrument.id
        out: list[OrderBookDelta] = []
        for side, old, new in ((OrderSide.BUY, self.bids, bids), (OrderSide.SELL, self.asks, asks)):
            for px, sz in old.items():
                if px not in new:
                    out.append(OrderBookDelta(iid, BookAction.DELETE, self._order(side, px, sz), 0, 0, ts_ns, ts_ns))
            for px, sz in new.items():
                if px not in old:
                    out.append(OrderBookDelta(iid, BookAction.ADD, self._order(side, px, sz), 0, 0, ts_ns, ts_ns))
                elif old[px] != sz:
                    out.append(OrderBookDelta(iid, BookAction.UPDATE, self._order(side, px, sz), 0, 0, ts_ns, ts_ns))
        if out:
            out[-1] = _with_flags(out[-1], F_LAST)
        self.bids, self.asks = dict(bids), dict(asks)
        return out

    def trade(self, ts_ns: int, px: float, sz: float, buyer_aggressor: bool) -> TradeTick:
        self._trade_id += 1
        inst = self.instrument
        return TradeTick(
            inst.id, Price(px, inst.price_precision), Quantity(sz, inst.size_precision),
            AggressorSide.BUYER if buyer_aggressor else AggressorSide.SELLER,
            TradeId(str(self._trade_id)), ts_ns, ts_ns,
        )


def ladder_book(best_bid: float, best_ask: float, step: float, size: float, depth: int = 10) -> tuple[dict, dict]:
    """A simple book: `depth` levels a side, `step` apart, `size` each."""
    bids = {round(best_bid - i * step, 8): size for i in range(depth)}
    asks = {round(best_ask + i * step, 8): size for i in range(depth)}
    return bids, asks


def _with_flags(d: OrderBookDelta, flags: int) -> OrderBookDelta:
    return OrderBookDelta(d.instrument_id, d.action, d.order, flags, d.sequence, d.ts_event, d.ts_init)
