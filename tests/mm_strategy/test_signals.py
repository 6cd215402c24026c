"""Signals: realized vol, OFI, trade-flow imbalance, micro-move detector."""

import itertools
import math

import pytest

from mm_strategy.signals.flow import MicroMoveDetector
from mm_strategy.signals.flow import OrderFlowImbalance
from mm_strategy.signals.flow import TradeFlowImbalance
from mm_strategy.signals.flow import ofi_event
from mm_strategy.signals.volatility import RealizedVol
from mm_strategy.signals.volatility import Regime
from mm_strategy.signals.volatility import RegimeTable

S = 1_000_000_000


def test_realized_vol_of_alternating_returns_matches_the_formula() -> None:
    rv = RealizedVol(interval_ns=S, window=10)
    mids = [100.0, 100.01, 100.0, 100.01, 100.0, 100.01]
    for i, m in enumerate(mids):
        rv.update(i * S, m)
    rv.update(len(mids) * S, 100.0)
    rets = [math.log(b / a) for a, b in itertools.pairwise(mids)]
    mean = sum(rets) / len(rets)
    expected = math.sqrt(sum((r - mean) ** 2 for r in rets) / (len(rets) - 1)) * 1e4
    assert rv.vol_bps() == pytest.approx(expected)


def test_realized_vol_samples_on_the_grid_not_per_event() -> None:
    busy = RealizedVol(interval_ns=S, window=50)
    quiet = RealizedVol(interval_ns=S, window=50)
    for i in range(20):
        for j in range(10):  # ten events a second, the mid only changes on the second
            busy.update(i * S + j * S // 10, 100.0 + (i % 2) * 0.01)
        quiet.update(i * S, 100.0 + (i % 2) * 0.01)
    busy.update(20 * S, 100.0)
    quiet.update(20 * S, 100.0)
    assert busy.vol_bps() == pytest.approx(quiet.vol_bps())


def test_flat_market_has_zero_vol_and_is_calm() -> None:
    rv = RealizedVol(interval_ns=S, window=5)
    for i in range(6):
        rv.update(i * S, 100.0)
    assert rv.vol_bps() == 0.0
    assert RegimeTable().classify(0.0) is Regime.CALM
    assert RegimeTable().classify(10.0) is Regime.EXTREME


def test_ofi_event_follows_cont_kukanov_stoikov() -> None:
    # same prices: bid size +3, ask size +1 → e = 3 - 1 = +2
    assert ofi_event(100, 5, 101, 5, 100, 8, 101, 6) == pytest.approx(2.0)
    # bid drops a level: the old bid queue (5) left → -5
    assert ofi_event(100, 5, 101, 5, 99, 7, 101, 5) == pytest.approx(-5.0)
    # ask improves (down): new ask size arrives at the ask → -4
    assert ofi_event(100, 5, 101, 5, 100, 5, 100.5, 4) == pytest.approx(-4.0)


def test_ofi_turns_strongly_negative_when_bids_drain_and_asks_build() -> None:
    ofi = OrderFlowImbalance(window_ns=S, min_events=3)
    bid_sz, ask_sz = 10.0, 10.0
    for i in range(6):
        bid_sz -= 1.5
        ask_sz += 1.5
        ofi.update(i * S // 10, 100.0, bid_sz, 101.0, ask_sz)
    assert ofi.value() == pytest.approx(-1.0)


def test_ofi_forgets_flow_older_than_its_window() -> None:
    ofi = OrderFlowImbalance(window_ns=S, min_events=1)
    ofi.update(0, 100.0, 10.0, 101.0, 10.0)
    ofi.update(1, 100.0, 5.0, 101.0, 10.0)
    assert ofi.value() == pytest.approx(-1.0)
    ofi.update(5 * S, 100.0, 5.0, 101.0, 10.0)
    assert ofi.value() is None


def test_trade_flow_imbalance() -> None:
    tfi = TradeFlowImbalance(window_ns=S, min_trades=2)
    tfi.update(0, 3.0, True)
    tfi.update(1, 1.0, False)
    assert tfi.value() == pytest.approx(0.5)
    assert tfi.value(ts_ns=10 * S) is None


def test_micro_move_fires_on_a_fast_move_only() -> None:
    det = MicroMoveDetector(window_ns=S // 2, threshold_bps=5.0)
    assert det.update(0, 100.0) is None
    assert det.update(S // 10, 100.03) is None  # 3 bps
    assert det.update(S // 5, 100.07) == pytest.approx(7.0)  # 7 bps within 200 ms
    slow = MicroMoveDetector(window_ns=S // 2, threshold_bps=5.0)
    for i in range(10):  # the same 7 bps over 5 s
        assert slow.update(i * S // 2, 100.0 + i * 0.008) is None


def test_micro_move_detects_drops_with_a_negative_sign() -> None:
    det = MicroMoveDetector(window_ns=S, threshold_bps=5.0)
    det.update(0, 100.0)
    assert det.update(1, 99.9) == pytest.approx(-10.0)
