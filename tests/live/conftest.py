"""hlsim for the run_live.py process tests: BTC and ETH listed, a scripted ETH book kept alive; and a
private Redis behind a password that breaks URLs written without encoding."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread
from tests.node_kit import ETH_ASKS
from tests.node_kit import ETH_BIDS
from tests.node_kit import BookTicker
from tests.redis_kit import URL_BREAKING_PASSWORD
from tests.redis_kit import RedisServer


@pytest.fixture
def sim() -> Iterator[HlSimThread]:
    with run_hlsim_in_thread(HlSimConfig(coins={"BTC": 5, "ETH": 4}, ip_weight_per_min=None)) as sim:
        sim.set_book("ETH", bids=ETH_BIDS, asks=ETH_ASKS)
        yield sim


@pytest.fixture
def book(sim: HlSimThread) -> Iterator[BookTicker]:
    ticker = BookTicker(sim, ETH_BIDS, ETH_ASKS)
    yield ticker
    ticker.close()


@pytest.fixture(scope="module")
def protected_redis() -> Iterator[RedisServer]:
    server = RedisServer(password=URL_BREAKING_PASSWORD)
    server.start()
    yield server
    server.stop()
