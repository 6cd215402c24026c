"""The generated TradingNode config: parsed by Nautilus, accepted by every component's config class."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from nautilus_trader.common.config import resolve_config_path
from nautilus_trader.config import TradingNodeConfig

from screener.node_config import NodeConfigOptions
from screener.node_config import build_node_config
from screener.node_config import write_node_config


def test_written_config_parses_as_a_trading_node_config(tmp_path: Path, make_snap) -> None:
    snap = make_snap(("kPEPE", 12.5), ("BERA", 30.0))
    path = write_node_config(tmp_path / "configs" / "live.generated.json", snap)
    config = TradingNodeConfig.parse(path.read_text())
    assert str(config.trader_id) == "MM-001"
    assert [s.config["instrument_id"] for s in config.strategies] == [
        "kPEPE-USD-PERP.HYPERLIQUID",
        "BERA-USD-PERP.HYPERLIQUID",
    ]
    assert {s.config["order_id_tag"] for s in config.strategies} == {"001", "002"}  # unique strategy ids
    assert [a.actor_path for a in config.actors] == [
        "mm_strategy.governor:RegimeGovernor",
        "mm_strategy.risk_guard:RiskGuard",
    ]
    assert config.data_clients["HYPERLIQUID"].factory.path == (
        "adapters.hyperliquid.factories:HyperliquidLiveDataClientFactory"
    )
    assert not list(tmp_path.glob("configs/.live*"))  # no temp file left behind


def test_every_component_config_class_accepts_its_generated_section(make_snap) -> None:
    snap = make_snap(("kPEPE", 12.5))
    opts = NodeConfigOptions(
        base_url="http://127.0.0.1:8080", fee_tier=2, redis_url="redis://10.0.0.1:6379/1"
    )
    config = TradingNodeConfig.parse(json.dumps(build_node_config(snap, opts)))
    mm = resolve_config_path(config.strategies[0].config_path).parse(json.dumps(config.strategies[0].config))
    assert (mm.base_spread_bps, mm.level_spacing_ticks, mm.max_inventory_usd, mm.order_size_usd) == (
        12.5,
        2,
        1000.0,
        50.0,
    )
    governor, guard = (resolve_config_path(a.config_path).parse(json.dumps(a.config)) for a in config.actors)
    assert governor.redis_url == "redis://10.0.0.1:6379/1"
    assert (governor.screener_channel, governor.screener_key) == ("mm:screener", "mm:screener:latest")
    assert guard.instrument_ids == ("kPEPE-USD-PERP.HYPERLIQUID",)
    for clients in (config.data_clients, config.exec_clients):
        section = clients["HYPERLIQUID"]
        client_config = resolve_config_path(section.path).parse(msgspec.json.encode(section.config))
        assert client_config.base_url == "http://127.0.0.1:8080"
        assert client_config.fee_tier == 2
        assert client_config.coins == ("kPEPE",)


def test_node_config_options_are_validated() -> None:
    for bad, match in (
        ({"trader_id": "nodash"}, "trader_id"),
        ({"trader_id": "MM-001\n"}, "trader_id"),
        ({"network": "devnet"}, "network"),
        ({"base_url": "ws://x"}, "base_url"),
        ({"account_address": "0x123"}, "account_address"),
        ({"account_address": "0x" + "ab" * 20 + "\n"}, "account_address"),
        ({"fee_tier": 7}, "fee tier"),
        ({"redis_url": "http://x"}, "redis_url"),
    ):
        with pytest.raises(ValueError, match=match):
            NodeConfigOptions(**bad)
    with pytest.raises(ValueError, match="redis_url") as info:
        NodeConfigOptions(redis_url="redi://:s3cret@127.0.0.1:6379")
    assert "s3cret" not in str(info.value)


def test_the_shipped_example_config_parses() -> None:
    path = Path(__file__).resolve().parents[2] / "configs" / "live.generated.json"
    config = TradingNodeConfig.parse(path.read_text())
    assert config.strategies and len(config.actors) == 2
