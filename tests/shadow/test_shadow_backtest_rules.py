"""The shadow client's backtest-venue rules (`matching="backtest_venue"`) and the replay stream
used to compare shadow runs with backtests on the same input."""

from __future__ import annotations

import gzip
import json

import pytest

from backtest.compare import shadow_node_config
from backtest.replay_data import shadow_view_data
from backtest.scripted import scripted_perp
from shadow.config import ShadowExecClientConfig
from simulation.matcher import BacktestVenueMatcher
from simulation.matcher import QueueMatcher
from simulation.queue_model import ConservativeQueue


def sizes(bids: dict[float, float], asks: dict[float, float]):
    return lambda is_bid, px: (bids if is_bid else asks).get(px, 0.0)


def test_a_trade_through_with_size_still_ahead_does_not_fill_under_the_backtest_rules() -> None:
    venue = BacktestVenueMatcher(ConservativeQueue(), lot=0.01)
    venue.add("b1", True, 100.0, 1.0, level_qty=3.0)
    assert venue.on_trade(99.9, 5.0, aggressor_is_buy=False) == []
    # hlsim's rules take the level as gone and fill the whole order
    queue = QueueMatcher(ConservativeQueue(), lot=0.01)
    queue.add("b1", True, 100.0, 1.0, level_qty=3.0)
    assert [f.qty for f in queue.on_trade(99.9, 0.1, aggressor_is_buy=False)] == [1.0]


def test_a_deleted_level_clears_the_queue_then_a_trade_through_fills_up_to_its_size() -> None:
    venue = BacktestVenueMatcher(ConservativeQueue(), lot=0.01)
    venue.add("b1", True, 100.0, 1.0, level_qty=3.0)
    venue.on_book(100.1, 100.5, sizes({100.1: 1.0, 100.0: 2.0}, {}))  # cancels ahead: no move
    assert venue.get("b1").queue.front == 3.0
    venue.on_book(100.1, 100.5, sizes({100.1: 1.0}, {}))  # the level is deleted
    assert venue.get("b1").queue.front == 0.0
    fills = venue.on_trade(99.9, 0.4, aggressor_is_buy=False)
    assert [round(f.qty, 8) for f in fills] == [0.4] and not fills[0].closed


def test_a_trade_at_the_price_fills_only_its_excess_over_the_size_ahead() -> None:
    venue = BacktestVenueMatcher(ConservativeQueue(), lot=0.01)
    venue.add("s1", False, 100.0, 1.0, level_qty=2.0)
    assert venue.on_trade(100.0, 1.5, aggressor_is_buy=True) == []
    assert [round(f.qty, 8) for f in venue.on_trade(100.0, 0.75, aggressor_is_buy=True)] == [0.25]


def test_one_trade_fills_at_most_its_size_across_orders() -> None:
    venue = BacktestVenueMatcher(ConservativeQueue(), lot=0.01)
    venue.add("b1", True, 100.0, 1.0, level_qty=0.0)
    venue.add("b2", True, 99.9, 1.0, level_qty=0.0)
    fills = venue.on_trade(99.8, 1.5, aggressor_is_buy=False)
    assert [(f.key, round(f.qty, 8)) for f in fills] == [("b1", 1.0), ("b2", 0.5)]


def test_the_config_accepts_only_known_matching_modes() -> None:
    assert ShadowExecClientConfig(matching="backtest_venue").matching == "backtest_venue"
    with pytest.raises(ValueError):
        ShadowExecClientConfig(matching="optimistic")


def test_the_comparison_gives_the_shadow_node_the_full_depth_book_and_the_same_latency() -> None:
    raw = shadow_node_config(50.0, "backtest_venue")
    assert all(spec["config"]["l2_book_fast"] is False for spec in raw["data_clients"].values())
    assert raw["shadow"]["latency_ms"] == 50.0 and raw["shadow"]["matching"] == "backtest_venue"


def _write_capture(path, records) -> None:
    with gzip.open(path, "wt") as f:
        for ns, msg in records:
            f.write(f"{ns} {json.dumps(msg)}\n")


