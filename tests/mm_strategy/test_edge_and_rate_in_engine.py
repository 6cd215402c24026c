"""The governor's action rate and edge check steering the real strategy in a BacktestEngine on
scripted books, and the strategy's side of their messages."""

from __future__ import annotations

import json

import pytest
from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import scripted_perp
from catalog import shipped_data
from mm_strategy import messages as msg
from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from mm_strategy.quoting.ladder import InstrumentSpec
from tests.mm_strategy.test_scenarios import MS
from tests.mm_strategy.test_scenarios import STEP
from tests.mm_strategy.test_scenarios import S
from tests.mm_strategy.test_scenarios import _actions_between
from tests.mm_strategy.test_scenarios import _mm
from tests.mm_strategy.test_scenarios import _run
from tests.mm_strategy.test_scenarios import _steady


def _hopping(inst, seconds: int) -> list:
    """A book whose mid hops 5 steps every 0.5 s and never trades: the ladder would re-quote on
    every hop, twice a second, with nothing traded to pay for it."""
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.5, STEP, 5.0))
    t = 2 * S
    for i in range(seconds * 2):
        shift = STEP * 5 * (i % 2)
        data += book.update(t, *ladder_book(round(3000.0 + shift, 1), round(3000.5 + shift, 1), STEP, 5.0))
        t += S // 2
    return data


def _governor(inst, **kw) -> RegimeGovernor:
    cfg = {"instrument_ids": (str(inst.id),), "c2f_threshold": 1e9, "edge_check_enabled": False}
    cfg.update(kw)
    return RegimeGovernor(RegimeGovernorConfig(**cfg))


def test_the_governor_holds_idle_quoting_to_one_action_per_10_s_over_its_window() -> None:
    inst = scripted_perp()
    data = _hopping(inst, 1_500)
    engine = _run(inst, data, _mm(inst), _governor(inst, action_window_s=600.0))
    # The last ten minutes: at most one action per 10 s (60), however often the book hops.
    assert _actions_between(engine, 900 * S, 1_500 * S) <= 60


def test_without_the_action_rate_the_same_book_churns() -> None:
    # The control case: the hops do cost actions when nothing holds them back.
    inst = scripted_perp()
    engine = _run(inst, _hopping(inst, 300), _mm(inst), _governor(inst, action_rate_enabled=False))
    assert _actions_between(engine, 100 * S, 300 * S) > 200


def test_a_market_whose_spread_cannot_pay_the_fee_stands_down_with_no_orders_and_says_so() -> None:
    inst = scripted_perp()
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, STEP, 5.0))  # one tick: 0.33 bps
    data += _steady(book, 2 * S, 90 * S, 3000.0, 3000.1)
    mm = _mm(inst)
    gov = _governor(inst, edge_check_enabled=True, action_rate_enabled=False)
    engine = _run(inst, data, mm, gov)
    stood = [e for e in mm.guard_events if e.guard == "edge"]
    assert len(stood) == 1
    assert stood[0].reason.startswith("stood down: no edge: expected capture 0.17 bps vs maker fee 1.50")
    assert engine.cache.orders_open() == []
    assert not [o for o in engine.cache.orders() if o.ts_init > stood[0].ts_ns + 200 * MS]
    assert gov.edge_status(inst.id)[0]


def test_a_tolerance_multiplier_widens_the_requote_tolerance_and_a_lifetime_holds_quotes() -> None:
    mm = _mm(scripted_perp(), requote_tolerance_ticks=2)
    mm._on_control(msg.SpreadAdjust("action_rate", min_quote_lifetime_ms=5_000, tolerance_mult=3.0))
    assert mm.tolerance_ticks == 6 and mm._hold_ns == 5_000 * MS
    mm._on_control(msg.SpreadAdjust("action_rate"))
    assert mm.tolerance_ticks == 2 and mm._hold_ns == 0


def test_a_learned_adverse_selection_moves_the_ladder_out_to_where_it_pays() -> None:
    mm = _mm(scripted_perp(), base_spread_bps=4.0)  # L1 2 bps from fair
    mm.spec = InstrumentSpec(price_precision=1, size_precision=4, maker_fee=0.00015)
    mm._on_control(msg.AdverseSelection("edge", 3.0))
    # fee 1.5 + 3.0 + hysteresis 0.25 = 4.75 bps: L1 moves out from 2 to 4.75 bps
    assert mm.ladder.adverse_selection_bps == 3.0
    assert mm._quote_mult == 2 * 4.75 / 4.0
    mm._on_control(msg.AdverseSelection("edge", None))  # back to the configured allowance
    assert mm.ladder.adverse_selection_bps == 0.5 and mm._quote_mult == 1.0


def _levels_quoted(engine) -> set[int]:
    return {int(o.tags[0][1:]) for o in engine.cache.orders() if o.tags}


