"""The report of one run counts only its own instrument's orders and fills, even when the engine
(or a shadow node) trades several instruments."""

from __future__ import annotations

import pytest

from backtest.reporting import report
from backtest.runner import BacktestSettings
from backtest.runner import RunSpec
from backtest.runner import Session
from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig

S = 1_000_000_000


def _market(inst, bid: float, ask: float, step: float, sell_through: float, buy_through: float) -> list:
    """A still book with sellers and buyers trading through the ladders every few seconds."""
    book = ScriptedBook(inst)
    data = book.snapshot(0, *ladder_book(bid, ask, step, 5.0))
    for i in range(1, 60):
        t = i * S // 2
        data += book.update(t, *ladder_book(bid, ask, step, 5.0 + i % 2))
        if i % 10 == 3:
            data.append(book.trade(t + 1, sell_through, 0.5, buyer_aggressor=False))
        if i % 10 == 8:
            data.append(book.trade(t + 1, buy_through, 0.5, buyer_aggressor=True))
    return data


def test_a_two_instrument_run_reports_each_instruments_own_orders_and_pnl() -> None:
    eth = scripted_perp("ETH", sz_decimals=4)
    btc = scripted_perp("BTC", sz_decimals=5)
    engine = make_engine([eth, btc], latency_ms=100.0, starting_usdc=10_000.0)
    engine.add_data(_market(eth, 2999.9, 3000.0, 0.1, 2997.0, 3003.0))
    engine.add_data(_market(btc, 41_999.0, 42_000.0, 1.0, 41_950.0, 42_050.0))
    strategies = []
    for inst, order_usd in ((eth, 20.0), (btc, 30.0)):
        mm = MarketMaker(MarketMakerConfig(
            instrument_id=str(inst.id), base_spread_bps=5.0, level_spacing_ticks=2, order_size_usd=order_usd,
            max_inventory_usd=500.0,
        ))
        engine.add_strategy(mm)
        strategies.append(mm)
    engine.run()

    runs = [RunSpec(name=s.instrument_id.symbol.value, instrument=str(s.instrument_id)) for s in strategies]
    settings = BacktestSettings(runs=runs, governor=None, risk_guard=None)
    reports = [
        report.build(Session(spec=spec, instrument=inst, engine=engine, strategy=mm, governor=None, risk_guard=None,
                             data_events=0, wall_s=1.0, quote_from_ns=0, settings=settings))
        for spec, inst, mm in zip(runs, (eth, btc), strategies, strict=True)
    ]
    total_orders = len(engine.cache.orders())
    for r, mm in zip(reports, strategies, strict=True):
        assert r.metrics.fills > 0  # both instruments traded
        assert r.metrics.orders_submitted == mm.actions["submit"] < total_orders
        assert r.metrics.fills == len(mm.fills)
        # the engine-side figure is this instrument's alone and agrees with the journal's PnL
        assert r.engine_pnl == pytest.approx(r.metrics.total_pnl, abs=1e-6)
    assert reports[0].metrics.orders_submitted + reports[1].metrics.orders_submitted == total_orders
    engine.dispose()
