"""Fixtures for the signing tests: the shipped SDK vectors and the SDK wallet for the same key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import eth_account
import pytest

from adapters.hyperliquid.signing import L1Signer


@pytest.fixture(scope="session")
def signing_vectors(hl_data: Path) -> dict[str, Any]:
    # json.load keeps key order, which msgpack (and so the hash) depends on.
    with open(hl_data / "signing_vectors.json") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def vector_key(signing_vectors: dict[str, Any]) -> str:
    return signing_vectors["key"]


@pytest.fixture(scope="session")
def signer(vector_key: str) -> L1Signer:
    return L1Signer(vector_key)


@pytest.fixture(scope="session")
def sdk_wallet(vector_key: str) -> Any:
    return eth_account.Account.from_key(vector_key)
