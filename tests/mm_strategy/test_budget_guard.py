"""The BudgetGuard in a BacktestEngine against the real Redis: the address action budget is the
account's, so another node's actions count in this node's governor."""

from __future__ import annotations

import secrets

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig

from backtest.scripted import scripted_perp
from budget_link.shared_budget import SharedBudget
from budget_link.shared_budget import SharedLimits
from mm_strategy.budget_guard import BudgetGuard
from mm_strategy.budget_guard import BudgetGuardConfig
from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
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
