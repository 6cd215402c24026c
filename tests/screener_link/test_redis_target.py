"""One Redis contract: the publisher, the node's feed, the governor and the node config the screener
writes check the url and the names with the same rules, and meet on the same channel and key."""

from __future__ import annotations

import pytest

from mm_strategy.governor import RegimeGovernor
from mm_strategy.governor import RegimeGovernorConfig
from screener.node_config import NodeConfigOptions
from screener_link.feed import ScreenerFeed
from screener_link.publish import ScreenerPublisher
from screener_link.redis_target import DEFAULT_CHANNEL
from screener_link.redis_target import DEFAULT_KEY
from screener_link.redis_target import check_redis_name
from screener_link.redis_target import check_redis_url

BAD_URLS = [
    ("http://127.0.0.1:6379", "schemes"),
    ("redis://:s3cret@host:99999", "Port out of range"),
    ("redis://127.0.0.1:6379/x", "must be a database number"),
    ("redis://:s3cret@", "no host"),
    ("unix://", "no socket path"),
]


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/0", "rediss://u:p@example:6380", "unix:///tmp/r.sock?db=2"])
def test_good_urls_pass_unchanged(url: str) -> None:
    assert check_redis_url(url) == url


@pytest.mark.parametrize(("url", "why"), BAD_URLS)
def test_a_bad_url_is_refused_alike_by_the_publisher_and_the_feed(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as by_publisher:
        ScreenerPublisher(url)
    with pytest.raises(ValueError, match=why) as by_feed:
        ScreenerFeed(url)
    assert str(by_publisher.value) == str(by_feed.value)
    assert "s3cret" not in str(by_feed.value)


@pytest.mark.parametrize(("url", "why"), BAD_URLS)
def test_a_bad_url_is_refused_when_the_governor_is_built(url: str, why: str) -> None:
    config = RegimeGovernorConfig(instrument_ids=("ETH-USD-PERP.HYPERLIQUID",), redis_url=url)
    with pytest.raises(ValueError, match=why) as info:
        RegimeGovernor(config)
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(("url", "why"), BAD_URLS)
def test_a_bad_url_is_refused_in_the_node_config_the_screener_writes(url: str, why: str) -> None:
    with pytest.raises(ValueError, match=f"redis_url: .*{why}"):
        NodeConfigOptions(redis_url=url)


@pytest.mark.parametrize("name", ["", "  "])
def test_a_blank_channel_or_key_is_refused_on_both_sides(name: str) -> None:
    with pytest.raises(ValueError, match="non-empty Redis channel name"):
        ScreenerPublisher("redis://127.0.0.1:6379/0", channel=name)
    with pytest.raises(ValueError, match="non-empty Redis key name"):
        ScreenerFeed("redis://127.0.0.1:6379/0", key=name)
    with pytest.raises(ValueError, match="non-empty Redis channel name"):
        NodeConfigOptions(screener_channel=name)
    with pytest.raises(ValueError, match="non-empty Redis"):
        check_redis_name(name)


def test_by_default_the_node_listens_where_the_screener_publishes() -> None:
    governor = RegimeGovernorConfig(instrument_ids=("ETH-USD-PERP.HYPERLIQUID",))
    feed = ScreenerFeed("redis://127.0.0.1:6379/0")
    publisher = ScreenerPublisher("redis://127.0.0.1:6379/0")
    written = NodeConfigOptions()
    try:
        assert (governor.screener_channel, governor.screener_key) == (DEFAULT_CHANNEL, DEFAULT_KEY)
        assert (feed.channel, feed.key) == (publisher.channel, publisher.key) == (DEFAULT_CHANNEL, DEFAULT_KEY)
        assert (written.screener_channel, written.screener_key) == (DEFAULT_CHANNEL, DEFAULT_KEY)
    finally:
        publisher.close()
