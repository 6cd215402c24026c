"""Adapters for NautilusTrader."""
