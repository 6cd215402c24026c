"""WS market-data messages → Nautilus data, per coin, with bad messages counted and never fatal.

Pure (no engine): the data client feeds it `(channel, data bytes, recv_ns)` and forwards what
comes out. A message that fails schema validation, names an unknown coin or carries values the
instrument cannot represent is dropped, counted in `stats.bad` and logged (the first ones in
full, then every 1000th), and leaves the book state untouched (the differ commits atomically).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field

import msgspec
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.instruments import Instrument

from adapters.hyperliquid.common import LogLike
from adapters.hyperliquid.parsing.book_diff import L2BookDiffer
from adapters.hyperliquid.parsing.convert import ValueConverter
from adapters.hyperliquid.parsing.ticks import bbo_to_quote
from adapters.hyperliquid.parsing.ticks import trades_to_ticks
from adapters.hyperliquid.schemas.market_data import BBO_DECODER
from adapters.hyperliquid.schemas.market_data import L2BOOK_DECODER
from adapters.hyperliquid.schemas.market_data import TRADES_DECODER
from adapters.hyperliquid.schemas.market_data import L2Level

_LOG_FIRST_BAD = 20
_LOG_EVERY_BAD = 1000
_NS_PER_MS = 1_000_000

MarketData = OrderBookDeltas | QuoteTick | TradeTick


@dataclass(slots=True)
class FeedStats:
    messages: int = 0
    bad: int = 0
    bad_by_reason: dict[str, int] = field(default_factory=dict)
    ignored_channels: int = 0
    last_lag_ms: float | None = None  # receive time − exchange time of the last message
    max_lag_ms: float = 0.0


class _CoinState:
    __slots__ = ("differ", "instrument", "values")

    def __init__(self, instrument: Instrument) -> None:
        self.instrument = instrument
        self.values = ValueConverter(instrument.price_precision, instrument.size_precision, str(instrument.id))
        self.differ = L2BookDiffer(
            instrument.id, instrument.price_precision, instrument.size_precision, converter=self.values
        )


class MarketDataFeed:
    """Decodes `l2Book`, `bbo` and `trades` for the coins it knows."""

    def __init__(self, instruments_by_coin: dict[str, Instrument], logger: LogLike | None = None) -> None:
        self._coins = {coin: _CoinState(inst) for coin, inst in instruments_by_coin.items()}
        self._log = logger or logging.getLogger(__name__)
        self.stats = FeedStats()
        self.last_coin: str | None = None  # coin of the last good message (for stall detection)

    def add_instrument(self, coin: str, instrument: Instrument) -> None:
        if coin not in self._coins:
            self._coins[coin] = _CoinState(instrument)

    def differ(self, coin: str) -> L2BookDiffer:
        return self._coins[coin].differ

    def reset_books(self) -> None:
        """After a reconnect: the next snapshot of every coin is a full F_SNAPSHOT rebuild."""
        for state in self._coins.values():
            state.differ.reset()

    def handle(self, channel: str, data: bytes, recv_ns: int) -> list[MarketData]:
        """The Nautilus objects of one message (possibly none); never raises on bad input."""
        self.stats.messages += 1
        self.last_coin = None
        try:
            if channel == "l2Book":
                return self._l2book(data, recv_ns)
            if channel == "bbo":
                return self._bbo(data, recv_ns)
            if channel == "trades":
                return self._trades(data, recv_ns)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._bad(channel, "schema", f"{exc}", data)
            return []
        except _UnknownCoin as exc:
            self._bad(channel, "unknown_coin", str(exc), data)
            return []
        except (ValueError, OverflowError, TypeError) as exc:
            self._bad(channel, "value", f"{type(exc).__name__}: {exc}", data)
            return []
        self.stats.ignored_channels += 1
        return []

    def _state(self, coin: str) -> _CoinState:
        state = self._coins.get(coin)
        if state is None:
            raise _UnknownCoin(f"no instrument for coin {coin!r}")
        return state

    def _l2book(self, data: bytes, recv_ns: int) -> list[MarketData]:
        book = L2BOOK_DECODER.decode(data)
        state = self._state(book.coin)
        _check_levels(book.levels[0], descending=True)
        _check_levels(book.levels[1], descending=False)
        self._lag(book.time, recv_ns)
        deltas = state.differ.apply(book, recv_ns)
        self.last_coin = book.coin
        return [OrderBookDeltas(state.instrument.id, deltas)] if deltas else []

    def _bbo(self, data: bytes, recv_ns: int) -> list[MarketData]:
        bbo = BBO_DECODER.decode(data)
        state = self._state(bbo.coin)
        self._lag(bbo.time, recv_ns)
        quote = bbo_to_quote(bbo, state.instrument.id, state.values, recv_ns)
        self.last_coin = bbo.coin
        return [quote] if quote is not None else []

    def _trades(self, data: bytes, recv_ns: int) -> list[MarketData]:
        trades = TRADES_DECODER.decode(data)
        if not trades:
            return []
        coin = trades[0].coin
        if any(t.coin != coin for t in trades):
            raise ValueError("trades message mixes coins")
        state = self._state(coin)
        self._lag(trades[-1].time, recv_ns)
        ticks = trades_to_ticks(trades, state.instrument.id, state.values, recv_ns)
        self.last_coin = coin
        return list(ticks)

    def _lag(self, time_ms: int, recv_ns: int) -> None:
        lag_ms = (recv_ns - time_ms * _NS_PER_MS) / _NS_PER_MS
        self.stats.last_lag_ms = lag_ms
        if lag_ms > self.stats.max_lag_ms:
            self.stats.max_lag_ms = lag_ms

    def _bad(self, channel: str, reason: str, detail: str, data: bytes) -> None:
        stats = self.stats
        stats.bad += 1
        stats.bad_by_reason[reason] = stats.bad_by_reason.get(reason, 0) + 1
        if stats.bad <= _LOG_FIRST_BAD or stats.bad % _LOG_EVERY_BAD == 0:
            self._log.warning(
                f"dropped bad {channel} message #{stats.bad} ({reason}): {detail[:200]}; data={bytes(data)[:160]!r}"
            )


class _UnknownCoin(Exception):
    pass


def _check_levels(levels: list[L2Level], *, descending: bool) -> None:
    """A side must be strictly ordered (no duplicate prices) with positive sizes, as the exchange
    sends it; anything else is a corrupt message that would corrupt the book."""
    previous: float | None = None
    for level in levels:
        px = float(level.px)
        if not float(level.sz) > 0:
            raise ValueError(f"level {level.px} has non-positive size {level.sz!r}")
        if previous is not None and (px >= previous if descending else px <= previous):
            raise ValueError(f"levels not strictly {'descending' if descending else 'ascending'} at {level.px}")
        previous = px
