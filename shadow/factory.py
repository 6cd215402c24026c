"""`LiveExecClientFactory` for the shadow execution client (used by node configs)."""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.live.factories import LiveExecClientFactory
from nautilus_trader.model.identifiers import ClientId

from shadow.config import ShadowExecClientConfig
from shadow.execution import ShadowExecutionClient


class ShadowExecClientFactory(LiveExecClientFactory):
    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: ShadowExecClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> ShadowExecutionClient:
        return ShadowExecutionClient(
            loop=loop, client_id=ClientId(name), msgbus=msgbus, cache=cache, clock=clock, config=config
        )
