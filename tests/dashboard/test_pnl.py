"""The live PnL split and markouts are the backtest report's figures (`backtest.reporting.metrics`)."""

from __future__ import annotations

import random

import pytest

from backtest.reporting.metrics import Fill
from backtest.reporting.metrics import compute
from backtest.reporting.metrics import markouts
from dashboard.pnl import FillJournal
from dashboard.pnl import MidSeries
from dashboard.pnl import PnlSplit

S = 1_000_000_000


def random_run(seed: int, n_fills: int = 40) -> tuple[list[Fill], list[int], list[float]]:
    rng = random.Random(seed)
    times, mids = [], []
    mid = 3000.0
    for i in range(600):  # 60 s of mids every 100 ms
        mid += rng.gauss(0, 0.3)
        times.append(i * S // 10)
        mids.append(mid)
    fills = []
    for ts in sorted(rng.randrange(0, 50 * S) for _ in range(n_fills)):
        m = mids[ts * 10 // S]
        side = rng.choice(("BUY", "SELL"))
        px = m - 0.5 if side == "BUY" else m + 0.5
        fills.append(Fill(ts, side, rng.randint(1, 3), px, rng.uniform(0.01, 0.1), rng.uniform(0, 0.01), True, m))
    return fills, times, mids


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_running_split_equals_the_reports_split_marked_at_the_current_mid(seed: int) -> None:
    fills, times, mids = random_run(seed)
    split = PnlSplit()
    for fill in fills:
        split.add(fill)
    report = compute(fills, times, mids, orders_submitted=1, orders_filled=1, actions=1)
    live = split.at(mids[-1])
    assert live["spread_capture"] == pytest.approx(report.spread_capture, rel=1e-9, abs=1e-9)
    assert live["inventory"] == pytest.approx(report.inventory_pnl, rel=1e-9, abs=1e-9)
    assert live["fees"] == pytest.approx(report.fees, rel=1e-12)
    assert live["total"] == pytest.approx(report.total_pnl, rel=1e-9, abs=1e-9)
    assert split.position == pytest.approx(report.final_position)


def test_a_buy_below_mid_captures_spread_and_pays_its_fee() -> None:
    split = PnlSplit()
    split.add(Fill(0, "BUY", 1, 99.0, 2.0, 0.03, True, 100.0))
    assert split.at(101.0) == {"spread_capture": 2.0, "inventory": 2.0, "fees": 0.03, "total": pytest.approx(3.97)}


def test_a_position_carried_in_counts_as_inventory_from_its_mid_without_spread_or_fees() -> None:
    split = PnlSplit()
    split.carry_in(-3.0, 100.0)
    split.add(Fill(0, "BUY", 1, 99.0, 1.0, 0.01, True, 100.0))
    assert split.position == -2.0
    assert split.at(98.0) == {"spread_capture": 1.0, "inventory": 4.0, "fees": 0.01, "total": pytest.approx(4.99)}


def test_markouts_mature_at_their_horizons_with_the_reports_values() -> None:
    fills, times, mids = random_run(7, n_fills=10)
    journal = FillJournal(keep=100)
    series = MidSeries()
    for fill in fills:
        journal.add(fill)
    for ts, mid in zip(times, mids, strict=True):
        series.add(ts, mid)
    journal.mature(series)
    last = times[-1]
    for record in journal.recent:
        for h, value in record.markouts.items():
            if record.fill.ts_ns + h * S > last:
                assert value is None, "not yet mature"
                continue
            report = markouts([record.fill], times, mids)[record.fill.side][h]
            assert value == pytest.approx(report)


def test_a_fill_stays_pending_until_the_mid_series_passes_its_horizon() -> None:
    journal = FillJournal()
    series = MidSeries()
    record = journal.add(Fill(10 * S, "SELL", 1, 101.0, 1.0, 0.0, True, 100.0))
    series.add(10 * S, 100.0)
    series.add(11 * S - 1, 100.5)
    journal.mature(series)
    assert record.markouts == {1: None, 5: None, 30: None}
    series.add(11 * S, 99.0)
    journal.mature(series)
    # A sell at 101 with the mid at 99 one second later: +198 bps for us.
    assert record.markouts[1] == pytest.approx((101.0 - 99.0) / 101.0 * 1e4)
    assert record.markouts[5] is None and not record.mature


def test_the_mid_series_keeps_only_what_the_longest_horizon_needs() -> None:
    series = MidSeries(keep_ns=10 * S)
    for i in range(100):
        series.add(i * S, float(i))
    assert series.at(99 * S) == 99.0
    assert series.at(89 * S) == 89.0
    assert series.at(50 * S) is None  # dropped: older than the horizon needs
    series.add(98 * S, -1.0)  # out of order: ignored
    assert series.at(99 * S) == 99.0
