"""Deterministic synthetic `/info` replies for the whole universe (benchmarks; never the live path).

The real `metaAndAssetCtxs` reply plus, for every listed perp, an `l2Book` (20 levels a side on
the coin's real tick grid) and 72 hourly candles whose returns come from a few sector factors
(so correlation clustering has real work), all held as JSON bytes like the exchange's replies.
"""

from __future__ import annotations

import json
import math

import numpy as np

from adapters.hyperliquid.common.prices import price_tick_float
from adapters.hyperliquid.schemas.info import Candle
from adapters.hyperliquid.schemas.info import L2BookReply
from screener.info_client import InfoUnavailable
from screener.info_client import Universe
from screener.info_client import decode_candles
from screener.info_client import decode_l2_book
from screener.info_client import decode_universe

HOUR_MS = 3_600_000
N_CANDLES = 72


def _fmt(x: float, tick: float) -> str:
    decimals = max(0, -math.floor(math.log10(tick) + 1e-9))
    return f"{x:.{decimals}f}"


class SyntheticInfoSource:
    """In-memory `/info` replies as bytes: the real universe, synthesized books and candles."""

    def __init__(self, universe_raw: bytes, now_ms: int, seed: int = 6) -> None:
        self._universe_raw = universe_raw
        uni = decode_universe(universe_raw)
        rng = np.random.default_rng(seed)
        self._book_replies: dict[str, bytes] = {}
        self._candle_replies: dict[str, bytes] = {}
        factors = rng.normal(0, 1, size=(6, N_CANDLES))
        for asset, ctx in zip(uni.assets, uni.ctxs, strict=True):
            if ctx.midPx is None:
                continue
            tick = price_tick_float(ctx.midPx, asset.szDecimals)
            spread_ticks = int(rng.integers(1, 60))
            bid = math.floor(ctx.midPx / tick) * tick
            ask = bid + spread_ticks * tick
            levels = [
                [
                    {"px": _fmt(bid - i * tick, tick), "sz": f"{rng.uniform(1, 500):.2f}", "n": 1}
                    for i in range(20)
                ],
                [
                    {"px": _fmt(ask + i * tick, tick), "sz": f"{rng.uniform(1, 500):.2f}", "n": 1}
                    for i in range(20)
                ],
            ]
            self._book_replies[asset.name] = json.dumps(
                {"coin": asset.name, "time": now_ms, "levels": levels}
            ).encode()
            sector = int(rng.integers(0, len(factors)))
            vol = rng.uniform(0.002, 0.02)
            rets = vol * (0.9 * factors[sector] + 0.45 * rng.normal(0, 1, N_CANDLES))
            closes = ctx.midPx * np.exp(np.cumsum(rets))
            start = now_ms - N_CANDLES * HOUR_MS
            rows = []
            prev = ctx.midPx
            for i, close in enumerate(closes.tolist()):
                hi, lo = max(prev, close) * 1.001, min(prev, close) * 0.999
                rows.append(
                    {
                        "t": start + i * HOUR_MS,
                        "T": start + (i + 1) * HOUR_MS - 1,
                        "s": asset.name,
                        "i": "1h",
                        "o": repr(prev),
                        "c": repr(close),
                        "h": repr(hi),
                        "l": repr(lo),
                        "v": "1000.0",
                        "n": 10,
                    }
                )
                prev = close
            self._candle_replies[asset.name] = json.dumps(rows).encode()

    def describe(self) -> str:
        return "synthetic"

    def close(self) -> None:
        """Nothing to release: the replies are in memory."""

    @property
    def coins(self) -> list[str]:
        """Coins with a synthesized book and candles (every perp with a mid price)."""
        return list(self._book_replies)

    def universe(self) -> Universe:
        return decode_universe(self._universe_raw)

    def l2_book(self, coin: str) -> L2BookReply:
        if coin not in self._book_replies:
            raise InfoUnavailable(coin)
        return decode_l2_book(self._book_replies[coin], coin)

    def candles(self, coin: str, interval: str, start_ms: int, end_ms: int) -> list[Candle]:
        if coin not in self._candle_replies:
            raise InfoUnavailable(coin)
        return decode_candles(self._candle_replies[coin], coin)
