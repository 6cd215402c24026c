"""The node side: `ScreenerFeed` against real Redis servers."""

from __future__ import annotations

import json
import threading
import time

import pytest
import redis

from screener_link.feed import ScreenerFeed
from screener_link.payload import encode
from screener_link.publish import ScreenerPublisher
from screener_link.redis_target import redact_url

pytestmark = pytest.mark.redis


def _feed(url: str, channel: str, key: str, **kw: float) -> ScreenerFeed:
    defaults = {"backoff_initial_s": 0.05, "backoff_max_s": 0.3, "io_timeout_s": 0.5, "ping_interval_s": 0.2}
    return ScreenerFeed(url, channel=channel, key=key, **{**defaults, **kw})


def test_published_snapshot_reaches_a_running_feed(redis_url, redis_names, make_snap, eventually) -> None:
    channel, key = redis_names
    feed = _feed(redis_url, channel, key)
    feed.start()
    try:
        assert eventually(lambda: feed.connected, 5.0)
        assert feed.latest() is None and feed.is_stale()
        with ScreenerPublisher(redis_url, channel, key) as pub:
            assert pub.publish(make_snap(("BTC", 4.0), ("kPEPE", 12.5))) == 1
        assert feed.wait_for_version(1, 5.0)
        params = feed.params_for("kPEPE")
        assert params is not None and params.base_spread_bps == 12.5
        assert feed.params_for("ETH") is None
        assert not feed.is_stale()
    finally:
        feed.stop()


def test_feed_reads_the_stored_key_on_start(redis_url, redis_names, make_snap) -> None:
    channel, key = redis_names
    stored = make_snap(("SOL", 7.0))
    with ScreenerPublisher(redis_url, channel, key) as pub:
        assert pub.publish(stored) == 0  # nobody listening yet
    feed = _feed(redis_url, channel, key)
    feed.start()
    try:
        assert feed.wait_for_version(1, 5.0)
        assert feed.latest() == stored
        assert feed.rejected == 0
    finally:
        feed.stop()


def test_malformed_payloads_are_rejected_and_the_last_good_one_kept(
    redis_url, redis_names, make_snap, eventually
) -> None:
    channel, key = redis_names
    good = make_snap(("BTC", 4.0))
    feed = _feed(redis_url, channel, key)
    feed.start()
    raw = redis.Redis.from_url(redis_url)
    try:
        assert eventually(lambda: feed.connected, 5.0)
        with ScreenerPublisher(redis_url, channel, key) as pub:
            pub.publish(good)
        assert feed.wait_for_version(1, 5.0)
        entry = json.loads(encode(good))["assets"][0]
        now = int(time.time() * 1000)
        bad_payloads = [
            b"not json at all",
            json.dumps({"schema": 2, "ts": now, "assets": [entry]}),
            json.dumps({"schema": 1, "ts": now, "assets": [{**entry, "base_spread_bps": -3.0}]}),
            json.dumps({"schema": 1, "ts": now, "assets": [{**entry, "base_spread_bps": "4.0"}]}),
            json.dumps({"schema": 1, "ts": now, "assets": [{**entry, "asset": "BTC; DROP"}]}),
            json.dumps({"schema": 1, "ts": now, "assets": [entry, entry]}),
            json.dumps({"schema": 1, "ts": now - 3 * 3600 * 1000, "assets": [entry]}),  # stale
            json.dumps({"schema": 1, "ts": good.ts - 1000, "assets": [entry]}),  # older than applied
        ]
        for payload in bad_payloads:
            raw.publish(channel, payload)
        assert eventually(lambda: feed.rejected == len(bad_payloads), 5.0), feed.last_rejection
        assert feed.latest() == good
        assert feed.version == 1
        newer = make_snap(("BTC", 9.0))
        with ScreenerPublisher(redis_url, channel, key) as pub:
            pub.publish(newer)
        assert feed.wait_for_version(2, 5.0)  # still listening after the rejections
        assert feed.params_for("BTC").base_spread_bps == 9.0
    finally:
        feed.stop()
        raw.close()


def test_unreachable_redis_at_start_is_stale_not_an_error(make_snap, eventually) -> None:
    feed = _feed("redis://127.0.0.1:1/0", "test:nowhere", "test:nowhere:latest", stale_after_s=0.3)
    feed.start()
    try:
        time.sleep(0.5)
        assert not feed.connected
        assert feed.is_stale()
        assert feed.latest() is None
    finally:
        feed.stop()


@pytest.mark.slow
def test_redis_stopped_and_restarted_mid_run_marks_stale_then_recovers(
    private_redis, make_snap, eventually
) -> None:
    channel, key = "mm:screener", "mm:screener:latest"
    feed = _feed(private_redis.url, channel, key, stale_after_s=1.0)
    feed.start()
    try:
        assert eventually(lambda: feed.connected, 5.0)
        first = make_snap(("BTC", 4.0))
        with ScreenerPublisher(private_redis.url, channel, key) as pub:
            pub.publish(first)
        assert feed.wait_for_version(1, 5.0)
        assert not feed.is_stale()

        private_redis.stop()
        assert eventually(lambda: not feed.connected, 5.0)
        assert feed.latest() == first  # the last good config is kept
        assert eventually(feed.is_stale, 3.0)
        assert any(t.name == f"screener-feed:{channel}" for t in threading.enumerate())

        private_redis.start()
        assert eventually(lambda: feed.connected, 5.0)  # reconnects by itself
        second = make_snap(("BTC", 6.0), ("ETH", 5.0))
        with ScreenerPublisher(private_redis.url, channel, key) as pub:
            assert pub.publish(second) == 1
        assert feed.wait_for_version(2, 5.0)
        assert not feed.is_stale()
        assert feed.params_for("ETH").base_spread_bps == 5.0
    finally:
        feed.stop()
    assert not any(t.name == f"screener-feed:{channel}" for t in threading.enumerate())


def test_stop_returns_promptly_and_leaves_no_thread(redis_url, redis_names) -> None:
    channel, key = redis_names
    feed = _feed(redis_url, channel, key)
    feed.start()
    started = time.monotonic()
    feed.stop()
    assert time.monotonic() - started < 2.0
    assert not any(t.name == f"screener-feed:{channel}" for t in threading.enumerate())


def test_malformed_redis_url_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="redis://"):
        ScreenerFeed("http://127.0.0.1:6379")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:s3cret@127.0.0.1:6379/1", "redis://:***@127.0.0.1:6379/1"),
        ("rediss://bob:s3cret@example:6380", "rediss://bob:***@example:6380"),
        ("unix:///tmp/r.sock?db=2&password=s3cret", "unix:///tmp/r.sock?db=2&password=***"),
        ("redis://:s3cr#t/pw@127.0.0.1:6391", "redis://:***@127.0.0.1:6391"),  # not encoded: no parser finds it
        ("redis://bob:p@ss@127.0.0.1:6391/0", "redis://bob:***@127.0.0.1:6391/0"),
        ("redis://127.0.0.1:6379/0?socket_timeout=1", "redis://127.0.0.1:6379/0?socket_timeout=1"),
    ],
)
def test_redis_passwords_are_redacted_before_logging(url: str, shown: str) -> None:
    assert redact_url(url) == shown
