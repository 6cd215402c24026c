"""The soft exit's orders are reduce-only, and the ladder's are not: a modify keeps an order's flag,
so a change of mode cancels what rests and places afresh (review 9)."""

from __future__ import annotations

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import scripted_perp
from mm_strategy import messages as msg
from tests.mm_strategy.test_guards import STEP
from tests.mm_strategy.test_guards import S
from tests.mm_strategy.test_guards import _mm
from tests.mm_strategy.test_guards import _run


class _ReduceOnlyWindowConfig(ActorConfig, frozen=True):
    instrument_id: str
    from_ns: int
    until_ns: int


class ReduceOnlyWindow(Actor):
    """Holds the strategy reduce-only from `from_ns` to `until_ns`, as the RiskGuard's capital check would."""

    def on_start(self) -> None:
        c = self.config
        self.clock.set_time_alert_ns("reduce_only", c.from_ns, lambda e: self._send(msg.ReduceOnly("test", "window")))
        self.clock.set_time_alert_ns("resume", c.until_ns, lambda e: self._send(msg.Resume("test")))

    def _send(self, message: object) -> None:
        self.msgbus.publish(msg.control_topic(self.config.instrument_id), message)


def _market_that_fills_a_bid(inst, seconds: int) -> list:
    """A still book, 3000.0 / 3000.1, and at 5 s a sell sweeping down to 2990: our bids fill."""
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    for i in range(4, seconds * 2):
        data += book.update(i * S // 2, *ladder_book(3000.0, 3000.1, STEP, 5.0 + i % 2))
    data.append(book.trade(5 * S + 1, 2990.0, 50.0, buyer_aggressor=False))
    return sorted(data, key=lambda d: d.ts_init)


def test_orders_are_reduce_only_exactly_while_the_soft_exit_holds() -> None:
    inst = scripted_perp()
    mm = _mm(inst)
    window = ReduceOnlyWindow(_ReduceOnlyWindowConfig(instrument_id=str(inst.id), from_ns=10 * S, until_ns=20 * S))
    engine = _run(inst, _market_that_fills_a_bid(inst, seconds=30), mm, window)
    orders = engine.cache.orders(strategy_id=mm.id)
    held = [q for t, q in mm.inventory if 10 * S <= t <= 20 * S]
    assert held and min(held) > 0  # long through the window: the soft exit quotes asks
    exit_orders = [o for o in orders if 10 * S < o.ts_init < 20 * S]
    assert exit_orders and all(o.is_reduce_only and o.side.name == "SELL" for o in exit_orders)
    assert not any(o.is_reduce_only for o in orders if not 10 * S < o.ts_init < 20 * S)
    # None of the exit's orders is carried into the ladder after it: each was cancelled (or filled).
    assert all(o.is_closed for o in exit_orders)