def test_an_instrument_without_fills_of_its_own_quotes_only_the_probe_levels_and_says_so() -> None:
    inst = scripted_perp()
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3002.0, STEP, 5.0))  # 6.7 bps wide: the spread pays
    data += _steady(book, 2 * S, 60 * S, 3000.0, 3002.0)
    # Quoting from 5 s, as a backtest quotes after its warm-up: the governor evaluates once a second,
    # so the probe is in force by then.
    mm = _mm(inst, quote_from_ns=5 * S)
    engine = _run(inst, data, mm, _governor(inst, edge_check_enabled=True, action_rate_enabled=False))
    assert _levels_quoted(engine) == {1}
    probe = [e for e in mm.guard_events if e.guard == "edge_probe"]
    assert probe and probe[0].reason.startswith("probe: 1 level(s) per side until its fills show an edge")


def test_a_maker_quoting_from_its_first_book_event_never_places_more_than_the_probe_levels() -> None:
    # As live quotes: from the first book, before the governor's first one-second evaluation.
    inst = scripted_perp()
    book = ScriptedBook(inst)
    data = book.snapshot(S // 10, *ladder_book(3000.0, 3002.0, STEP, 5.0))
    data += _steady(book, S // 5, 20 * S, 3000.0, 3002.0)
    mm = _mm(inst)
    engine = _run(inst, data, mm, _governor(inst, edge_check_enabled=True, action_rate_enabled=False))
    assert engine.cache.orders()
    assert _levels_quoted(engine) == {1}


def test_without_the_probe_the_whole_ladder_is_quoted_from_the_start() -> None:
    inst = scripted_perp()
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3002.0, STEP, 5.0))
    data += _steady(book, 2 * S, 60 * S, 3000.0, 3002.0)
    gov = _governor(inst, edge_check_enabled=True, action_rate_enabled=False, edge_probe_levels=0)
    engine = _run(inst, data, _mm(inst, quote_from_ns=5 * S), gov)
    assert _levels_quoted(engine) == {1, 2, 3}


def test_the_probe_quotes_the_innermost_level_that_pays_when_the_first_cannot() -> None:
    inst = scripted_perp()
    book = ScriptedBook(inst)
    # One tick wide: L1, 2 bps from fair, cannot pay fee 1.5 + adverse selection 0.5 bps; L2 can.
    data = book.snapshot(S // 10, *ladder_book(3000.0, 3000.1, STEP, 5.0))
    data += _steady(book, S // 5, 20 * S, 3000.0, 3000.1)
    gov = _governor(inst, edge_check_enabled=True, action_rate_enabled=False)
    engine = _run(inst, data, _mm(inst, base_spread_bps=4.0), gov)
    assert _levels_quoted(engine) == {2}


class _ProbeConfig(ActorConfig, frozen=True):
    instrument_id: str
    lift_at_ns: int


class ProbeThenLift(Actor):
    """The governor's probe as it reaches the strategy: one level from the start, lifted at
    `lift_at_ns` by a SpreadAdjust that differs from the probe's in `max_levels` alone."""

    def on_start(self) -> None:
        self.msgbus.subscribe(msg.TOPIC_CONTROLS_REQUEST, self._on_request)
        self.clock.set_time_alert_ns("lift", self.config.lift_at_ns, self._lift)

    def _on_request(self, request: object) -> None:
        self.msgbus.publish(msg.control_topic(self.config.instrument_id), msg.SpreadAdjust("edge_probe", max_levels=1))

    def _lift(self, event: object) -> None:
        self.msgbus.publish(msg.control_topic(self.config.instrument_id), msg.SpreadAdjust("edge_probe"))


def test_lifting_the_probe_brings_back_the_whole_ladder() -> None:
    inst = scripted_perp()
    book = ScriptedBook(inst)
    data = book.snapshot(S // 10, *ladder_book(3000.0, 3002.0, STEP, 5.0))
    data += _steady(book, S // 5, 20 * S, 3000.0, 3002.0)
    engine = _run(inst, data, _mm(inst), ProbeThenLift(_ProbeConfig(instrument_id=str(inst.id), lift_at_ns=10 * S)))
    before = {int(o.tags[0][1:]) for o in engine.cache.orders() if o.ts_init < 10 * S}
    after = {int(o.tags[0][1:]) for o in engine.cache.orders() if o.ts_init >= 10 * S}
    assert before == {1}
    assert after == {2, 3}


@pytest.mark.parametrize("path", ["configs/live.json", "configs/shadow.json", "configs/backtest.json"])
def test_the_edge_check_and_the_action_rate_are_on_by_default_and_in_every_shipped_config(path: str) -> None:
    # Safe for real money without a setting: the class defaults, and no shipped config turns them off.
    default = RegimeGovernorConfig(instrument_ids=("ETH-USD-PERP.HYPERLIQUID",))
    assert default.edge_check_enabled and default.action_rate_enabled and default.action_target_per_usdc == 1.0
    raw = json.loads((shipped_data.PROJECT_ROOT / path).read_text())
    governors = [a["config"] for a in raw.get("actors", []) if a["actor_path"].endswith("RegimeGovernor")]
    governors += [raw["governor"]] if "governor" in raw else []
    assert governors
    for cfg in governors:
        assert cfg.get("edge_check_enabled", True) and cfg.get("action_rate_enabled", True)
        assert cfg.get("action_target_per_usdc", 1.0) <= 1.0
