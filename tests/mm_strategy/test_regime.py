"""The regime governor on real data (ETH, 2025-09-04): a volatile stretch widens the ladder through
the governor, by realized vol and by ATR each, and a calm one narrows it back; the hysteresis
keeps vol hovering at a bound from flipping the regime on every evaluation."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import msgspec
import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog

import run_backtest
from backtest import runner
from backtest import window
from catalog import shipped_data
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta
from mm_strategy.governor import RegimeGovernor
from mm_strategy.market_maker import MarketMaker
from mm_strategy.signals.volatility import Regime
from mm_strategy.signals.volatility import RegimeHysteresis

S = 1_000_000_000
ETH = "ETH-USD-PERP.HYPERLIQUID"


def _ns(hms: str) -> int:
    return int(datetime.fromisoformat(f"2025-09-04T{hms}+00:00").astimezone(UTC).timestamp() * S)


class _Recording(MarketMaker):
    """The strategy, noting the spread multiplier it quotes with and its L1 bid's distance from mid."""

    def __init__(self, config) -> None:
        super().__init__(config)
        self.widths: list[tuple[int, float, float | None]] = []

    def update_quotes(self, ts_ns: int) -> None:
        super().update_quotes(ts_ns)
        book = self.cache.order_book(self.instrument_id)
        mid = book.midpoint() if book is not None else None
        bids = [px for side, level, px, _ in self.resting_orders() if side == "BUY" and level == 1]
        dist = (float(mid) - bids[0]) / float(mid) * 1e4 if bids and mid is not None else None
        self.widths.append((ts_ns, self._quote_mult, dist))


@pytest.fixture(scope="module")
def eth_catalog(tmp_path_factory: pytest.TempPathFactory, hl_data) -> ParquetDataCatalog:
    directory = tmp_path_factory.mktemp("eth_20250904")
    ingest_files([shipped_data.four_coin_capture("ETH")], directory, meta=shipped_meta())
    return ParquetDataCatalog(str(directory))


def _run(catalog: ParquetDataCatalog, start: str, end: str, **governor) -> tuple[_Recording, RegimeGovernor]:
    """The default config's strategy and governor (edge check and action rate off: the ladder is to
    be seen) over ETH from `start` to `end`, with the governor settings given."""
    settings = runner.load_settings(run_backtest.DEFAULT_CONFIG)
    gov = {**(settings.governor or {}), "edge_check_enabled": False, "action_rate_enabled": False,
           "c2f_threshold": 1e9, **governor}
    settings = msgspec.structs.replace(settings, governor=gov, risk_guard=None)
    spec = runner.RunSpec("eth", ETH, start=f"2025-09-04T{start}Z", end=f"2025-09-04T{end}Z")
    run = runner.window_of(settings, spec)
    inst = runner.instrument_for_tier(catalog, ETH, settings.fee_tier)
    engine = runner.make_engine([inst], settings.latency_ms, settings.starting_usdc, log_level="OFF")
    mm = _Recording(runner.strategy_config(settings, ETH, run.start_ns))
    governor_actor = RegimeGovernor(runner.governor_config(settings, ETH))
    engine.add_strategy(mm)
    engine.add_actor(governor_actor)
    runner.replay(engine, window.stream(catalog, run))
    return mm, governor_actor


def _mults(mm: _Recording, start: str, end: str) -> list[float]:
    lo, hi = _ns(start), _ns(end)
    return [m for ts, m, _ in mm.widths if lo <= ts < hi]


def _l1(mm: _Recording, start: str, end: str) -> list[float]:
    lo, hi = _ns(start), _ns(end)
    return [d for ts, _, d in mm.widths if lo <= ts < hi and d is not None]


