"""The Hyperliquid execution client, split by concern."""
