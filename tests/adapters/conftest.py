"""hlsim per test (ephemeral port, torn down) and the agent key in the environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hlsim.testing import HlSimThread
from tests.node_kit import AGENT_KEY
from tests.node_kit import prepared_sim


@pytest.fixture
def agent_key_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HYPERLIQUID_AGENT_KEY", AGENT_KEY)
    return AGENT_KEY


@pytest.fixture
def sim(agent_key_env: str) -> Iterator[HlSimThread]:
    with prepared_sim() as s:
        yield s


@pytest.fixture(autouse=True)
def no_thread_left_behind() -> Iterator[None]:
    import threading
    import time

    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra:
            return
        time.sleep(0.05)
    raise AssertionError(f"threads left running: {[t.name for t in extra]}")
