"""Signing raw /exchange bodies for hlsim tests (our signer; the SDK path is tested separately)."""

from __future__ import annotations

import time
from typing import Any

import requests

from adapters.hyperliquid.signing import L1Signer

_last_nonce = 0


def next_nonce() -> int:
    """Strictly increasing ms nonces, even within one millisecond."""
    global _last_nonce
    _last_nonce = max(_last_nonce + 1, int(time.time() * 1000))
    return _last_nonce


def signed_body(signer: L1Signer, action: dict[str, Any], nonce: int | None = None, *,
                is_mainnet: bool = False) -> dict[str, Any]:
    nonce = next_nonce() if nonce is None else nonce
    signature = signer.sign_action(action, nonce, is_mainnet=is_mainnet)
    return {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None, "expiresAfter": None}


def post_action(url: str, signer: L1Signer, action: dict[str, Any], nonce: int | None = None, *,
                is_mainnet: bool = False) -> Any:
    reply = requests.post(url + "/exchange", json=signed_body(signer, action, nonce, is_mainnet=is_mainnet), timeout=10)
    assert reply.status_code == 200, (reply.status_code, reply.text)
    return reply.json()


def alo(asset: int, is_buy: bool, px: str, sz: str, cloid: str | None = None, tif: str = "Alo") -> dict[str, Any]:
    wire: dict[str, Any] = {"a": asset, "b": is_buy, "p": px, "s": sz, "r": False, "t": {"limit": {"tif": tif}}}
    if cloid is not None:
        wire["c"] = cloid
    return wire


def order_action(*wires: dict[str, Any]) -> dict[str, Any]:
    return {"type": "order", "orders": list(wires), "grouping": "na"}


def statuses(reply: dict[str, Any]) -> list[Any]:
    assert reply["status"] == "ok", reply
    return reply["response"]["data"]["statuses"]
