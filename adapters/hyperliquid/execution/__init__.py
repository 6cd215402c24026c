"""The Hyperliquid execution client, split by concern (see `client` for the parts)."""

from adapters.hyperliquid.execution.client import HyperliquidExecutionClient

__all__ = ["HyperliquidExecutionClient"]
