"""`bbo` → `QuoteTick` and `trades` → `TradeTick` (timestamps as in `convert`)."""

from __future__ import annotations

from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import TradeId

from adapters.hyperliquid.parsing.convert import ValueConverter
from adapters.hyperliquid.parsing.convert import ms_to_ns
from adapters.hyperliquid.parsing.convert import ts_init_for
from adapters.hyperliquid.schemas.market_data import BboData
from adapters.hyperliquid.schemas.market_data import WsTrade

# Side B: the buyer was the aggressor (hyperliquid.md, trades channel).
AGGRESSOR_BY_SIDE = {"B": AggressorSide.BUYER, "A": AggressorSide.SELLER}


def bbo_to_quote(
    bbo: BboData,
    instrument_id: InstrumentId,
    values: ValueConverter,
    recv_ns: int | None = None,
) -> QuoteTick | None:
    """The quote of a `bbo` message, or None when a side is empty (a QuoteTick needs both)."""
    bid, ask = bbo.bbo
    if bid is None or ask is None:
        return None
    ts_event = ms_to_ns(bbo.time)
    return QuoteTick(
        instrument_id,
        values.price(bid.px),
        values.price(ask.px),
        values.size(bid.sz),
        values.size(ask.sz),
        ts_event,
        ts_init_for(ts_event, recv_ns),
    )


def trade_to_tick(
    trade: WsTrade,
    instrument_id: InstrumentId,
    values: ValueConverter,
    recv_ns: int | None = None,
) -> TradeTick:
    """One trade; trade id = Hyperliquid's `tid`."""
    ts_event = ms_to_ns(trade.time)
    return TradeTick(
        instrument_id,
        values.price(trade.px),
        values.size(trade.sz),
        AGGRESSOR_BY_SIDE[trade.side],
        TradeId(str(trade.tid)),
        ts_event,
        ts_init_for(ts_event, recv_ns),
    )


def trades_to_ticks(
    trades: list[WsTrade],
    instrument_id: InstrumentId,
    values: ValueConverter,
    recv_ns: int | None = None,
) -> list[TradeTick]:
    return [trade_to_tick(t, instrument_id, values, recv_ns) for t in trades]
