"""The start-up sweep cancels what an earlier run left on the exchange, through the adapter's
signed-action path (its signer, nonce source, HTTP client and typed replies), against hlsim."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from adapters.hyperliquid.config import HyperliquidExecClientConfig
from live.sweep import SweepRefused
from live.sweep import exchange_open_orders
from live.sweep import own_coins
from live.sweep import sweep_open_orders
from tests.node_kit import ACCOUNT
from tests.node_kit import AGENT_KEY
from tests.node_kit import place_outside_order
from tests.node_kit import prepared_sim

KEY_ENV = "HYPERLIQUID_AGENT_KEY"


def _config(sim, **overrides) -> HyperliquidExecClientConfig:  # type: ignore[no-untyped-def]
    return HyperliquidExecClientConfig(base_url=sim.rest_url, account_address=ACCOUNT, **overrides)


def test_the_sweep_cancels_every_order_left_on_the_account_whatever_its_coin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, AGENT_KEY)
    with prepared_sim() as sim:
        eth = place_outside_order(sim, True, 0.01, 2990.0)
        btc = place_outside_order(sim, False, 0.001, 60000.0, coin="BTC")
        assert len(asyncio.run(exchange_open_orders(_config(sim)))) == 2

        swept = asyncio.run(sweep_open_orders(_config(sim, coins=("ETH",))))  # the node's coins do not limit it

        assert sorted(swept) == sorted([str(eth), str(btc)])
        assert sim.open_orders(ACCOUNT) == []
        assert asyncio.run(exchange_open_orders(_config(sim))) == []


def test_an_account_with_nothing_left_is_swept_without_reading_the_agent_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with prepared_sim() as sim:
        assert asyncio.run(sweep_open_orders(_config(sim))) == []


def test_a_cancel_the_exchange_refuses_as_a_whole_is_an_error_naming_its_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    with prepared_sim() as sim:
        oid = place_outside_order(sim, True, 0.01, 2990.0)
        monkeypatch.setenv(KEY_ENV, "0x" + secrets.token_hex(32))  # an agent the account never registered

        # A start-up error (run_live exits with its message), though the start-up checks catch an
        # unknown agent before the sweep: this is the sweep's own guard.
        with pytest.raises(SweepRefused, match="does not exist"):
            asyncio.run(sweep_open_orders(_config(sim)))

        assert [o["oid"] for o in sim.open_orders(ACCOUNT)] == [oid]


def test_a_node_sharing_its_account_sweeps_only_its_own_coins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, AGENT_KEY)
    with prepared_sim() as sim:
        eth = place_outside_order(sim, True, 0.01, 2990.0)
        btc = place_outside_order(sim, False, 0.001, 60000.0, coin="BTC")  # another node's order

        config = _config(sim, coins=("ETH",))
        swept = asyncio.run(sweep_open_orders(config, own_coins(config)))

        assert swept == [str(eth)]
        assert [o["oid"] for o in sim.open_orders(ACCOUNT)] == [btc]
        assert asyncio.run(exchange_open_orders(config, own_coins(config))) == []
