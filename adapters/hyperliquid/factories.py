"""Factories the TradingNode uses to build the clients from (JSON) configs.

The names `HyperliquidLiveDataClientFactory` and `HyperliquidLiveExecClientFactory` are a
contract: the screener writes node configs that point at them.

Nautilus 1.231 builds a factory named in a JSON config (`{"factory": {"path": ...}}`) as an
*instance* (`ImportableFactoryConfig.create()` returns `cls()`), and `build_exec_clients` then
reads `factory.__name__`, which instances lack. Each factory therefore carries `__name__` as a
class attribute (the class's own `__name__` is unchanged), so a bare `TradingNode` builds our
clients from such a config without registering the factories by hand.
"""

from __future__ import annotations

import asyncio

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.live.factories import LiveDataClientFactory
from nautilus_trader.live.factories import LiveExecClientFactory

from adapters.hyperliquid.common.credentials import load_agent_key
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import resolve_endpoints
from adapters.hyperliquid.data import HyperliquidDataClient
from adapters.hyperliquid.execution.client import HyperliquidExecutionClient
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.http.rate_limit import RateLimitTracker
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.signing import L1Signer

# The IP weight limit is per IP: the clients of one process share one count per primary endpoint.
_TRACKERS: dict[str, RateLimitTracker] = {}


def http_client_for(config: HyperliquidDataClientConfig | HyperliquidExecClientConfig) -> HyperliquidHttpClient:
    """The REST client of a config's endpoints, counting its IP weight with the process's others."""
    endpoints = resolve_endpoints(config)
    tracker = _TRACKERS.setdefault(endpoints.rest_urls[0], RateLimitTracker())
    return HyperliquidHttpClient(endpoints.rest_urls, timeout_secs=config.http_timeout_secs, rate_limits=tracker)


def agent_signer(config: HyperliquidExecClientConfig) -> L1Signer:
    """The signer of a config's agent key (from its env var or key file): the one place it is read."""
    return L1Signer(load_agent_key(config.agent_key_env, config.key_file).reveal())


def _provider(
    http: HyperliquidHttpClient, config: HyperliquidDataClientConfig | HyperliquidExecClientConfig
) -> HyperliquidInstrumentProvider:
    return HyperliquidInstrumentProvider(
        http, fee_tier=config.fee_tier, coins=config.coins, config=config.instrument_provider
    )


class HyperliquidLiveDataClientFactory(LiveDataClientFactory):
    """Builds `HyperliquidDataClient`s."""

    __name__ = "HyperliquidLiveDataClientFactory"  # for instances (see the module docstring)

    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: HyperliquidDataClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> HyperliquidDataClient:
        http = http_client_for(config)
        provider = _provider(http, config)
        return HyperliquidDataClient(
            loop=loop,
            http=http,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=provider,
            config=config,
            name=name,
        )


class HyperliquidLiveExecClientFactory(LiveExecClientFactory):
    """Builds `HyperliquidExecutionClient`s; the agent key is read here, from env or key file."""

    __name__ = "HyperliquidLiveExecClientFactory"  # for instances (see the module docstring)

    @staticmethod
    def create(  # type: ignore[override]
        loop: asyncio.AbstractEventLoop,
        name: str,
        config: HyperliquidExecClientConfig,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
    ) -> HyperliquidExecutionClient:
        signer = agent_signer(config)
        http = http_client_for(config)
        provider = _provider(http, config)
        return HyperliquidExecutionClient(
            loop=loop,
            http=http,
            signer=signer,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=provider,
            config=config,
            name=name,
        )
