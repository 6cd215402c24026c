"""WS market-data messages → Nautilus data, per coin, with bad messages counted and never fatal.

Pure (no engine): the data client feeds it `(channel, data bytes, recv_ns)` and forwards what
comes out. A message that fails schema validation, names an unknown coin or carries values the
instrument cannot represent is dropped, counted in `stats.bad` and logged (the first ones in
full, then every 1000th), and leaves the book state untouched (the differ commits atomically).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation

import msgspec
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import MarkPriceUpdate
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Price

from adapters.hyperliquid.common.log import LogLike
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
_NS_PER_HOUR = 3_600 * 1_000_000_000
FUNDING_INTERVAL_MINUTES = 60  # Hyperliquid pays funding every hour
_MAX_ABS_FUNDING = Decimal("1")  # a rate per hour beyond ±100 % is a corrupt message


class PerpAssetCtx(msgspec.Struct, frozen=True):
    """The part of `activeAssetCtx.ctx` the feed uses (the exchange sends more fields)."""

    funding: str
    markPx: str


class ActiveAssetCtxData(msgspec.Struct, frozen=True):
    """`activeAssetCtx` data: `{coin, ctx}` (no exchange time: stamped with the receive time)."""

    coin: str
    ctx: PerpAssetCtx


ASSET_CTX_DECODER = msgspec.json.Decoder(ActiveAssetCtxData)

MarketData = OrderBookDeltas | QuoteTick | TradeTick | MarkPriceUpdate | FundingRateUpdate


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

    def rebuild(self, coin: str, recv_ns: int) -> OrderBookDeltas | None:
        """The coin's current book as a full F_SNAPSHOT event (None before its first book)."""
        state = self._coins.get(coin)
        deltas = state.differ.rebuild(recv_ns) if state is not None else []
        return OrderBookDeltas(state.instrument.id, deltas) if state is not None and deltas else None

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
            if channel == "activeAssetCtx":
                return self._asset_ctx(data, recv_ns)
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

    def _asset_ctx(self, data: bytes, recv_ns: int) -> list[MarketData]:
        # Not counted as market data for stall detection (`last_coin` stays None): the context
        # flowing says nothing about the book and trades the strategy quotes from.
        msg = ASSET_CTX_DECODER.decode(data)
        state = self._state(msg.coin)
        iid = state.instrument.id
        mark = _decimal(msg.ctx.markPx, "markPx")
        if mark <= 0:
            raise ValueError(f"markPx must be positive, got {msg.ctx.markPx!r}")
        rate = _decimal(msg.ctx.funding, "funding")
        if abs(rate) > _MAX_ABS_FUNDING:
            raise ValueError(f"funding rate {msg.ctx.funding!r} is out of range")
        # A mark is computed, not a book level: round it to the instrument's price precision.
        precision = state.instrument.price_precision
        mark_price = Price(mark.quantize(Decimal(1).scaleb(-precision)), precision)
        next_funding_ns = (recv_ns // _NS_PER_HOUR + 1) * _NS_PER_HOUR
        return [
            MarkPriceUpdate(iid, mark_price, recv_ns, recv_ns),
            FundingRateUpdate(iid, rate, recv_ns, recv_ns, FUNDING_INTERVAL_MINUTES, next_funding_ns),
        ]

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


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{what} {text!r} is not a number") from None
    if not value.is_finite() or not math.isfinite(float(value)) or abs(value) > Decimal("1e12"):
        raise ValueError(f"{what} {text!r} is out of range")
    return value


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
