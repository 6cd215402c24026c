"""bbo → QuoteTick and trades → TradeTick, with optional fields absent."""

from __future__ import annotations

import pytest
from nautilus_trader.model.enums import AggressorSide

from adapters.hyperliquid.parsing.convert import ValueConverter
from adapters.hyperliquid.parsing.convert import ts_init_for
from adapters.hyperliquid.parsing.instruments import instrument_id_for
from adapters.hyperliquid.parsing.ticks import bbo_to_quote
from adapters.hyperliquid.parsing.ticks import trades_to_ticks
from adapters.hyperliquid.schemas.market_data import decode_bbo
from adapters.hyperliquid.schemas.market_data import decode_trades

IID = instrument_id_for("ETH")
VALUES = ValueConverter(2, 4, "ETH")


def test_bbo_becomes_a_quote_at_instrument_precision() -> None:
    bbo = decode_bbo(
        b'{"coin":"ETH","time":1765401034460,"bbo":[{"px":"3331.0","sz":"0.03"},{"px":"3331.5","sz":"413.2657"}]}'
    )
    quote = bbo_to_quote(bbo, IID, VALUES, recv_ns=1765401035304391680)
    assert quote is not None
    assert str(quote.bid_price) == "3331.00" and str(quote.ask_size) == "413.2657"
    assert quote.ts_event == 1765401034460_000_000 and quote.ts_init == 1765401035304391680


def test_one_sided_bbo_gives_no_quote() -> None:
    bbo = decode_bbo(b'{"coin":"ETH","time":1,"bbo":[null,{"px":"3331.5","sz":"1"}]}')
    assert bbo_to_quote(bbo, IID, VALUES) is None


def test_trade_side_b_is_a_buyer_aggressor_and_tid_is_the_trade_id() -> None:
    trades = decode_trades(
        b'[{"coin":"ETH","side":"B","px":"3331.7","sz":"0.0154","time":1765401031072,"tid":510516978254424},'
        b'{"coin":"ETH","side":"A","px":"3331.2","sz":"0.1","time":1765401031158,"tid":7,'
        b'"hash":"0x00","users":["0xa","0xb"]}]'
    )
    ticks = trades_to_ticks(trades, IID, VALUES, recv_ns=None)
    assert [t.aggressor_side for t in ticks] == [AggressorSide.BUYER, AggressorSide.SELLER]
    assert str(ticks[0].trade_id) == "510516978254424"
    assert str(ticks[0].size) == "0.0154" and ticks[0].size.precision == 4
    assert ticks[1].ts_init == ticks[1].ts_event == 1765401031158_000_000


def test_ts_init_is_the_receive_time_but_never_before_the_event() -> None:
    assert ts_init_for(100, 150) == 150
    assert ts_init_for(100, 50) == 100
    assert ts_init_for(100, None) == 100


@pytest.mark.parametrize(
    ("kind", "text", "match"),
    [
        ("price", "1e3", "exponent"),  # decimals_of cannot count an exponent's decimals
        ("size", "1E-9", "exponent"),
        ("price", "-3000.5", "not a positive price"),
        ("price", "0", "not a positive price"),
        ("price", "nan", "not a positive price"),
        ("size", "-1", "bad size"),
        ("price", "abc", "bad price"),
        ("price", "3000.123", "more decimals"),
    ],
)
def test_malformed_exchange_numbers_raise_naming_the_instrument_and_the_text(
    kind: str, text: str, match: str
) -> None:
    converter = ValueConverter(2, 4, "ETH-USD-PERP.HYPERLIQUID")
    with pytest.raises(ValueError, match=match) as info:
        getattr(converter, kind)(text)
    assert "ETH-USD-PERP.HYPERLIQUID" in str(info.value) and repr(text) in str(info.value)
