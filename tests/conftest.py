"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import shipped_data


@pytest.fixture(scope="session")
def hl_data() -> Path:
    """The shipped Hyperliquid recordings (`../shared/data/hyperliquid`)."""
    path = shipped_data.hyperliquid_dir()
    if not path.is_dir():
        pytest.fail(f"shipped data not found at {path} (set HL_SHARED_DATA to the shared/data folder)")
    return path


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis server every machine runs; failing (not skipping) when it is down."""
    import redis

    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"Redis at {url} is not reachable: {exc}")
    return url
