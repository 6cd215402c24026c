"""Backtest fills by the queue rule of a run: the venue's own ("nautilus") or hlsim's and the shadow
client's ("conservative", "probabilistic") through `QueueFillModule` inside the Nautilus venue.

The scripted scenarios drive the venue with a small test strategy that places, modifies and cancels
orders at set times (so the queue each order joins is known exactly); the last tests run the market
maker over the shipped WLFI recording."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.trading.strategy import Strategy

import run_backtest
from backtest.queue_fills import QUEUE_RULES
from backtest.queue_fills import QueueFillModule
from backtest.reporting import report
from backtest.runner import load_settings
from backtest.runner import make_engine
from backtest.runner import run_session
from backtest.scripted import F_LAST
from backtest.scripted import ScriptedBook
from backtest.scripted import scripted_perp

S = 1_000_000_000
MS = 1_000_000
BID, ASK = 3000.0, 3000.1
MAKER_FEE = 0.00015  # tier 0


@dataclass(frozen=True)
class Act:
    """At the first book event at or after `at_ns`: place (`side`, `px`, `qty`), modify (`px`/`qty`
    of the order `tag`) or cancel it."""

    at_ns: int
    kind: str  # "place" | "modify" | "cancel"
    tag: str
    side: OrderSide = OrderSide.BUY
    px: float | None = None
    qty: float | None = None
    post_only: bool = True


class Driver(Strategy):
    """Sends the scripted orders; records the fills it is told of."""

    def __init__(self, instrument_id: str, acts: list[Act]) -> None:
        super().__init__(StrategyConfig(strategy_id="Driver-001"))
        self.iid = InstrumentId.from_str(instrument_id)
        self.acts = sorted(acts, key=lambda a: a.at_ns)
        self.orders: dict[str, object] = {}
        self.seen_fills: list[OrderFilled] = []

    def on_start(self) -> None:
        self.subscribe_order_book_deltas(self.iid, BookType.L2_MBP)

    def on_order_book_deltas(self, deltas) -> None:
        inst = self.cache.instrument(self.iid)
        while self.acts and self.acts[0].at_ns <= deltas.ts_init:
            act = self.acts.pop(0)
            if act.kind == "place":
                order = self.order_factory.limit(
                    self.iid, act.side, inst.make_qty(act.qty), inst.make_price(act.px),
                    post_only=act.post_only, time_in_force=TimeInForce.GTC,
                )
                self.orders[act.tag] = order
                self.submit_order(order)
            elif act.kind == "modify":
                order = self.orders[act.tag]
                self.modify_order(order, quantity=inst.make_qty(act.qty) if act.qty is not None else None,
                                  price=inst.make_price(act.px) if act.px is not None else None)
            else:
                self.cancel_order(self.orders[act.tag])

    def on_order_filled(self, event: OrderFilled) -> None:
        self.seen_fills.append(event)


def _run(data: list, acts: list[Act], rule: str):
    inst = scripted_perp()
    engine = make_engine([inst], latency_ms=100.0, queue_rule=rule, log_level="OFF")
    engine.add_data(data)
    driver = Driver(str(inst.id), acts)
    engine.add_strategy(driver)
    engine.run()
    return engine, driver


def _fills(engine) -> list[tuple]:
    """(ts, side, qty, px, liquidity) of every fill, in time order."""
    out = [
        (ev.ts_event, ev.order_side.name, float(ev.last_qty), float(ev.last_px), ev.liquidity_side.name)
        for order in engine.cache.orders() for ev in order.events if isinstance(ev, OrderFilled)
    ]
    return sorted(out)


def _asks() -> dict[float, float]:
    return {ASK: 5.0, ASK + 0.1: 5.0}


def _cancels_ahead() -> list:
    """Our bid joins behind 10 at 3000.0; 10 join behind it; 9 are cancelled; a 6 sell trade."""
    book = ScriptedBook(scripted_perp())
    data = book.snapshot(0, {BID: 10.0, BID - 0.1: 5.0}, _asks())
    data += book.update(1 * S, {BID: 10.0, BID - 0.1: 6.0}, _asks())  # we place; it arrives 100 ms later
    data += book.update(S + S // 2, {BID: 10.0, BID - 0.1: 7.0}, _asks())  # ... and rests behind 10
    data += book.update(2 * S, {BID: 20.0, BID - 0.1: 7.0}, _asks())  # 10 join behind us
    data += book.update(3 * S, {BID: 11.0, BID - 0.1: 7.0}, _asks())  # 9 cancelled: no trade
    data.append(book.trade(4 * S, BID, 6.0, buyer_aggressor=False))
    data += book.update(4 * S + MS, {BID: 5.0, BID - 0.1: 7.0}, _asks())
    return data


ONE_BID = [Act(1 * S, "place", "b", OrderSide.BUY, BID, 1.0)]


def test_cancels_ahead_fill_the_order_under_probabilistic_and_not_under_nautilus() -> None:
    data = _cancels_ahead()
    assert _fills(_run(data, ONE_BID, "nautilus")[0]) == []
    assert _fills(_run(data, ONE_BID, "conservative")[0]) == []  # 9 of 11 may all have been behind us
    engine, driver = _run(data, ONE_BID, "probabilistic")
    fills = _fills(engine)
    # power rule: of the 9 cancelled, half were ahead (10 ahead, 10 behind): 5.5 ahead, the 6 traded fill 0.5
    assert fills == [(4 * S, "BUY", 0.5, BID, "MAKER")]
    # an ordinary OrderFilled the strategy was told of, with the maker fee of the instrument
    (event,) = driver.seen_fills
    assert float(event.commission) == pytest.approx(0.5 * BID * MAKER_FEE)
    assert event.liquidity_side == LiquiditySide.MAKER
    assert float(engine.portfolio.net_position(event.instrument_id)) == pytest.approx(0.5)


def _trades_only() -> tuple[list, list[Act]]:
    """Size leaves the levels only by trades at them (and joins behind): the rules agree here."""
    book = ScriptedBook(scripted_perp())
    bids = {BID: 4.0, BID - 0.1: 5.0}
    asks = {ASK: 3.0, ASK + 0.1: 5.0}
    data = book.snapshot(0, bids, asks)
    data += book.update(1 * S, {**bids, BID - 0.1: 6.0}, asks)
    data += book.update(S + S // 2, {**bids, BID - 0.1: 7.0}, asks)  # both orders rest by now
    t = 2 * S
    for bid_trade, ask_trade, joins in ((2.0, 1.0, 1.0), (1.5, 1.5, 0.0), (1.0, 0.8, 2.0), (1.5, 1.0, 0.0),
                                        (2.0, 2.0, 0.0), (0.5, 0.5, 1.0)):
        data.append(book.trade(t, BID, bid_trade, buyer_aggressor=False))
        data.append(book.trade(t + MS, ASK, ask_trade, buyer_aggressor=True))
        # what traded leaves the level (none of it was ours: our orders are not in the recorded book)
        bids[BID] = round(max(bids.get(BID, 0.0) - bid_trade, 0.0) + joins, 4)
        asks[ASK] = round(max(asks.get(ASK, 0.0) - ask_trade, 0.0) + joins, 4)
        data += book.update(t + 2 * MS, {p: q for p, q in bids.items() if q > 0}, {p: q for p, q in asks.items() if q > 0})
        # half a second later a level further down changes: an event that drains commands due by then
        bids[BID - 0.1] += 1.0
        data += book.update(t + S // 2, {p: q for p, q in bids.items() if q > 0}, {p: q for p, q in asks.items() if q > 0})
        t += S
    acts = [
        Act(1 * S, "place", "b", OrderSide.BUY, BID, 3.0),
        Act(1 * S, "place", "a", OrderSide.SELL, ASK, 1.5),
        Act(4 * S + 2 * MS, "modify", "a", qty=2.5),  # arrives before the 5 s trades: back of the queue
    ]
    return data, acts


def test_trades_only_give_the_same_fills_under_conservative_and_nautilus() -> None:
    data, acts = _trades_only()
    nautilus = _fills(_run(data, acts, "nautilus")[0])
    conservative = _fills(_run(data, acts, "conservative")[0])
    assert conservative == nautilus
    # partial fills on both sides, and the ask's fills after its modify came from its new place
    assert len(nautilus) >= 5 and {f[1] for f in nautilus} == {"BUY", "SELL"}
    assert all(f[4] == "MAKER" for f in nautilus)


def test_a_modify_takes_a_new_place_at_the_back() -> None:
    data, acts = _trades_only()
    unmodified = [a for a in acts if a.kind != "modify"]
    with_modify = _fills(_run(data, acts, "conservative")[0])
    without = _fills(_run(data, unmodified, "conservative")[0])
    sells = lambda fills: [f for f in fills if f[1] == "SELL"]  # noqa: E731
    # at 5 s the ask is at the front (a partial fill): without the modify it fills on; with it, it waits
    assert sells(without)[1][0] < sells(with_modify)[1][0]


def _bid_then(update_bids: dict[float, float], update_asks: dict[float, float], quiet: tuple[int, ...] = ()) -> list:
    """Our bid rests behind 10 at 3000.0 from 1.1 s; at 3 s the book becomes `update_*`; book events
    (the size one level down changes) at 1 s, 1.5 s and the `quiet` times, for the driver to act on."""
    book = ScriptedBook(scripted_perp())
    data = book.snapshot(0, {BID: 10.0, BID - 0.1: 5.0}, _asks())
    for i, t in enumerate((1 * S, S + S // 2, *quiet)):
        data += book.update(t, {BID: 10.0, BID - 0.1: 6.0 + i}, _asks())
    data += book.update(3 * S, update_bids, update_asks)
    data += book.update(4 * S, {**update_bids, BID - 0.3: 1.0}, update_asks)  # the book stays crossed
    return data


def test_an_order_arriving_during_a_snapshot_joins_behind_the_rebuilt_level() -> None:
    # Our bid arrives (1.1 s) and is first seen by the venue right after the CLEAR of a snapshot: the
    # book is empty at that moment, yet 10 rest ahead of it once the snapshot is complete.
    book = ScriptedBook(scripted_perp())
    levels = ({BID: 10.0, BID - 0.1: 5.0}, _asks())
    data = book.snapshot(0, *levels) + book.update(1 * S, {BID: 10.0, BID - 0.1: 6.0}, _asks())
    data += book.snapshot(S + S // 2, *levels)
    data.append(book.trade(2 * S, BID, 3.0, buyer_aggressor=False))
    data += book.update(2 * S + MS, {BID: 7.0, BID - 0.1: 5.0}, _asks())
    for rule in ("conservative", "probabilistic"):
        assert _fills(_run(data, ONE_BID, rule)[0]) == []
    # the venue's own queue puts every order at the front on a snapshot: 1.0 of the 3 traded fills it
    assert [f[2] for f in _fills(_run(data, ONE_BID, "nautilus")[0])] == [1.0]


def test_a_book_crossing_the_order_fills_it_once_and_completely() -> None:
    # the asks come down to our bid with 0.2 displayed: the matcher takes it as the level traded through.
    # That ADD is not the event's last delta (an UPDATE at 3000.1 follows): the venue, which matches
    # after every delta, would fill 0.2 there, and the module fills the whole order before it does.
    data = _bid_then({BID - 0.1: 7.0, BID - 0.2: 5.0}, {BID: 0.2, ASK: 4.0})
    crossing = [d for d in data if d.ts_init == 3 * S]
    assert float(crossing[-2].order.price) == BID and not crossing[-2].flags & F_LAST and crossing[-1].flags & F_LAST
    for rule in ("conservative", "probabilistic"):
        assert _fills(_run(data, ONE_BID, rule)[0]) == [(3 * S, "BUY", 1.0, BID, "MAKER")]
    # the venue's own rule takes only what the crossing level shows (0.2 here, no more after it)
    assert [f[2] for f in _fills(_run(data, ONE_BID, "nautilus")[0])] == [0.2]


def test_a_cancelled_order_does_not_fill_but_one_whose_cancel_is_on_its_way_does() -> None:
    data = _bid_then({BID - 0.1: 7.0}, {BID: 0.2, ASK: 5.0}, quiet=(2 * S, 3 * S - 50 * MS, 3 * S + 10 * MS))
    cancelled = [*ONE_BID, Act(2 * S, "cancel", "b")]  # it arrives at 2.1 s; the asks cross our bid at 3 s
    engine, _ = _run(data, cancelled, "probabilistic")
    assert _fills(engine) == [] and engine.cache.orders()[0].is_closed
    late = [*ONE_BID, Act(3 * S - 50 * MS, "cancel", "b")]  # sent at 2.95 s, arrives at 3.05 s: too late
    engine, _ = _run(data, late, "probabilistic")
    assert _fills(engine) == [(3 * S, "BUY", 1.0, BID, "MAKER")]


def test_a_fill_the_venue_made_itself_is_never_made_again() -> None:
    # a marketable limit (not post-only) takes the 0.5 shown at 3000.1 as a taker; the rest (1.5) rests
    # at 3000.1, crossed by the displayed ask the venue consumed: the module fills that rest, once
    book = ScriptedBook(scripted_perp())
    data = book.snapshot(0, {BID: 10.0}, {ASK: 0.5, ASK + 0.1: 5.0})
    data += book.update(1 * S, {BID: 11.0}, {ASK: 0.5, ASK + 0.1: 5.0})
    data += book.update(S + S // 2, {BID: 12.0}, {ASK: 0.5, ASK + 0.1: 5.0})
    data += book.update(2 * S, {BID: 13.0}, {ASK: 0.5, ASK + 0.1: 5.0})
    acts = [Act(1 * S, "place", "t", OrderSide.BUY, ASK, 2.0, post_only=False)]
    engine, _ = _run(data, acts, "conservative")
    fills = _fills(engine)
    assert [(f[2], f[4]) for f in fills] == [(0.5, "TAKER"), (1.5, "MAKER")]
    assert sum(f[2] for f in fills) == pytest.approx(2.0)
    (order,) = engine.cache.orders()
    assert float(order.filled_qty) == pytest.approx(2.0) and order.is_closed


def test_the_same_run_gives_the_same_fills_twice() -> None:
    data, acts = _trades_only()
    for rule in QUEUE_RULES:
        assert _fills(_run(data, acts, rule)[0]) == _fills(_run(data, acts, rule)[0])
    data = _cancels_ahead()
    assert _fills(_run(data, ONE_BID, "probabilistic")[0]) == _fills(_run(data, ONE_BID, "probabilistic")[0])


def test_the_module_runs_only_under_a_matcher_rule() -> None:
    with pytest.raises(ValueError, match="not run by the module"):
        QueueFillModule("nautilus")
    with pytest.raises(ValueError, match="queue_rule must be one of"):
        make_engine([scripted_perp()], queue_rule="optimistic")


# -- the config and the report ---------------------------------------------------------------------


def _config(tmp_path: Path, **changes) -> Path:
    cfg = json.loads(run_backtest.DEFAULT_CONFIG.read_text())
    cfg.update(changes)
    path = tmp_path / "bt.json"
    path.write_text(json.dumps(cfg))
    return path


def test_a_bad_queue_rule_is_refused_naming_the_field(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"bt\.json.*queue_rule must be one of nautilus, conservative, probabilistic"):
        load_settings(_config(tmp_path, queue_rule="optimistic"))
    runs = [{"name": "eth", "instrument": "ETH-USD-PERP.HYPERLIQUID", "queue_rule": "power"}]
    with pytest.raises(ValueError, match=r"run eth: queue_rule must be one of .*got 'power'"):
        load_settings(_config(tmp_path, runs=runs))


def test_a_run_takes_its_own_queue_rule_or_the_configs() -> None:
    settings = load_settings(run_backtest.DEFAULT_CONFIG)
    assert settings.queue_rule == "nautilus"
    rules = {r.name: r.queue_rule for r in settings.runs}
    assert rules["wlfi_20250904"] is None and rules["wlfi_20250904_probabilistic"] == "probabilistic"
    plain = next(r for r in settings.runs if r.name == "wlfi_20250904")
    probabilistic = next(r for r in settings.runs if r.name == "wlfi_20250904_probabilistic")
    assert msgspec.structs.replace(probabilistic, name=plain.name, queue_rule=None) == plain  # the same run otherwise


# -- the shipped WLFI run ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wlfi_runs(wlfi_catalog: ParquetDataCatalog) -> dict[str, report.RunReport]:
    settings = load_settings(run_backtest.DEFAULT_CONFIG)
    # The queue rules compared on the same quotes: the edge check's stand-downs follow each run's
    # own fills, so with it on the two runs would quote at different times.
    settings = msgspec.structs.replace(settings, governor={**(settings.governor or {}), "edge_check_enabled": False})
    runs = {r.name: r for r in settings.runs}
    out = {}
    for name in ("wlfi_20250904", "wlfi_20250904_probabilistic"):
        session = run_session(settings, runs[name], wlfi_catalog, log_level="OFF")
        out[name] = report.build(session)
        out[name].engine_fills = _fills(session.engine)  # type: ignore[attr-defined]
    again = run_session(settings, runs["wlfi_20250904_probabilistic"], wlfi_catalog, log_level="OFF")
    out["again"] = report.build(again)
    out["again"].engine_fills = _fills(again.engine)  # type: ignore[attr-defined]
    return out


@pytest.mark.slow
def test_the_wlfi_run_fills_at_least_as_often_under_probabilistic(wlfi_runs) -> None:
    nautilus, probabilistic = wlfi_runs["wlfi_20250904"], wlfi_runs["wlfi_20250904_probabilistic"]
    assert nautilus.metrics.fills > 0
    assert probabilistic.metrics.fills >= nautilus.metrics.fills
    assert (nautilus.run["queue_rule"], probabilistic.run["queue_rule"]) == ("nautilus", "probabilistic")
    # maker fills at the tier-0 fee, and the report's PnL is the engine's
    assert all(f.maker for f in probabilistic.fills)
    assert probabilistic.metrics.fees == pytest.approx(probabilistic.metrics.volume_usd * MAKER_FEE, rel=1e-3)
    assert probabilistic.metrics.total_pnl == pytest.approx(probabilistic.engine_pnl, abs=1e-6)


@pytest.mark.slow
def test_the_wlfi_run_under_probabilistic_is_deterministic(wlfi_runs) -> None:
    first, again = wlfi_runs["wlfi_20250904_probabilistic"], wlfi_runs["again"]
    assert first.engine_fills and first.engine_fills == again.engine_fills
    assert first.metrics.total_pnl == again.metrics.total_pnl


@pytest.mark.slow
def test_the_report_shows_the_rule_beside_each_run(wlfi_runs, tmp_path: Path) -> None:
    from rich.console import Console

    runs = [wlfi_runs["wlfi_20250904"], wlfi_runs["wlfi_20250904_probabilistic"]]
    rows = report.overview(runs)
    assert [(r["run"], r["queue_rule"]) for r in rows] == [
        ("wlfi_20250904", "nautilus"), ("wlfi_20250904_probabilistic", "probabilistic"),
    ]
    console = Console(record=True, width=170)  # run_backtest's width when not on a terminal
    report.print_summary(runs, console)
    text = console.export_text()
    overview_table = text[: text.index("wlfi_20250904  (")]  # up to the first run's own table
    for name, rule in (("wlfi_20250904 ", "nautilus"), ("wlfi_20250904_probabilistic", "probabilistic")):
        assert any(name in line and f" {rule} " in line for line in overview_table.splitlines()), overview_table
    assert "queue rule" in text and "probabilistic: hlsim/shadow power rule" in text
    page = report.write(runs, tmp_path)["html"].read_text()
    assert "<th>queue</th>" in page and "nautilus: the venue&#x27;s queue" in page
