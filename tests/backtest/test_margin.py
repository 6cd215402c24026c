"""Backtest margin as the exchange applies it: the rule (`backtest.margin`), the venue that refuses
what the account cannot margin (`backtest.margin_venue`), the leverage setting and the report's count."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.events import OrderModifyRejected
from nautilus_trader.model.events import OrderRejected
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import OrderList
from nautilus_trader.persistence.catalog import ParquetDataCatalog
from nautilus_trader.trading.strategy import Strategy

from backtest.margin import Exposure
from backtest.margin import admits
from backtest.margin import check_leverage
from backtest.margin import default_leverage
from backtest.margin import initial_margin
from backtest.margin import with_order
from backtest.reporting import report
from backtest.runner import RunSpec
from backtest.runner import load_settings
from backtest.runner import run_session
from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from run_backtest import DEFAULT_CONFIG

S = 1_000_000_000

# Five minutes of the ETH capture of 2025-12-10 (ETH's maxLeverage in the shipped meta: 25).
ETH_RUN = RunSpec(name="eth_short", instrument="ETH-USD-PERP.HYPERLIQUID", start="2025-12-10T21:11:00Z",
                  end="2025-12-10T21:16:00Z")


def test_orders_on_the_reducing_side_need_no_margin_until_they_flip_the_position() -> None:
    long_100 = Exposure(position_notional=100.0)
    assert initial_margin(with_order(long_100, is_buy=False, notional=100.0), 10) == pytest.approx(10.0)
    assert initial_margin(with_order(long_100, is_buy=False, notional=300.0), 10) == pytest.approx(20.0)  # short 200


def test_orders_on_the_increasing_side_add_their_notional_over_the_leverage() -> None:
    assert initial_margin(Exposure(position_notional=-50.0, buys=20.0, sells=150.0), 20) == pytest.approx(200.0 / 20)


def test_an_order_raising_the_margin_past_the_account_value_is_refused() -> None:
    assert admits(account_value=10.0, margin_before=5.0, margin_after=10.0)
    assert not admits(account_value=10.0, margin_before=5.0, margin_after=10.01)


def test_an_order_lowering_the_margin_passes_even_when_the_account_cannot_margin_what_it_holds() -> None:
    assert admits(account_value=1.0, margin_before=50.0, margin_after=40.0)


def test_the_default_leverage_is_20_capped_by_the_coins_max_leverage() -> None:
    assert default_leverage(25) == 20
    assert default_leverage(5) == 5
    assert default_leverage(None) == 20


@pytest.mark.parametrize(("leverage", "max_leverage", "message"), [
    (0, None, "must be an integer >= 1, got 0"),
    (True, None, "must be an integer >= 1"),
    (30, 25, "30 is above the coin's maxLeverage 25"),
])
def test_a_leverage_the_exchange_would_not_set_is_refused_naming_the_field(leverage, max_leverage, message: str) -> None:
    with pytest.raises(ValueError, match=f"run x: leverage {message}"):
        check_leverage(leverage, "run x: leverage", max_leverage)


def _settings(**changes):
    # The margin rule needs orders and re-quotes: the edge check would rightly stand this thin ETH
    # window down, and the action rate would hold the re-quotes that the modify test needs.
    settings = load_settings(DEFAULT_CONFIG)
    governor = {**(settings.governor or {}), "edge_check_enabled": False, "action_rate_enabled": False}
    return msgspec.structs.replace(settings, **{"runs": [ETH_RUN], "governor": governor, **changes})


@pytest.mark.slow
def test_a_run_with_a_cent_fills_nothing_it_cannot_margin_and_reports_the_refusals(eth_two_months: ParquetDataCatalog) -> None:
    session = run_session(_settings(starting_usdc=0.01), ETH_RUN, eth_two_months)
    r = report.build(session)
    assert session.leverage == 20
    assert r.metrics.volume_usd <= 0.01 * session.leverage
    assert r.run["margin_refusals"] > 0
    assert r.run["margin_refusals"] == sum(
        1 for o in session.engine.cache.orders() for e in o.events if "Insufficient margin" in getattr(e, "reason", "")
    )


@pytest.mark.slow
def test_an_account_that_margins_the_ladder_has_no_order_refused(eth_two_months: ParquetDataCatalog) -> None:
    r = report.build(run_session(_settings(), ETH_RUN, eth_two_months))
    assert r.metrics.fills > 0 and r.run["margin_refusals"] == 0


@pytest.mark.slow
def test_a_small_account_holds_no_more_than_its_value_times_its_leverage(eth_two_months: ParquetDataCatalog) -> None:
    low = report.build(run_session(_settings(starting_usdc=20.0, leverage=1), ETH_RUN, eth_two_months))
    high = report.build(run_session(_settings(starting_usdc=20.0, leverage=20), ETH_RUN, eth_two_months))
    assert low.run["leverage"] == 1 and low.run["margin_refusals"] > 0
    # $20 at 1x: no position worth more than the account (1% for the PnL and the mark's moves).
    assert max(abs(q) for _, q in low.inventory) * max(low.mids) <= 20.0 * 1.01
    assert max(abs(q) for _, q in high.inventory) * min(high.mids) > 20.0 * 1.01  # at 20x it does hold more


@pytest.mark.slow
def test_a_margin_trip_works_off_the_position_as_a_maker_then_stops_and_the_report_runs_to_the_end(
    eth_two_months: ParquetDataCatalog,
) -> None:
    # Review 7: $20 at 20x trips the margin breaker ~80 s in holding 0.0448 ETH. Quoting stopped at
    # once, leaving it unmanaged, and the report marked it at the mid of the stop, 4 minutes and
    # ~60 bps of market before the run's end.
    session = run_session(_settings(starting_usdc=20.0, leverage=20), ETH_RUN, eth_two_months)
    r = report.build(session)
    mm = session.strategy
    tripped, stopped = [e.ts_ns for e in mm.guard_events if e.source == "MarketMaker" and e.guard == "rejections"]
    held = [abs(q) for t, q in r.inventory if t >= tripped]
    assert held[0] > 0  # held at the trip
    assert all(b <= a for a, b in itertools.pairwise(held))  # only ever reduced after it
    assert held[-1] == 0.0 and mm.quoting_stopped is not None and mm.quoting_stopped.endswith("nothing left to reduce")
    # Review 8: the status had said "what it held then is marked to the end of the run" of a flat stop.
    assert r.status == (f"reduce-only from {report._iso(tripped)}: 10 orders rejected as insufficient_margin within "
                        f"60 s (last: Insufficient margin to place order.); stopped quoting at {report._iso(stopped)}: "
                        "nothing left to reduce")
    assert r.times[-1] - stopped > 100 * S  # the journal goes on to the run's end
    book = session.engine.cache.order_book(mm.instrument_id)
    end_mid = (float(book.best_bid_price()) + float(book.best_ask_price())) / 2
    assert r.market["end_mid"] == pytest.approx(end_mid, abs=0.5)


def test_a_run_leverage_above_the_coins_max_leverage_is_refused_naming_the_run(eth_two_months: ParquetDataCatalog) -> None:
    spec = msgspec.structs.replace(ETH_RUN, leverage=30)
    with pytest.raises(ValueError, match="run eth_short: leverage 30 is above the coin's maxLeverage 25"):
        run_session(_settings(runs=[spec]), spec, eth_two_months)


def test_a_config_leverage_below_1_is_refused_when_the_config_is_read(tmp_path: Path) -> None:
    cfg = json.loads(DEFAULT_CONFIG.read_text())
    cfg["leverage"] = 0
    path = tmp_path / "bt.json"
    path.write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="leverage must be an integer >= 1, got 0"):
        load_settings(path)


@pytest.mark.slow
def test_a_modify_the_account_cannot_margin_is_refused_and_counted(eth_two_months: ParquetDataCatalog) -> None:
    # $60 at 1x: some re-quotes enlarge a resting order past what the account margins. The rejection
    # breaker would stop the quoting after ten refusals, before any modify: it is held off here.
    strategy = {**load_settings(DEFAULT_CONFIG).strategy, "rejection_breaker_count": 10_000}
    session = run_session(_settings(starting_usdc=60.0, leverage=1, strategy=strategy), ETH_RUN, eth_two_months)
    events = [e for o in session.engine.cache.orders() for e in o.events]
    modify_refusals = [e for e in events if isinstance(e, OrderModifyRejected) and e.reason.startswith("Insufficient margin")]
    order_refusals = [e for e in events if isinstance(e, OrderRejected) and e.reason.startswith("Insufficient margin")]
    assert modify_refusals
    assert report.build(session).run["margin_refusals"] == len(modify_refusals) + len(order_refusals)


class _ListSenderConfig(StrategyConfig, frozen=True):
    instrument_id: str
    prices: tuple[float, ...]
    qty: float


class ListSender(Strategy):
    """Submits one list of post-only buys at 2 s, as a strategy's ladder leaves."""

    def on_start(self) -> None:
        self.clock.set_time_alert_ns("send", 2 * S, self._send)

    def _send(self, event: object) -> None:
        iid = InstrumentId.from_str(self.config.instrument_id)
        instrument = self.cache.instrument(iid)
        orders = [
            self.order_factory.limit(
                instrument_id=iid, order_side=OrderSide.BUY, quantity=instrument.make_qty(self.config.qty),
                price=instrument.make_price(px), time_in_force=TimeInForce.GTC, post_only=True,
            )
            for px in self.config.prices
        ]
        self.submit_order_list(OrderList(self.order_factory.generate_order_list_id(), orders))


