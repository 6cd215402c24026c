"""One way to build the WS client of a Nautilus client: url from its endpoints, keep-alive and
reconnect pace from its config."""

from __future__ import annotations

from typing import Protocol

from adapters.hyperliquid.common.endpoints import Endpoints
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient
from adapters.hyperliquid.websocket.client import MessageHandler
from adapters.hyperliquid.websocket.client import StateHandler


class WsSettings(Protocol):
    """The connection settings both client configs carry."""

    @property
    def ping_interval_secs(self) -> float: ...

    @property
    def reconnect_backoff_initial_secs(self) -> float: ...

    @property
    def reconnect_backoff_max_secs(self) -> float: ...


def ws_client_for(
    settings: WsSettings,
    endpoints: Endpoints,
    on_message: MessageHandler,
    *,
    on_disconnect: StateHandler,
    on_reconnect: StateHandler,
    logger: LogLike,
    name: str,
    confirm_subscriptions: bool = False,
) -> HyperliquidWebSocketClient:
    """The WS client of a data or execution client, on `endpoints.ws_url`."""
    return HyperliquidWebSocketClient(
        endpoints.ws_url,
        on_message,
        on_disconnect=on_disconnect,
        on_reconnect=on_reconnect,
        confirm_subscriptions=confirm_subscriptions,
        ping_interval_secs=settings.ping_interval_secs,
        backoff_initial_secs=settings.reconnect_backoff_initial_secs,
        backoff_max_secs=settings.reconnect_backoff_max_secs,
        logger=logger,
        name=name,
    )
