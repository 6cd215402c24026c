"""Configs, endpoints and the agent key: typed, validated, never printed."""

from __future__ import annotations

import json
import random

import pytest
from nautilus_trader.config import TradingNodeConfig

from adapters.hyperliquid.common.backoff import Backoff
from adapters.hyperliquid.common.credentials import AgentKey
from adapters.hyperliquid.common.credentials import load_agent_key
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import resolve_endpoints

KEY = "0x" + "ab" * 32
ACCOUNT = "0x" + "12" * 20


def test_network_preset_gives_mainnet_urls_and_mainnet_signing() -> None:
    endpoints = resolve_endpoints(HyperliquidDataClientConfig(network="mainnet"))
    assert endpoints.rest_urls == ("https://api.hyperliquid.xyz",)
    assert endpoints.ws_url == "wss://api.hyperliquid.xyz/ws"
    assert endpoints.is_mainnet


def test_explicit_urls_sign_as_testnet_like_the_sdk_and_keep_backups_in_order() -> None:
    config = HyperliquidExecClientConfig(
        base_url="http://127.0.0.1:5000/",
        backup_base_urls=("http://127.0.0.1:5001", "http://127.0.0.1:5002"),
        account_address=ACCOUNT,
    )
    endpoints = resolve_endpoints(config)
    assert endpoints.rest_urls == ("http://127.0.0.1:5000", "http://127.0.0.1:5001", "http://127.0.0.1:5002")
    assert endpoints.ws_url == "ws://127.0.0.1:5000/ws"
    assert not endpoints.is_mainnet


@pytest.mark.parametrize(
    "kwargs",
    [
        {"network": "devnet"},
        {"base_url": "ftp://x"},
        {"ws_url": "http://x/ws"},
        {"coins": ()},
        {"coins": ("ETH USD",)},
        {"fee_tier": 7},
        {"ping_interval_secs": 60.0},
    ],
)
def test_invalid_data_configs_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        HyperliquidDataClientConfig(**kwargs)


def test_exec_config_refuses_a_malformed_account_and_a_too_short_dead_mans_switch() -> None:
    with pytest.raises(ValueError, match="account_address"):
        HyperliquidExecClientConfig(account_address="0x1234")
    with pytest.raises(ValueError, match="account_address"):
        HyperliquidExecClientConfig(account_address=ACCOUNT + "\n")
    with pytest.raises(ValueError, match="horizon"):
        HyperliquidExecClientConfig(account_address=ACCOUNT, schedule_cancel=True, schedule_cancel_horizon_secs=3)


def test_exec_config_refuses_a_non_positive_refresh_interval_or_fill_lookback() -> None:
    with pytest.raises(ValueError, match="schedule_cancel_interval_secs"):
        HyperliquidExecClientConfig(account_address=ACCOUNT, schedule_cancel=True, schedule_cancel_interval_secs=0)
    with pytest.raises(ValueError, match="fills_lookback_mins"):
        HyperliquidExecClientConfig(account_address=ACCOUNT, fills_lookback_mins=0)


def test_exec_config_has_no_key_field() -> None:
    fields = set(HyperliquidExecClientConfig.__struct_fields__)
    assert not {f for f in fields if "key" in f and f not in ("agent_key_env", "key_file")}


def test_node_config_json_with_our_factories_parses() -> None:
    client = {
        "path": "adapters.hyperliquid.config:HyperliquidDataClientConfig",
        "factory": {"path": "adapters.hyperliquid.factories:HyperliquidLiveDataClientFactory"},
        "config": {"base_url": "http://127.0.0.1:5000", "coins": ["ETH"]},
    }
    exec_client = {
        "path": "adapters.hyperliquid.config:HyperliquidExecClientConfig",
        "factory": {"path": "adapters.hyperliquid.factories:HyperliquidLiveExecClientFactory"},
        "config": {"base_url": "http://127.0.0.1:5000", "account_address": ACCOUNT},
    }
    text = json.dumps({"trader_id": "MM-001", "data_clients": {"HYPERLIQUID": client}, "exec_clients": {"HYPERLIQUID": exec_client}})
    node_config = TradingNodeConfig.parse(text)
    data = node_config.data_clients["HYPERLIQUID"]
    assert isinstance(data.create(), HyperliquidDataClientConfig)
    assert list(data.create().coins) == ["ETH"]
    assert node_config.exec_clients["HYPERLIQUID"].create().account_address == ACCOUNT


def test_agent_key_comes_from_the_env_var_named_in_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_AGENT_KEY", KEY)
    assert load_agent_key("MY_AGENT_KEY", None).reveal() == KEY


def test_agent_key_file_wins_over_the_env(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    other = "cd" * 32
    path = tmp_path / "agent.key"
    path.write_text(other + "\n")
    monkeypatch.setenv("HYPERLIQUID_AGENT_KEY", KEY)
    assert load_agent_key("HYPERLIQUID_AGENT_KEY", str(path)).reveal() == "0x" + other


def test_missing_or_malformed_key_errors_do_not_echo_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOPE_KEY", raising=False)
    with pytest.raises(KeyError, match="NOPE_KEY"):
        load_agent_key("NOPE_KEY", None)
    bad = "ab" * 31 + "zz"
    monkeypatch.setenv("BAD_KEY", bad)
    with pytest.raises(ValueError) as info:
        load_agent_key("BAD_KEY", None)
    assert bad not in str(info.value)


def test_agent_key_never_prints_itself() -> None:
    key = AgentKey(KEY)
    assert KEY[2:] not in repr(key) and KEY[2:] not in str(key) and KEY[2:] not in f"{key}"


@pytest.mark.parametrize("pasted", [KEY, KEY[2:], KEY.upper().replace("0X", "0x"), KEY[:-1], KEY[3:], f" {KEY}\n"])
def test_a_key_pasted_where_the_variables_name_belongs_is_refused_without_echoing_it(pasted: str) -> None:
    # Whole or cut short: none of its digits shows.
    with pytest.raises(ValueError, match="agent_key_env holds no environment variable name") as info:
        load_agent_key(pasted, None)
    assert "abab" not in str(info.value).lower()


def test_the_start_up_check_names_the_field_not_the_pasted_key() -> None:
    from live.errors import ConfigError
    from live.preflight import agent_address

    config = HyperliquidExecClientConfig(account_address=ACCOUNT, agent_key_env=KEY)
    with pytest.raises(ConfigError, match="agent key from agent_key_env") as info:
        agent_address(config)
    assert KEY[2:] not in str(info.value).lower()


@pytest.mark.parametrize("config_class", [HyperliquidDataClientConfig, HyperliquidExecClientConfig])
def test_a_socket_retries_at_least_every_5_s_by_default_so_quoting_resumes_soon_after_an_outage(config_class) -> None:
    config = config_class(**({"account_address": "0x" + "ab" * 20} if config_class is HyperliquidExecClientConfig else {}))
    backoff = Backoff(config.reconnect_backoff_initial_secs, config.reconnect_backoff_max_secs, random.Random(7))
    waits = [backoff.next_delay() for _ in range(30)]  # a long outage
    assert max(waits) <= 5.0
    assert sum(waits[:4]) < 8.0  # the first attempts still come fast