def _median(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[len(xs) // 2]


@pytest.mark.slow
def test_a_volatile_stretch_widens_the_ladder_by_realized_vol_and_a_calm_one_narrows_it_back(eth_catalog) -> None:
    # 20:00:48 the 1-s realized vol passes 2 bps (volatile: spread ×2); by 20:02 it is back under.
    # ATR is set out of reach: the vol alone decides.
    mm, _ = _run(eth_catalog, "19:58:00", "20:06:00", atr_volatile_bps=1e9, atr_extreme_bps=1e9)
    assert any("regime volatile" in e.reason for e in mm.guard_events)
    assert max(_mults(mm, "20:00:40", "20:01:40")) == 2.0
    assert set(_mults(mm, "19:58:00", "20:00:40")) == {1.0}
    assert set(_mults(mm, "20:03:30", "20:06:00")) == {1.0}  # narrowed back
    assert _median(_l1(mm, "20:01:00", "20:01:40")) > 1.5 * _median(_l1(mm, "20:04:00", "20:06:00"))


@pytest.mark.slow
def test_a_volatile_stretch_widens_the_ladder_by_atr_and_a_calm_one_narrows_it_back(eth_catalog) -> None:
    # Realized vol set out of reach (always "normal"); the 3-minute ATR of 1-minute bars passes
    # 11 bps at 20:01 (22.5) and falls back under it by 20:04:30 (10.8, then the 30 s release).
    mm, _ = _run(eth_catalog, "19:58:00", "20:20:00", calm_below_bps=0.0, normal_below_bps=1e6,
                   volatile_below_bps=1e6, atr_period=3, atr_volatile_bps=11.0)
    reasons = [e.reason for e in mm.guard_events if e.guard == "regime"]
    assert any(r.startswith("regime volatile") for r in reasons)
    assert set(_mults(mm, "20:01:10", "20:04:00")) == {2.0}
    assert set(_mults(mm, "19:58:00", "20:00:55")) == {1.0}
    assert set(_mults(mm, "20:07:00", "20:15:30")) == {1.0}  # narrowed back
    assert _median(_l1(mm, "20:01:30", "20:04:00")) > 1.5 * _median(_l1(mm, "20:07:00", "20:15:30"))


@pytest.mark.slow
def test_hysteresis_keeps_vol_at_a_bound_from_flipping_the_regime(eth_catalog) -> None:
    # From 20:04 the vol hovers at the 0.5 bps calm/normal bound: without hysteresis the regime
    # flips a dozen times; with the default 30 s release only a lower reading that holds counts.
    window_ = ("20:04:00", "20:20:00")
    flappy, _ = _run(eth_catalog, *window_, regime_release_ms=0, atr_volatile_bps=1e9, atr_extreme_bps=1e9)
    steady, _ = _run(eth_catalog, *window_, atr_volatile_bps=1e9, atr_extreme_bps=1e9)
    lo = _ns(window_[0])
    flips = [e for e in flappy.guard_events if e.guard == "regime" and e.ts_ns >= lo]
    held = [e for e in steady.guard_events if e.guard == "regime" and e.ts_ns >= lo]
    assert len(flips) >= 8
    assert len(held) <= len(flips) // 3


def test_the_regime_goes_up_at_once() -> None:
    h = RegimeHysteresis(30 * S)
    assert h.update(0, Regime.VOLATILE) is Regime.VOLATILE


def test_the_regime_goes_down_only_after_the_lower_reading_held_for_the_release() -> None:
    h = RegimeHysteresis(30 * S, initial=Regime.VOLATILE)
    assert h.update(0, Regime.NORMAL) is Regime.VOLATILE
    assert h.update(29 * S, Regime.NORMAL) is Regime.VOLATILE
    assert h.update(30 * S, Regime.NORMAL) is Regime.NORMAL


def test_a_higher_reading_during_the_wait_restarts_it() -> None:
    h = RegimeHysteresis(30 * S, initial=Regime.VOLATILE)
    h.update(0, Regime.CALM)
    h.update(20 * S, Regime.VOLATILE)  # back up: the wait starts over
    assert h.update(40 * S, Regime.CALM) is Regime.VOLATILE
    assert h.update(70 * S, Regime.CALM) is Regime.CALM


def test_it_goes_down_to_the_highest_lower_regime_read_while_waiting() -> None:
    h = RegimeHysteresis(30 * S, initial=Regime.EXTREME)
    h.update(0, Regime.CALM)
    h.update(10 * S, Regime.VOLATILE)
    assert h.update(30 * S, Regime.CALM) is Regime.VOLATILE
