"""Fixtures for hlsim tests: a running simulator on an ephemeral port and funded SDK wallets."""

from __future__ import annotations

from collections.abc import Iterator

import eth_account
import pytest
from eth_account.signers.local import LocalAccount

from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread

# Throwaway test keys (never used anywhere real).
MAKER_KEY = "0x" + "11" * 32
OTHER_KEY = "0x" + "22" * 32
AGENT_KEY = "0x" + "33" * 32


@pytest.fixture
def wallet() -> LocalAccount:
    return eth_account.Account.from_key(MAKER_KEY)


@pytest.fixture
def other_wallet() -> LocalAccount:
    return eth_account.Account.from_key(OTHER_KEY)


@pytest.fixture
def agent_wallet() -> LocalAccount:
    return eth_account.Account.from_key(AGENT_KEY)


@pytest.fixture
def sim() -> Iterator[HlSimThread]:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4, "BTC": 5}, ip_weight_per_min=None)) as running:
        yield running


@pytest.fixture
def eth_book(sim: HlSimThread) -> HlSimThread:
    """ETH book 3000.0 / 3000.5 with 5 lots (1 ETH each) at the best bid."""
    sim.set_book(
        "ETH",
        bids=[("3000.0", "5"), ("2999.5", "10"), ("2999.0", "20")],
        asks=[("3000.5", "5"), ("3001.0", "10"), ("3001.5", "20")],
    )
    return sim
