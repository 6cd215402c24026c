"""The agent key never reaches the logs of a full session (captured at DEBUG level)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from catalog.shipped_data import PROJECT_ROOT
from tests.node_kit import AGENT
from tests.node_kit import AGENT_KEY


@pytest.mark.slow
def test_a_full_session_at_debug_level_never_logs_the_agent_key() -> None:
    env = {**os.environ, "HYPERLIQUID_AGENT_KEY": AGENT_KEY}
    proc = subprocess.run(
        [sys.executable, "-m", "tests.adapters.logged_session"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "SESSION OK" in proc.stdout, output[-3000:]
    # The logs are real and detailed: the session's own lines are there...
    assert AGENT.lower() in output.lower() and "scheduleCancel" in output and "dark" in output
    # ...but not the key, in any case or form.
    key_hex = AGENT_KEY.removeprefix("0x")
    for form in (key_hex, key_hex.upper(), key_hex[:16], key_hex[-16:]):
        assert form.lower() not in output.lower()
