"""msgspec schemas of Hyperliquid's wire formats (WS channels and REST replies)."""
