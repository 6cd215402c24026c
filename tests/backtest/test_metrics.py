"""Report metrics: the PnL split adds up, markouts and maker share are computed per side."""

import pytest

from backtest.reporting.metrics import Fill
from backtest.reporting.metrics import compute
from backtest.reporting.metrics import equity_curve

S = 1_000_000_000


def _fills() -> list[Fill]:
    return [
        Fill(1 * S, "BUY", 1, 99.9, 1.0, 0.015, True, 100.0),
        Fill(2 * S, "SELL", 2, 100.3, 1.0, 0.015, True, 100.1),
        Fill(3 * S, "BUY", 3, 99.5, 2.0, 0.03, True, 99.7),
    ]


def test_pnl_split_adds_up_to_cash_plus_marked_position_minus_fees() -> None:
    times = [0, 1 * S, 2 * S, 3 * S, 40 * S]
    mids = [100.0, 100.0, 100.1, 99.7, 99.0]
    m = compute(_fills(), times, mids, orders_submitted=6, orders_filled=3, actions=12)
    cash = -99.9 + 100.3 - 2 * 99.5
    fees = 0.06
    assert m.total_pnl == pytest.approx(cash + 2.0 * 99.0 - fees)
    assert m.spread_capture == pytest.approx(0.1 + 0.2 + 0.4)
    assert m.fees == pytest.approx(fees)
    assert m.spread_capture + m.inventory_pnl - m.fees == pytest.approx(m.total_pnl)
    assert m.maker_share == 1.0
    assert m.fills_per_level == {1: 1, 2: 1, 3: 1}
    assert m.fill_rate == 0.5
    assert m.cancel_to_fill == 4.0
    assert m.final_position == pytest.approx(2.0)


def test_markouts_are_signed_per_side() -> None:
    fills = [Fill(1 * S, "BUY", 1, 100.0, 1.0, 0.0, True, 100.0), Fill(1 * S, "SELL", 1, 100.0, 1.0, 0.0, True, 100.0)]
    times = [0, 1 * S, 2 * S, 6 * S, 31 * S]
    mids = [100.0, 100.0, 100.1, 100.1, 100.1]
    m = compute(fills, times, mids, orders_submitted=2, orders_filled=2, actions=2)
    assert m.markouts_bps["BUY"][1] == pytest.approx(10.0)
    assert m.markouts_bps["SELL"][1] == pytest.approx(-10.0)
    assert m.markouts_bps["BUY"][30] == pytest.approx(10.0)


def test_equity_curve_and_taker_fills_lower_the_maker_share() -> None:
    fills = [Fill(1 * S, "BUY", 1, 100.0, 1.0, 0.0, True, 100.0), Fill(2 * S, "SELL", 0, 99.0, 1.0, 0.05, False, 99.0)]
    curve = equity_curve(fills, [0, S, 2 * S], [100.0, 100.0, 99.0])
    assert list(curve) == pytest.approx([0.0, 0.0, -1.05])
    m = compute(fills, [0, S, 2 * S], [100.0, 100.0, 99.0], orders_submitted=2, orders_filled=2, actions=2)
    assert m.maker_share == pytest.approx(100.0 / 199.0)
    assert m.max_drawdown == pytest.approx(1.05)
