"""Hyperliquid adapter for NautilusTrader."""
