"""The shared budget in a BacktestEngine: the MarketMaker under an `InventoryCap`, and the
BudgetGuard against the real Redis (the address action budget is the account's, so another
node's actions count in this node's governor)."""

from __future__ import annotations

import secrets

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig
from nautilus_trader.model.enums import OrderSide

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import scripted_perp
from budget_link.shared_budget import SharedBudget
from budget_link.shared_budget import SharedLimits
from mm_strategy import messages as msg
from mm_strategy.budget_guard import BudgetGuard
from mm_strategy.budget_guard import BudgetGuardConfig
from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from tests.mm_strategy.test_guards import STEP
from tests.mm_strategy.test_guards import S
from tests.mm_strategy.test_guards import _flicker_market
from tests.mm_strategy.test_guards import _mm
from tests.mm_strategy.test_guards import _run


class _OtherNodeConfig(ActorConfig, frozen=True):
    redis_url: str
    account: str
    at_ns: int
    actions: int


class OtherNode(Actor):
    """A second node of the account, as Redis sees it: at `at_ns` it records its actions there."""

    def on_start(self) -> None:
        self.clock.set_time_alert_ns("other", self.config.at_ns, self._act)

    def _act(self, event: object) -> None:
        c = self.config
        other = SharedBudget(c.redis_url, c.account, "other-node", SharedLimits(1_000.0, 5))
        other.record_activity(c.actions, 0.0)
        other.close()


def test_another_nodes_actions_spend_this_nodes_address_budget(redis_url: str) -> None:
    inst = scripted_perp()
    account = "0x" + secrets.token_hex(20)
    mm = _mm(inst, await_inventory_cap=True)
    gov = RegimeGovernor(RegimeGovernorConfig(instrument_ids=(str(inst.id),), eval_interval_ms=500))
    guard = BudgetGuard(BudgetGuardConfig(
        instrument_ids=(str(inst.id),), redis_url=redis_url, account=account, node_id="this-node",
        max_total_inventory_usd=1_000.0, headroom_usd=(140.0,), max_inventory_usd=(1_000.0,),
    ))
    other = OtherNode(_OtherNodeConfig(redis_url=redis_url, account=account, at_ns=8 * S, actions=9_000))
    _run(inst, _flicker_market(inst, seconds=20), mm, gov, guard, other)

    assert mm.actions["submit"] > 0  # the guard's claim let this node quote
    fired = [e for e in mm.guard_events if e.guard == "action_budget"]
    assert len(fired) == 1 and fired[0].ts_ns > 8 * S  # only once the other node had spent the budget
    assert gov.budget.actions_used >= 9_000
    own = SharedBudget(redis_url, account, "probe", SharedLimits(1_000.0, 5)).view()
    assert own is not None and own.actions_by_node["this-node"] > 0  # this node's actions are shared too


class _CapConfig(ActorConfig, frozen=True):
    instrument_id: str
    at_ns: int
    max_abs_usd: float | None
    reduce_only: bool


class CapSource(Actor):
    """Stands in for the BudgetGuard's grant: publishes one `InventoryCap` at `at_ns`."""

    def on_start(self) -> None:
        self.clock.set_time_alert_ns("cap", self.config.at_ns, self._send)

    def _send(self, event: object) -> None:
        c = self.config
        cap = msg.InventoryCap("shared_budget", c.max_abs_usd, c.reduce_only, "test", c.instrument_id)
        self.msgbus.publish(msg.control_topic(c.instrument_id), cap)


def _open_notional(engine, side: OrderSide) -> float:  # type: ignore[no-untyped-def]
    return sum(float(o.leaves_qty) * float(o.price) for o in engine.cache.orders_open() if o.side == side)


def test_a_granted_share_below_the_own_limit_bounds_what_the_ladder_may_add() -> None:
    inst = scripted_perp()
    mm = _mm(inst)  # 20 USD × (1 + 2 + 4) a side, own limit 1,000
    cap = CapSource(_CapConfig(instrument_id=str(inst.id), at_ns=5 * S, max_abs_usd=50.0, reduce_only=False))
    engine = _run(inst, _flicker_market(inst, seconds=20), mm, cap)
    assert 0 < _open_notional(engine, OrderSide.BUY) <= 50.0 * 1.01
    assert 0 < _open_notional(engine, OrderSide.SELL) <= 50.0 * 1.01


