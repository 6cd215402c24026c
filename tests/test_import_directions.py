"""The import directions of the design (docs/architecture.md, "Layout"): every package imports
only the packages below it, so each plane can be read, tested and replaced on its own.

The rule is read from the source: every `import` and `from ... import` of every module of ours,
resolved to the module it names, is checked against `ALLOWED` below.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

ADAPTER = "adapters.hyperliquid"
# Parts of the adapter that other planes may build on: no Nautilus client inside them.
ADAPTER_LEAVES = tuple(f"{ADAPTER}.{p}" for p in ("common", "schemas", "signing", "parsing"))
ADAPTER_TRANSPORT = tuple(f"{ADAPTER}.{p}" for p in ("http", "websocket", "feed"))
ADAPTER_TYPES = (f"{ADAPTER}.types",)
LEAVES = (*ADAPTER_LEAVES, "simulation", "cli_types")

# What each package (or module prefix) may import of ours, besides itself. The most specific
# prefix of a module decides.
ALLOWED: dict[str, tuple[str, ...]] = {
    # The adapter imports nothing else of ours; inside it, the leaves stay leaves.
    "adapters": (),
    ADAPTER: (ADAPTER,),
    f"{ADAPTER}.common": (),
    f"{ADAPTER}.schemas": (f"{ADAPTER}.common",),
    f"{ADAPTER}.signing": (f"{ADAPTER}.common", f"{ADAPTER}.schemas"),
    f"{ADAPTER}.parsing": (f"{ADAPTER}.common", f"{ADAPTER}.schemas", f"{ADAPTER}.signing"),
    "simulation": (),
    "cli_types": (),
    "screener_link": (f"{ADAPTER}.common",),
    "budget_link": (f"{ADAPTER}.common",),
    "hlsim": (*LEAVES,),
    "catalog": (*LEAVES, *ADAPTER_TRANSPORT),
    "screener": (*LEAVES, *ADAPTER_TRANSPORT, "screener_link"),
    "mm_strategy": (*LEAVES, *ADAPTER_TYPES, "screener_link", "budget_link"),
    "backtest": (*LEAVES, *ADAPTER_TYPES, "screener_link", "mm_strategy", "catalog", "hlsim"),
    "shadow": (*LEAVES, *ADAPTER_TYPES, ADAPTER, "screener_link", "mm_strategy", "catalog", "hlsim", "backtest"),
    # The dashboard reads the node: the trading plane, the adapter's types and leaves, the queue
    # rules, the screener link and the report's metrics; only `live` imports it.
    "dashboard": (*LEAVES, *ADAPTER_TYPES, "screener_link", "mm_strategy", "backtest.reporting.metrics"),
    "live": (*LEAVES, ADAPTER, "screener_link", "budget_link", "mm_strategy", "catalog", "hlsim", "backtest", "shadow", "screener",
             "dashboard"),
}
OURS = {"adapters", "budget_link", "simulation", "cli_types", "screener_link", "hlsim", "catalog", "screener", "mm_strategy",
        "backtest", "shadow", "live", "dashboard"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT / Path(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import of ours; `from pkg import sub` counts as `pkg.sub` when
    `sub` is a module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.append((node.lineno, full if _is_module(full) else node.module))
    return [(line, name) for line, name in found if name.split(".")[0] in OURS]


def _rule_for(module: str) -> tuple[str, tuple[str, ...]]:
    best = max((p for p in ALLOWED if module == p or module.startswith(p + ".")), key=len)
    return best, ALLOWED[best]


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _package_files() -> list[Path]:
    tops = sorted({p.split(".")[0] for p in ALLOWED})
    return [f for top in tops for f in sorted((ROOT / top).rglob("*.py")) if "__pycache__" not in f.parts]


def violations() -> list[str]:
    found = []
    for path in _package_files():
        module = _module_name(path)
        owner, allowed = _rule_for(module)
        for line, name in _imports(path):
            if _within(name, (owner,)) or _within(name, allowed):
                continue
            found.append(f"{path.relative_to(ROOT)}:{line}: {module} imports {name} (not allowed for {owner})")
    return found


def test_every_package_imports_only_what_lies_below_it() -> None:
    assert violations() == []


def test_every_package_of_the_design_is_a_folder() -> None:
    for top in ("adapters/hyperliquid", "simulation", "hlsim", "mm_strategy", "screener_link", "screener",
                "catalog", "shadow", "backtest", "live", "dashboard", "configs", "tests", "bench", "docs", "data/samples"):
        assert (ROOT / top).is_dir(), top


@pytest.mark.parametrize(
    ("module", "imported", "allowed"),
    [
        ("hlsim.engine.exchange", "mm_strategy.market_maker", False),
        ("hlsim.engine.exchange", "simulation.queue_model", True),
        ("adapters.hyperliquid.common.fees", "adapters.hyperliquid.http.client", False),
        ("adapters.hyperliquid.execution.client", "adapters.hyperliquid.http.client", True),
        ("mm_strategy.governor", "adapters.hyperliquid.types", True),
        ("mm_strategy.governor", "adapters.hyperliquid.execution.client", False),
        ("backtest.runner", "shadow.execution", False),
        ("shadow.execution", "backtest.runner", True),
        ("dashboard.collector", "backtest.reporting.metrics", True),
        ("dashboard.collector", "backtest.runner", False),
        ("dashboard.collector", "adapters.hyperliquid.execution.client", False),
        ("dashboard.collector", "shadow.execution", False),
        ("live.runner", "dashboard.server", True),
        ("shadow.execution", "dashboard.server", False),
        ("mm_strategy.market_maker", "dashboard.collector", False),
    ],
)
def test_the_rule_itself_allows_and_refuses_as_the_design_says(module: str, imported: str, allowed: bool) -> None:
    owner, rule = _rule_for(module)
    assert (_within(imported, (owner,)) or _within(imported, rule)) is allowed