def test_the_replay_stream_has_the_book_as_hlsim_publishes_it_with_bbo_applied(tmp_path) -> None:
    def lv(px, sz):
        return {"px": str(px), "sz": str(sz), "n": 1}

    book = {"coin": "ETH", "time": 1_000, "levels": [[lv(3000.0, 2), lv(2999.9, 3)], [lv(3000.1, 1), lv(3000.2, 4)]]}
    bbo = {"coin": "ETH", "time": 2_000, "bbo": [lv(3000.0, 0.5), lv(3000.1, 1)]}
    trade = [{"coin": "ETH", "side": "A", "px": "3000.0", "sz": "0.5", "time": 3_000, "tid": 7}]
    capture = tmp_path / "eth.ws.gz"
    _write_capture(capture, [
        (1_000_000_000, {"channel": "l2Book", "data": book}),
        (2_000_000_000, {"channel": "bbo", "data": bbo}),
        (3_000_000_000, {"channel": "trades", "data": trade}),
        (4_000_000_000, {"channel": "trades", "data": [{**trade[0], "time": 4_000, "tid": 8}]}),
    ])
    data = shadow_view_data(capture, scripted_perp("ETH", 4), "ETH", 4)
    deltas = [d for d in data if type(d).__name__ == "OrderBookDelta"]
    # the bbo frame moved the top of the book (a catalog built from l2Book diffs would not show it)
    bbo_update = [d for d in deltas if float(d.order.price) == 3000.0 and float(d.order.size) == 0.5]
    # a depth frame waits up to 100 ms (recorded time) for its block's trades, as in a paced replay
    assert bbo_update and bbo_update[0].ts_init == 2_100_000_000
    quotes = [d for d in data if type(d).__name__ == "QuoteTick"]
    assert [float(q.bid_size) for q in quotes] == [2.0, 0.5]
    trades = [d for d in data if type(d).__name__ == "TradeTick"]
    assert [float(t.price) for t in trades] == [3000.0, 3000.0]
    assert [t.ts_init for t in data] == sorted(t.ts_init for t in data)


def test_on_the_same_orders_and_data_the_backtest_rules_reproduce_the_backtest_venue_fills(tmp_path) -> None:
    """The first 4 minutes of the ETH capture as a shadow node sees it; the backtest's own orders
    replayed through the shadow matchers. The backtest-venue rules give exactly the venue's fills;
    hlsim's rules (a trade through the price fills) give more."""
    from nautilus_trader.persistence.catalog import ParquetDataCatalog

    from backtest import compare
    from backtest import rule_replay
    from backtest.runner import BacktestSettings
    from backtest.runner import RunSpec
    from backtest.runner import instrument_for_tier
    from backtest.runner import run_session
    from catalog import shipped_data
    from catalog.ingest import ensure_shipped_catalog
    from simulation.queue_model import make_queue_rule

    capture = tmp_path / "eth_head.ws.gz"
    first_ns, last_ns = compare.truncated_capture(shipped_data.eth_capture(), capture, 4)
    catalog = ParquetDataCatalog(str(ensure_shipped_catalog()))
    inst = instrument_for_tier(catalog, compare.IID, 0)
    data = shadow_view_data(capture, inst, "ETH", inst.size_precision)
    node = compare.shadow_node_config(50.0)
    strategy = {k: v for k, v in node["strategies"][0]["config"].items() if k not in ("instrument_id", "order_id_tag")}
    actors = {a["actor_path"].rsplit(":", 1)[1]: {k: v for k, v in a["config"].items() if k != "instrument_ids"}
              for a in node["actors"]}
    spec = RunSpec(name="same_input", instrument=compare.IID)
    settings = BacktestSettings(runs=[spec], latency_ms=50.0, strategy=strategy,
                                governor=actors["RegimeGovernor"], risk_guard=actors["RiskGuard"])
    session = run_session(settings, spec, catalog, start_ns=first_ns + 1_000_000_000, end_ns=last_ns, data=data)
    orders = session.engine.cache.orders()
    timeline = rule_replay.order_timeline(orders)
    venue = rule_replay.venue_fills(orders)
    lot = float(inst.size_increment)
    rule = make_queue_rule("conservative", 2.0)
    same_rules = rule_replay.replay(data, timeline, BacktestVenueMatcher(rule, lot), inst.id)
    hlsim_rules = rule_replay.replay(data, timeline, QueueMatcher(rule, lot), inst.id)
    session.engine.dispose()

    assert len(venue) >= 3
    assert [(f.ts, f.key, f.price, round(f.qty, 8)) for f in same_rules] == [
        (f.ts, f.key, f.price, round(f.qty, 8)) for f in venue
    ]
    assert sum(f.qty for f in hlsim_rules) > sum(f.qty for f in venue)
