"""A password-protected Redis as the node's cache: the password reaches Nautilus's cache and the
start-up checks whatever characters it holds, a wrong one is a config error, and none is shown."""

from __future__ import annotations

import msgspec
import pytest
import redis
from nautilus_trader.cache.database import CacheDatabaseAdapter
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.serialization.serializer import MsgSpecSerializer

import run_live
from catalog.shipped_data import PROJECT_ROOT
from live.node_config import REDIS_CACHE_URL_ENV
from live.preflight import cache_url
from live.preflight import check_redis_reachable
from tests.redis_kit import URL_BREAKING_PASSWORD
from tests.redis_kit import URL_BREAKING_PASSWORD_ENCODED
from tests.redis_kit import RedisServer
from tests.redis_kit import wait_until

pytestmark = pytest.mark.redis

ACCOUNT = "0x" + "ab" * 20
PASSWORD = URL_BREAKING_PASSWORD
ENCODED = URL_BREAKING_PASSWORD_ENCODED
LIVE_CONFIG = str(PROJECT_ROOT / "configs" / "live.json")


def _config(url: str):
    parsed = run_live.parse_args(["--config", LIVE_CONFIG, "--account", ACCOUNT,
                                  "--redis-cache", url])
    return run_live.prepare(parsed)[0]


def test_a_password_with_url_characters_reaches_nautilus_cache(protected_redis: RedisServer) -> None:
    config = _config(f"redis://:{ENCODED}@127.0.0.1:{protected_redis.port}")
    check_redis_reachable(cache_url(config), "the Redis cache")
    cache = CacheDatabaseAdapter(TraderId("TESTER-001"), UUID4(), MsgSpecSerializer(encoding=msgspec.msgpack),
                                 config.cache)
    cache.add("probe", b"1")
    client = redis.Redis(port=protected_redis.port, password=PASSWORD)
    # Nautilus writes from its own thread: the key lands a moment later. (Its `flush()` empties the
    # database, and raced this write: the test failed once under load.)
    assert wait_until(lambda: client.get("trader-TESTER-001:general:probe") == b"1", 10.0)


def test_a_wrong_password_is_a_config_error_that_does_not_show_it(protected_redis: RedisServer) -> None:
    config = _config(f"redis://:not-{ENCODED}@127.0.0.1:{protected_redis.port}")
    with pytest.raises(run_live.ConfigError, match="refused the credentials") as info:
        check_redis_reachable(cache_url(config), "the Redis cache")
    assert ENCODED not in str(info.value) and "not-" not in str(info.value)


def test_no_password_for_a_protected_redis_is_a_config_error(protected_redis: RedisServer) -> None:
    config = _config(f"redis://127.0.0.1:{protected_redis.port}")
    with pytest.raises(run_live.ConfigError, match="refused the credentials"):
        check_redis_reachable(cache_url(config), "the Redis cache")


def test_a_password_not_encoded_is_refused_with_the_way_to_write_it_and_not_shown() -> None:
    with pytest.raises(run_live.ConfigError) as info:
        _config("redis://:s3cr#t/pw@127.0.0.1:6379")
    assert "percent-encoded" in str(info.value) and "%23" in str(info.value)
    assert "s3cr" not in str(info.value) and "pw" not in str(info.value).replace("password", "")


def test_redis_cache_alone_takes_the_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REDIS_CACHE_URL_ENV, f"redis://mm:{ENCODED}@127.0.0.1:6390")
    parsed = run_live.parse_args(["--config", LIVE_CONFIG, "--account", ACCOUNT,
                                  "--redis-cache"])
    database = run_live.prepare(parsed)[0].cache.database
    assert (database.username, database.password, database.port) == ("mm", ENCODED, 6390)


def test_redis_cache_alone_without_the_variable_is_the_local_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REDIS_CACHE_URL_ENV, raising=False)
    parsed = run_live.parse_args(["--config", LIVE_CONFIG, "--account", ACCOUNT,
                                  "--redis-cache"])
    database = run_live.prepare(parsed)[0].cache.database
    assert (database.host, database.port, database.password) == ("127.0.0.1", 6379, None)
