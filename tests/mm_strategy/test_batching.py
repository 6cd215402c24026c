"""One book event's actions as few commands as Nautilus allows (issue 18).

With `batch_actions` (the default) a plan's cancels go as one `cancel_orders`, the cancels of
quotes the market now crosses first, then its modifies, then its new orders as one list; off,
each cancel and modify is issued as the plan reaches it. Either way the same actions are sent.
Scripted books through the BacktestEngine (as tests/mm_strategy/test_planning.py).
"""

from __future__ import annotations

import pytest

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.quoting.requote import crossed_by_market
from mm_strategy.quoting.requote import urgent_first

S = 1_000_000_000
MS = 1_000_000
OFFSET = 137 * MS


class _Recording(MarketMaker):
    """Notes every order command with the book event it was issued in: (ts, kind, n orders)."""

    def __init__(self, config: MarketMakerConfig) -> None:
        super().__init__(config)
        self.commands: list[tuple[int, str, int]] = []
        self._now = 0

    def update_quotes(self, ts_ns: int) -> None:
        self._now = ts_ns
        super().update_quotes(ts_ns)

    def cancel_order(self, order, *args, **kwargs) -> None:
        self.commands.append((self._now, "cancel", 1))
        super().cancel_order(order, *args, **kwargs)

    def cancel_orders(self, orders, *args, **kwargs) -> None:
        self.commands.append((self._now, "cancel", len(orders)))
        super().cancel_orders(orders, *args, **kwargs)

    def modify_order(self, order, *args, **kwargs) -> None:
        self.commands.append((self._now, "modify", 1))
        super().modify_order(order, *args, **kwargs)

    def submit_order(self, order, *args, **kwargs) -> None:
        self.commands.append((self._now, "submit", 1))
        super().submit_order(order, *args, **kwargs)

    def submit_order_list(self, order_list, *args, **kwargs) -> None:
        self.commands.append((self._now, "submit", len(order_list.orders)))
        super().submit_order_list(order_list, *args, **kwargs)


def _jumping_market(inst) -> list:
    """The touch jumps 0.6 (6 ticks) up and back every second for 20 s: every event re-quotes."""
    book = ScriptedBook(inst)
    data = []
    for i in range(40):
        ts = S + OFFSET + i * S // 2
        shift = 0.6 * ((i // 2) % 2)
        bids, asks = ladder_book(round(2999.9 + shift, 1), round(3000.0 + shift, 1), 0.1, 5.0)
        data += book.snapshot(ts, bids, asks) if i == 0 else book.update(ts, bids, asks)
    return data


def _run(batch: bool, use_modify: bool) -> _Recording:
    inst = scripted_perp()
    mm = _Recording(MarketMakerConfig(
        instrument_id=str(inst.id), base_spread_bps=4.0, level_spacing_ticks=2, order_size_usd=20.0,
        max_inventory_usd=1_000.0, use_modify=use_modify, batch_actions=batch,
    ))
    engine = make_engine([inst], latency_ms=100.0, starting_usdc=10_000.0)
    engine.add_data(_jumping_market(inst))
    engine.add_strategy(mm)
    engine.run()
    engine.dispose()
    return mm


def _per_event(mm: _Recording) -> dict[int, list[tuple[str, int]]]:
    out: dict[int, list[tuple[str, int]]] = {}
    for ts, kind, n in mm.commands:
        out.setdefault(ts, []).append((kind, n))
    return out


@pytest.mark.parametrize("use_modify", [True, False])
def test_batched_an_event_issues_one_cancel_command_then_modifies_then_one_order_list(use_modify: bool) -> None:
    mm = _run(batch=True, use_modify=use_modify)
    events = _per_event(mm)
    assert sum(1 for cmds in events.values() if len(cmds) > 1) >= 5  # events with several actions
    rank = {"cancel": 0, "modify": 1, "submit": 2}
    for cmds in events.values():
        kinds = [k for k, _ in cmds]
        assert kinds.count("cancel") <= 1 and kinds.count("submit") <= 1
        assert [rank[k] for k in kinds] == sorted(rank[k] for k in kinds)  # cancels → modifies → orders
    if not use_modify:  # re-quotes as cancel-and-replace: several cancels in one command
        assert any(k == "cancel" and n > 1 for cmds in events.values() for k, n in cmds)
    else:
        assert any(k == "modify" for cmds in events.values() for k, _ in cmds)


@pytest.mark.parametrize("use_modify", [True, False])
def test_batching_off_issues_each_cancel_on_its_own_and_the_same_actions(use_modify: bool) -> None:
    on = _run(batch=True, use_modify=use_modify)
    off = _run(batch=False, use_modify=use_modify)
    assert all(n == 1 for _, kind, n in off.commands if kind == "cancel")
    if not use_modify:
        cancel_commands = [sum(1 for _, kind, _ in mm.commands if kind == "cancel") for mm in (on, off)]
        assert cancel_commands[1] > cancel_commands[0]
    assert on.actions == off.actions  # the same plan, only fewer commands


def test_the_cancel_of_a_quote_the_market_crosses_goes_first() -> None:
    # (name, is_bid, price) in the plan's order; the touch is now 3000.0 / 3000.5.
    cancels = [("bid far", True, 2995.0), ("ask crossed", False, 2999.5), ("ask far", False, 3010.0),
               ("bid crossed", True, 3000.5), ("bid at touch", True, 3000.0)]
    ordered = urgent_first(cancels, lambda c: (c[1], c[2]), 3000.0, 3000.5)
    assert [c[0] for c in ordered] == ["ask crossed", "bid crossed", "bid far", "ask far", "bid at touch"]
    assert crossed_by_market(True, 3000.5, 3000.0, 3000.5) and not crossed_by_market(True, 3000.4, 3000.0, 3000.5)
    assert crossed_by_market(False, 3000.0, 3000.0, 3000.5) and not crossed_by_market(False, 3000.1, 3000.0, 3000.5)
