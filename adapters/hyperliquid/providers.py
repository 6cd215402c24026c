"""Instrument provider: perps from the exchange's `meta` reply (optionally only some coins)."""

from __future__ import annotations

import time

import msgspec
from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.config import InstrumentProviderConfig
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.instruments import Instrument

from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.parsing.instruments import coin_of
from adapters.hyperliquid.parsing.instruments import instruments_from_meta


class HyperliquidInstrumentProvider(InstrumentProvider):
    """
    Loads `CryptoPerpetual`s from `meta`: precisions from `szDecimals`, $10 minimum notional,
    fees of the configured tier, the asset index in `instrument.info["asset"]`.

    The adapter cannot trade without the asset indices, so `initialize` always loads (every
    coin, or only `coins` when given), whatever `load_all` says.
    """

    def __init__(
        self,
        http: HyperliquidHttpClient,
        *,
        fee_tier: int = 0,
        coins: tuple[str, ...] | list[str] | None = None,
        config: InstrumentProviderConfig | None = None,
    ) -> None:
        super().__init__(config=config)
        self._http = http
        self._fee_tier = fee_tier
        self._coins = frozenset(coins) if coins else None
        self._by_coin: dict[str, Instrument] = {}

    async def initialize(self, reload: bool = False) -> None:
        async with self._init_lock:
            if self._loaded and not reload:
                return
            await self.load_all_async(self._filters)
            self._loaded = True
            self._log.info(f"Loaded {self.count} Hyperliquid instruments")

    async def load_all_async(self, filters: dict | None = None) -> None:
        raw = await self._http.info({"type": "meta"})
        meta = msgspec.json.decode(raw)
        instruments = instruments_from_meta(meta, fee_tier=self._fee_tier, ts_ns=time.time_ns(), include_delisted=False)
        if self._coins is not None:
            unknown = self._coins - instruments.keys()
            if unknown:
                raise ValueError(f"coins not listed by the exchange's meta: {sorted(unknown)}")
            instruments = {coin: inst for coin, inst in instruments.items() if coin in self._coins}
        for coin, instrument in instruments.items():
            self._by_coin[coin] = instrument
            self.add(instrument)

    async def load_ids_async(self, instrument_ids: list[InstrumentId], filters: dict | None = None) -> None:
        if not self._by_coin:
            await self.load_all_async(filters)
        missing = [iid for iid in instrument_ids if coin_of(iid) not in self._by_coin]
        if missing:
            raise ValueError(f"instruments not found on the exchange: {missing}")

    async def load_async(self, instrument_id: InstrumentId, filters: dict | None = None) -> None:
        await self.load_ids_async([instrument_id], filters)

    def instrument_for_coin(self, coin: str) -> Instrument | None:
        return self._by_coin.get(coin)

    @property
    def coins(self) -> list[str]:
        return list(self._by_coin)
