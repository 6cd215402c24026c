"""Structural checks: the dashboard's code has no way to act on the node (no order command, no
publish, no send), and the only topics it listens to are outside the market-data path."""

from __future__ import annotations

import ast
from pathlib import Path

from dashboard.collector import Collector

PACKAGE = Path(__file__).resolve().parents[2] / "dashboard"
# Everything through which a component could change the node's orders or steer its strategies.
ACTING_NAMES = {
    "submit_order", "submit_order_list", "modify_order", "cancel_order", "cancel_orders", "cancel_all_orders",
    "close_position", "close_all_positions", "cancel_all_on_exchange", "execute", "send", "publish", "request",
    "publish_bus_message", "dispose",
}
ACTING_MODULES = ("nautilus_trader.execution", "nautilus_trader.trading", "adapters.hyperliquid.execution")


def _sources() -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 6
    return files


def test_no_dashboard_module_calls_anything_that_acts_on_orders_or_the_bus() -> None:
    found = []
    for path in _sources():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ACTING_NAMES:
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node.func)}")
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(ACTING_MODULES):
                found.append(f"{path.name}:{node.lineno}: imports {node.module}")
    assert found == []


def test_the_collector_listens_to_no_market_data_topic(built_node) -> None:
    msgbus = built_node.node.kernel.msgbus
    before = {(s.topic, id(s.handler)) for s in msgbus.subscriptions()}
    collector = Collector(built_node.node, "live")
    collector.attach()
    added = [s for s in msgbus.subscriptions() if (s.topic, id(s.handler)) not in before]
    assert sorted(s.topic for s in added) == sorted(topic for topic, _ in collector.bus.subscriptions)
    assert added and all(not s.topic.startswith("data.") for s in added)
    assert {s.topic.split(".")[0] for s in added} == {"mm", "hyperliquid"}
    collector.detach()
    assert {(s.topic, id(s.handler)) for s in msgbus.subscriptions()} == before
