"""The MarketMaker reads the instrument's net position from the portfolio only after a position
event (not on every book event); the position it quotes on must still be the portfolio's at every
book event: after its own fills and after another strategy's on the same instrument.
"""

from __future__ import annotations

from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from tests.mm_strategy.test_scenarios import uptrend


class _Checked(MarketMaker):
    """Notes, at every book event, the position it quotes on and the portfolio's."""

    def update_quotes(self, ts_ns: int) -> None:
        self.seen = getattr(self, "seen", [])
        self.seen.append((self._position(), float(self.portfolio.net_position(self.instrument_id))))
        super().update_quotes(ts_ns)


def _run(*spreads_bps: float) -> tuple[list[_Checked], float, list[float]]:
    """One strategy per spread; the strategies, the final net position and each one's own position."""
    inst = scripted_perp()
    mms = [_Checked(MarketMakerConfig(
        instrument_id=str(inst.id), order_id_tag=f"00{i}", base_spread_bps=spread, level_spacing_ticks=2,
        order_size_usd=20.0, max_inventory_usd=1_000.0,
    )) for i, spread in enumerate(spreads_bps)]
    engine = make_engine([inst], latency_ms=100.0, starting_usdc=10_000.0)
    engine.add_data(uptrend(inst, steps=40))
    for mm in mms:
        engine.add_strategy(mm)
    engine.run()
    final = float(engine.portfolio.net_position(inst.id))
    own = [sum(float(p.signed_qty) for p in engine.cache.positions(strategy_id=mm.id)) for mm in mms]
    engine.dispose()
    return mms, final, own


def test_after_its_own_fills_it_quotes_on_the_portfolios_position() -> None:
    (mm,), final, _ = _run(4.0)
    assert final < 0  # its asks filled
    assert len({portfolio for _, portfolio in mm.seen}) > 2  # the position changed several times
    assert all(quoted == portfolio for quoted, portfolio in mm.seen)


def test_another_strategys_fills_on_the_instrument_change_the_position_it_quotes_on() -> None:
    # The first quotes 80 bps wide: the trades never reach its asks; the second's fill.
    (wide, _tight), final, own = _run(80.0, 4.0)
    assert own == [0.0, final] and final < 0
    assert any(portfolio != 0.0 for _, portfolio in wide.seen)
    assert all(quoted == portfolio for quoted, portfolio in wide.seen)