def test_reduce_only_withdraws_the_adding_side_and_a_flat_node_quotes_nothing() -> None:
    inst = scripted_perp()
    mm = _mm(inst)
    cap = CapSource(_CapConfig(instrument_id=str(inst.id), at_ns=5 * S, max_abs_usd=None, reduce_only=True))
    engine = _run(inst, _flicker_market(inst, seconds=20), mm, cap)
    submitted_before = [o for o in engine.cache.orders() if o.ts_init < 5 * S]
    assert submitted_before  # it quoted until then
    assert not [o for o in engine.cache.orders() if o.ts_init > 5 * S]
    assert engine.cache.orders_open() == []


def test_a_node_awaiting_its_first_claim_sends_nothing() -> None:
    inst = scripted_perp()
    mm = _mm(inst, await_inventory_cap=True)
    engine = _run(inst, _flicker_market(inst, seconds=10), mm)
    assert engine.cache.orders() == []
    control = _run(inst, _flicker_market(inst, seconds=10), _mm(inst))
    assert control.cache.orders()  # the same market quoted without the wait


class _CapLogConfig(ActorConfig, frozen=True):
    instrument_id: str
    redis_url: str
    account: str
    look_at_ns: int


class CapLog(Actor):
    """Records every `InventoryCap` the strategy is told, (second, max_abs_usd), and at
    `look_at_ns` what Redis holds as claimed."""

    def __init__(self, config: _CapLogConfig) -> None:
        super().__init__(config)
        self.caps: list[tuple[int, float | None]] = []
        self.claims: dict[str, dict[str, float]] = {}

    def on_start(self) -> None:
        self.msgbus.subscribe(msg.control_topic(self.config.instrument_id), self._on_message)
        self.clock.set_time_alert_ns("look", self.config.look_at_ns, self._look)

    def _look(self, event: object) -> None:
        probe = SharedBudget(self.config.redis_url, self.config.account, "probe", SharedLimits(1_000.0, 5))
        view = probe.view()
        probe.close()
        self.claims = view.claims if view is not None else {}

    def _on_message(self, message: object) -> None:
        if isinstance(message, msg.InventoryCap):
            self.caps.append((self.clock.timestamp_ns() // S, message.max_abs_usd))


def _filled_then_drifting_market(inst) -> list:
    """The ask drops through the strategy's bid at 3 s (it buys), then the price walks up a tick
    every half second for 30 s: the held notional, and so the claim, changes at every claim."""
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    data += book.update(3 * S, *ladder_book(2997.0, 2997.1, STEP, 5.0))
    base = 3000.0
    for i in range(60):
        base = round(base + STEP, 1)
        data += book.update(4 * S + i * S // 2, *ladder_book(base, round(base + STEP, 1), STEP, 5.0))
    return data


def test_a_held_position_whose_price_drifts_does_not_re_cap_the_strategy_every_claim(redis_url: str) -> None:
    inst = scripted_perp()
    account = "0x" + secrets.token_hex(20)
    mm = _mm(inst, await_inventory_cap=True)
    guard = BudgetGuard(BudgetGuardConfig(
        instrument_ids=(str(inst.id),), redis_url=redis_url, account=account, node_id="this-node",
        max_total_inventory_usd=1_000.0, headroom_usd=(140.0,), max_inventory_usd=(1_000.0,),
    ))
    log = CapLog(_CapLogConfig(instrument_id=str(inst.id), redis_url=redis_url, account=account, look_at_ns=20 * S))
    engine = _run(inst, _filled_then_drifting_market(inst), mm, guard, log)

    assert engine.portfolio.net_position(inst.id) != 0  # held while the price walks
    assert [t for t, _ in log.caps if t > 5] == []  # 30 claims, and no new cap for any of them
    assert log.caps[-1][1] <= log.claims["this-node"]["ETH"]  # never more than Redis reserved