def test_a_list_the_account_can_margin_only_in_part_places_the_first_orders_and_refuses_the_rest() -> None:
    inst = scripted_perp()
    book = ScriptedBook(inst)
    data = book.snapshot(S, *ladder_book(3000.0, 3000.1, 0.1, 5.0))
    data += book.update(5 * S, *ladder_book(2980.0, 2980.1, 0.1, 5.0))  # sells through every price
    # $100 at leverage 1: two $40 buys fit, the third would need $120 of margin.
    engine = make_engine([inst], starting_usdc=100.0, leverages={inst.id: 1})
    engine.add_data(data)
    engine.add_strategy(ListSender(_ListSenderConfig(instrument_id=str(inst.id), prices=(2990.0, 2989.0, 2988.0), qty=40 / 2990)))
    engine.run()
    orders = sorted(engine.cache.orders(), key=lambda o: -float(o.price))
    assert [o.status for o in orders] == [OrderStatus.FILLED, OrderStatus.FILLED, OrderStatus.REJECTED]
    (refused,) = [e for e in engine.cache.orders() if e.status == OrderStatus.REJECTED]
    assert float(refused.price) == 2988.0
    # The venue itself held only the two it admitted: when the market sells through all three
    # prices, two fill.
    assert float(engine.portfolio.net_position(inst.id)) == pytest.approx(2 * float(orders[0].quantity))
