"""Maker-edge screener."""
