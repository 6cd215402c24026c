"""Keccak-256, the hash of Ethereum signing and of Hyperliquid cloids (C-backed, pycryptodome)."""

from __future__ import annotations

from Crypto.Hash import keccak as _keccak


def keccak256(data: bytes) -> bytes:
    return _keccak.new(digest_bits=256, data=data).digest()
