"""The market data a shadow node sees on an hlsim replay, as backtest data.

hlsim replays a WS capture by applying its `l2Book` snapshots and `bbo` frames to its own book
(depth messages wait for their block's trades) and re-publishing the result: an `l2Book` after
every book change and the trades as they print. The shadow node's strategy and execution client
see that stream, not the catalog's diffs of the recorded 20-level snapshots (where a `bbo` frame
never moves the book). To compare shadow and backtest fills on the *same* input, this module runs
the same replay offline (hlsim's own `Replayer` and engine, no sockets, no pacing) and turns what
its listener publishes into true book deltas (diffs of the 20-level book, like the catalog),
trade ticks and bbo quote ticks, stamped with the capture's receive time of the record that
caused them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from backtest.scripted import ScriptedBook
from hlsim.engine.exchange import NullListener

BOOK_DEPTH = 20  # levels a side of a non-`fast` l2Book


class _Recorder(NullListener):
    """hlsim listener: collects what a WS subscriber to the coin's l2Book and trades would get
    (the user channels are of no interest here: NullListener ignores them)."""

    def __init__(self, coin: str, instrument: CryptoPerpetual, engine_ref: list[Any]) -> None:
        self.coin = coin
        self.instrument = instrument
        self.book = ScriptedBook(instrument)
        self.engine_ref = engine_ref
        self.now_ns = 0
        self.out: list[Any] = []
        self._started = False
        self._top: tuple[float, float, float, float] | None = None

    def book_changed(self, coin: str) -> None:
        if coin != self.coin:
            return
        bids, asks = self.engine_ref[0].l2_levels(coin, BOOK_DEPTH)
        bid_map = {float(px): float(sz) for px, sz, _ in bids}
        ask_map = {float(px): float(sz) for px, sz, _ in asks}
        if not self._started:
            if not bid_map or not ask_map:
                return
            self.out += self.book.snapshot(self.now_ns, bid_map, ask_map)
            self._started = True
        else:
            self.out += self.book.update(self.now_ns, bid_map, ask_map)
        if bids and asks:
            top = (float(bids[0][0]), float(bids[0][1]), float(asks[0][0]), float(asks[0][1]))
            if top != self._top:
                self._top = top
                inst = self.instrument
                self.out.append(QuoteTick(
                    inst.id, Price(top[0], inst.price_precision), Price(top[2], inst.price_precision),
                    Quantity(top[1], inst.size_precision), Quantity(top[3], inst.size_precision),
                    self.now_ns, self.now_ns,
                ))

    def trades(self, coin: str, trades: list[dict[str, Any]]) -> None:
        if coin != self.coin or not self._started:
            return
        for t in trades:
            self.out.append(self.book.trade(self.now_ns, float(t["px"]), float(t["sz"]), buyer_aggressor=t["side"] == "B"))


def shadow_view_data(capture: Path, instrument: CryptoPerpetual, coin: str, sz_decimals: int) -> list[Any]:
    """Book deltas, trade ticks and quote ticks a shadow node receives when hlsim replays `capture`."""
    from hlsim.config import HlSimConfig
    from hlsim.engine.exchange import SimExchange
    from hlsim.replay.recording import HOLD_NS
    from hlsim.replay.recording import Replayer

    engine_ref: list[Any] = []
    recorder = _Recorder(coin, instrument, engine_ref)
    engine = SimExchange(HlSimConfig(coins={coin: sz_decimals}, ip_weight_per_min=None), recorder)
    engine_ref.append(engine)
    replayer = Replayer(engine)
    last_ns: int | None = None
    for recv_ns, channel, data in replayer.records(Path(capture)):
        if recv_ns is not None:
            if last_ns is not None and replayer._held and recv_ns - last_ns > HOLD_NS:
                # Paced replay (`Replayer._run_once`): held depth waits at most HOLD_NS for a quiet spell.
                recorder.now_ns = last_ns + HOLD_NS
                replayer.finish()
            recorder.now_ns = last_ns = recv_ns
        replayer.feed(recv_ns, channel, data)
    replayer.finish()
    return recorder.out
