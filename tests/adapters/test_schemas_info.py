"""The `/info` reply schemas: numbers as strings become bounded floats, `l2Book` uses the one L2 schema."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from adapters.hyperliquid.schemas.info import CANDLES_DECODER
from adapters.hyperliquid.schemas.info import L2BOOK_REPLY_DECODER
from adapters.hyperliquid.schemas.info import META_AND_ASSET_CTXS_DECODER
from adapters.hyperliquid.schemas.info import SAVED_REPLY_DECODER
from adapters.hyperliquid.schemas.market_data import L2BookData
from adapters.hyperliquid.schemas.market_data import decode_l2book

INFO = Path(__file__).resolve().parents[2] / "data" / "samples" / "hyperliquid" / "info"


def _saved(name: str) -> bytes:
    return bytes(SAVED_REPLY_DECODER.decode((INFO / name).read_bytes()).response)


def test_meta_and_asset_ctxs_decode_with_string_numbers_as_floats() -> None:
    meta, ctxs = META_AND_ASSET_CTXS_DECODER.decode(_saved("metaAndAssetCtxs_mainnet.json"))
    assert len(meta.universe) == len(ctxs) == 227
    assert meta.universe[0].name == "BTC" and meta.universe[0].szDecimals == 5
    assert ctxs[0].impactPxs == (91026.0, 91030.2)


def _universe_reply(**ctx_fields: object) -> bytes:
    ctx = {"dayNtlVlm": "1.0", "openInterest": "2.0", "markPx": "3.0", "oraclePx": "3.0", "prevDayPx": "3.0"}
    asset = {"name": "X", "szDecimals": 2, "maxLeverage": 3}
    return json.dumps([{"universe": [asset]}, [{**ctx, **ctx_fields}]]).encode()


@pytest.mark.parametrize(
    ("field", "value"), [("markPx", "-1"), ("dayNtlVlm", "NaN"), ("midPx", "0"), ("funding", "1e9")]
)
def test_a_context_number_out_of_bounds_is_refused_naming_its_field(field: str, value: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=field):
        META_AND_ASSET_CTXS_DECODER.decode(_universe_reply(**{field: value}))


def test_sz_decimals_beyond_the_price_rule_is_refused() -> None:
    reply = json.dumps([{"universe": [{"name": "X", "szDecimals": 7, "maxLeverage": 3}]}, []]).encode()
    with pytest.raises(msgspec.ValidationError, match="szDecimals"):
        META_AND_ASSET_CTXS_DECODER.decode(reply)


def test_the_l2book_reply_is_the_market_data_l2_struct() -> None:
    raw = _saved("l2Book_DYDX_2023.json")
    book = L2BOOK_REPLY_DECODER.decode(raw)
    assert isinstance(book, L2BookData)
    assert book == decode_l2book(raw)  # the WS decoder reads the REST reply the same way
    assert (book.levels[0][0].px, book.levels[1][0].px) == ("2.111", "2.1124")


def test_an_l2book_reply_without_levels_is_refused() -> None:
    with pytest.raises(msgspec.ValidationError, match="levels"):
        L2BOOK_REPLY_DECODER.decode(b'{"coin": "ETH", "time": 1}')


def test_candles_decode_and_a_negative_price_is_refused() -> None:
    candles = CANDLES_DECODER.decode(_saved("candleSnapshot_kPEPE_1h_2023.json"))
    assert len(candles) > 20 and candles[0].s == "kPEPE" and candles[0].c > 0
    bad = {"t": 0, "T": 1, "s": "X", "i": "1m", "o": "1", "c": "1", "h": "1", "l": "-1", "v": "0"}
    with pytest.raises(msgspec.ValidationError, match=r"\$\[0\]\.l"):
        CANDLES_DECODER.decode(json.dumps([bad]).encode())
