"""Where the exchange is: REST urls in failover order, the WS url, and which chain signs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Endpoints:
    """REST urls in failover order (primary first), the WS url, and the signing chain."""

    rest_urls: tuple[str, ...]
    ws_url: str
    is_mainnet: bool


def ws_url_from_rest(base_url: str) -> str:
    """The SDK's rule: `"ws" + base_url[4:] + "/ws"` (http→ws, https→wss)."""
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"REST url must start with http:// or https://, got {base_url!r}")
    return "ws" + base_url.rstrip("/")[4:] + "/ws"
