"""End to end: snapshots published over the real Redis reach a running engine's RegimeGovernor,
which hands them to the MarketMaker."""

from __future__ import annotations

import threading
import time

import pytest

from backtest.scripted import ScriptedBook
from backtest.scripted import ladder_book
from backtest.scripted import make_engine
from backtest.scripted import scripted_perp
from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from mm_strategy.market_maker import MarketMaker
from mm_strategy.market_maker import MarketMakerConfig
from mm_strategy.messages import SpreadAdjust
from mm_strategy.messages import control_topic
from screener_link.feed import ScreenerFeed
from screener_link.payload import AssetParams
from screener_link.payload import ScreenerSnapshot
from screener_link.payload import make_snapshot
from screener_link.publish import ScreenerPublisher

pytestmark = pytest.mark.redis

S = 1_000_000_000
MS = 1_000_000
# Seconds of book data per engine run: longer than the governor's warm-up before it evaluates.
CHUNK_S = 15


def _eth_params(spread: float, spacing: int, inventory: float, size: float) -> ScreenerSnapshot:
    entry = AssetParams(
        asset="ETH",
        base_spread_bps=spread,
        max_inventory_usd=inventory,
        level_spacing_ticks=spacing,
        order_size_usd=size,
        score=1.0,
    )
    return make_snapshot(int(time.time() * 1000), [entry])


def _book_chunk(book: ScriptedBook, start_ns: int, seconds: int) -> list:
    """A steady ETH book (3000.0 / 3000.5), re-sent every 200 ms with alternating sizes."""
    data = []
    for i in range(seconds * 5):
        ts = start_ns + i * 200 * MS
        bids, asks = ladder_book(3000.0, 3000.5, 0.1, 5.0 + (i % 2))
        data += book.snapshot(ts, bids, asks) if not book.bids else book.update(ts, bids, asks)
    return data


def test_published_parameters_reach_the_strategy_through_a_running_governor(redis_url, redis_names) -> None:
    channel, key = redis_names
    inst = scripted_perp("ETH")
    iid = str(inst.id)
    first = _eth_params(6.0, 3, 500.0, 25.0)
    with ScreenerPublisher(redis_url, channel, key) as pub:
        pub.publish(first)  # stored before the node starts

    config = RegimeGovernorConfig(
        instrument_ids=(iid,), redis_url=redis_url, screener_channel=channel, screener_key=key
    )
    feed = ScreenerFeed(redis_url, channel, key, config.screener_stale_after_s, backoff_max_s=0.5)
    governor = RegimeGovernor(config, feed=feed)
    mm = MarketMaker(
        MarketMakerConfig(
            instrument_id=iid,
            base_spread_bps=4.0,
            level_spacing_ticks=2,
            order_size_usd=20.0,
            max_inventory_usd=150.0,
        )
    )
    engine = make_engine([inst])
    engine.add_actor(governor)
    engine.add_strategy(mm)
    control: list[object] = []
    engine.kernel.msgbus.subscribe(control_topic(iid), control.append)
    book = ScriptedBook(inst)
    t0 = 1_700_000_000 * S
    try:
        engine.add_data(_book_chunk(book, t0, CHUNK_S))
        engine.run(streaming=True)  # the governor starts the feed, which reads the stored key
        assert feed.wait_for_version(1, 5.0)

        engine.clear_data()
        engine.add_data(_book_chunk(book, t0 + CHUNK_S * S, CHUNK_S))
        engine.run(streaming=True)
        assert mm.ladder.base_spread_bps == 6.0
        assert mm.ladder.level_spacing_ticks == 3
        assert mm.ladder.order_size_usd == 25.0
        assert mm.max_inventory_usd == 500.0

        second = _eth_params(9.5, 4, 800.0, 40.0)
        with ScreenerPublisher(redis_url, channel, key) as pub:
            assert pub.publish(second) == 1  # the governor's feed is subscribed
        assert feed.wait_for_version(2, 5.0)

        engine.clear_data()
        engine.add_data(_book_chunk(book, t0 + 2 * CHUNK_S * S, CHUNK_S))
        engine.run(streaming=True)
        assert mm.ladder.base_spread_bps == 9.5
        assert mm.ladder.level_spacing_ticks == 4
        assert mm.max_inventory_usd == 800.0
        assert governor.firings.get("screener_params") == 2
        # Stale until the feed had read the stored key (spreads widened), fresh since.
        screener_adjusts = [m for m in control if isinstance(m, SpreadAdjust) and m.source == "screener"]
        assert not screener_adjusts or screener_adjusts[-1].spread_mult == 1.0
        assert not feed.is_stale()
    finally:
        engine.end()
        engine.dispose()
    assert not any(t.name == f"screener-feed:{channel}" for t in threading.enumerate())


@pytest.mark.slow
def test_governor_widens_on_a_stale_feed_while_redis_is_down_and_recovers(private_redis) -> None:
    channel, key = "mm:screener", "mm:screener:latest"
    inst = scripted_perp("ETH")
    iid = str(inst.id)
    config = RegimeGovernorConfig(
        instrument_ids=(iid,),
        redis_url=private_redis.url,
        screener_stale_after_s=1.0,
        stale_spread_mult=1.5,
    )
    feed = ScreenerFeed(private_redis.url, channel, key, 1.0, backoff_max_s=0.3, ping_interval_s=0.2)
    governor = RegimeGovernor(config, feed=feed)
    mm = MarketMaker(MarketMakerConfig(instrument_id=iid, base_spread_bps=4.0, max_inventory_usd=150.0))
    engine = make_engine([inst])
    engine.add_actor(governor)
    engine.add_strategy(mm)
    control: list[object] = []
    engine.kernel.msgbus.subscribe(control_topic(iid), control.append)
    book = ScriptedBook(inst)
    t0 = 1_700_000_000 * S

    def run_chunk(start_s: int) -> list[float]:
        before = len(control)
        engine.clear_data()
        engine.add_data(_book_chunk(book, t0 + start_s * S, CHUNK_S))
        engine.run(streaming=True)
        return [
            m.spread_mult for m in control[before:] if isinstance(m, SpreadAdjust) and m.source == "screener"
        ]

    try:
        with ScreenerPublisher(private_redis.url, channel, key) as pub:
            pub.publish(_eth_params(6.0, 3, 500.0, 25.0))
        feed.start()
        assert feed.wait_for_version(1, 5.0)
        run_chunk(0)
        assert mm.ladder.base_spread_bps == 6.0

        private_redis.stop()
        deadline = time.monotonic() + 5
        while not feed.is_stale() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert feed.is_stale()
        assert run_chunk(CHUNK_S) == [1.5]  # stale: spreads widened
        assert mm.ladder.base_spread_bps == 6.0  # still quoting on the last good parameters

        private_redis.start()
        deadline = time.monotonic() + 5
        while not feed.connected and time.monotonic() < deadline:
            time.sleep(0.05)
        with ScreenerPublisher(private_redis.url, channel, key) as pub:
            assert pub.publish(_eth_params(7.0, 3, 500.0, 25.0)) == 1
        assert feed.wait_for_version(2, 5.0)
        assert run_chunk(2 * CHUNK_S) == [1.0]  # fresh again
        assert mm.ladder.base_spread_bps == 7.0
    finally:
        engine.end()
        engine.dispose()
