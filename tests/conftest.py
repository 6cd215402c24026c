"""Fixtures shared by every test folder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from catalog import shipped_data
from tests.redis_kit import RedisServer
from tests.redis_kit import snapshot_of
from tests.redis_kit import wait_until


@pytest.fixture(scope="session")
def hl_data() -> Path:
    """The shipped Hyperliquid recordings (`data/samples/hyperliquid`)."""
    path = shipped_data.hyperliquid_dir()
    if not path.is_dir():
        pytest.fail(f"shipped data not found at {path} (it ships in the repository: is the clone complete?)")
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis server every machine runs; failing (not skipping) when it is down."""

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"Redis at {url} is not reachable: {exc}")
    return url


@pytest.fixture
def redis_names(redis_url: str) -> Iterator[tuple[str, str]]:
    """A channel and a key no other test uses; the key is deleted afterwards."""
    tag = uuid.uuid4().hex[:12]
    channel, key = f"test:screener:{tag}", f"test:screener:{tag}:latest"
    yield channel, key
    redis.Redis.from_url(redis_url).delete(key)


@pytest.fixture
def private_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_snap():  # type: ignore[no-untyped-def]
    """`make_snap(("BTC", 4.0), ..., ts_ms=None)` → a valid snapshot."""
    return snapshot_of


@pytest.fixture
def eventually():  # type: ignore[no-untyped-def]
    """`eventually(predicate, timeout_s)` → whether it became true in time."""
    return wait_until

