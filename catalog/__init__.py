"""Loaders from Hyperliquid data formats into a Nautilus ParquetDataCatalog."""
