"""Registering the data/exec client factories with the node by class (a Nautilus 1.231 workaround)."""

from __future__ import annotations

from typing import Any

from nautilus_trader.live.node import TradingNode

from live.errors import ConfigError


def take_factories(raw: dict[str, Any]) -> dict[str, dict[str, type]]:
    """Remove the clients' `factory` paths and resolve them to classes, for `TradingNode.add_*_factory`.

    Nautilus 1.231 builds an exec client's importable factory as an *instance*
    (`ImportableFactoryConfig.create()` returns `cls()`) and `TradingNodeBuilder.build_exec_clients`
    then reads `factory.__name__`: AttributeError for any factory class that does not define
    `__name__` as a class attribute. The Hyperliquid factories do (a bare TradingNode builds them
    from the screener's config); the shadow exec factory and Nautilus's own do not, so factories
    are registered by class here.
    """
    from nautilus_trader.common.config import resolve_path

    out: dict[str, dict[str, type]] = {"data_clients": {}, "exec_clients": {}}
    for section, factories in out.items():
        for name, spec in raw.get(section, {}).items():
            if not isinstance(spec, dict) or "factory" not in spec:
                continue
            factory = spec.pop("factory")
            path = factory.get("path") if isinstance(factory, dict) else None
            if not isinstance(path, str):
                raise ConfigError(f"{section}.{name}.factory must be {{'path': 'module:Class'}}")
            try:
                factories[name] = resolve_path(path)
            except (ImportError, AttributeError, ValueError) as exc:
                raise ConfigError(f"{section}.{name}: cannot import factory {path!r} ({exc})") from None
    return out


def register_factories(node: TradingNode, factories: dict[str, dict[str, type]]) -> None:
    """Add the factories `take_factories` resolved to the node (before `node.build()`)."""
    for name, factory in factories["data_clients"].items():
        node.add_data_client_factory(name, factory)
    for name, factory in factories["exec_clients"].items():
        node.add_exec_client_factory(name, factory)
