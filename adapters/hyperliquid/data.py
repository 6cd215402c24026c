"""Nautilus live market-data client for Hyperliquid: `bbo`, `l2Book` (fast) and `trades` over WS,
plus mark prices and funding rates from `activeAssetCtx`."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.data.messages import RequestInstrument
from nautilus_trader.data.messages import RequestInstruments
from nautilus_trader.data.messages import SubscribeFundingRates
from nautilus_trader.data.messages import SubscribeMarkPrices
from nautilus_trader.data.messages import SubscribeOrderBook
from nautilus_trader.data.messages import SubscribeQuoteTicks
from nautilus_trader.data.messages import SubscribeTradeTicks
from nautilus_trader.data.messages import UnsubscribeFundingRates
from nautilus_trader.data.messages import UnsubscribeMarkPrices
from nautilus_trader.data.messages import UnsubscribeOrderBook
from nautilus_trader.data.messages import UnsubscribeQuoteTicks
from nautilus_trader.data.messages import UnsubscribeTradeTicks
from nautilus_trader.live.data_client import LiveMarketDataClient
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import MarkPriceUpdate
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import InstrumentId

from adapters.hyperliquid.common.constants import HYPERLIQUID_VENUE
from adapters.hyperliquid.config import HyperliquidDataClientConfig
from adapters.hyperliquid.config import resolve_endpoints
from adapters.hyperliquid.feed import MarketDataFeed
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.parsing.book_diff import F_SNAPSHOT
from adapters.hyperliquid.parsing.instruments import coin_of
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.stall import StallDetector
from adapters.hyperliquid.types import TOPIC_MARKET_DATA_RESUMED
from adapters.hyperliquid.types import TOPIC_MARKET_DATA_STALL
from adapters.hyperliquid.types import MarketDataResumed
from adapters.hyperliquid.types import MarketDataStall
from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient
from adapters.hyperliquid.websocket.factory import ws_client_for

_RESUME_WAIT_SECS = 2.0  # longest wait for the engine to apply a resuming book before resuming anyway


class HyperliquidDataClient(LiveMarketDataClient):
    """
    Market data from one WS connection. Book snapshots become true deltas (the shared differ);
    the differ is reset on every reconnect, so the first book after it is a full F_SNAPSHOT.
    Silence on an open socket for `stall_timeout_secs`, or the socket dropping (`coin=None`),
    publishes `MarketDataStall`; `MarketDataResumed` follows once the coin's data (its book, when
    subscribed — after a reconnect the F_SNAPSHOT rebuild) has been handed to the engine again.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        http: HyperliquidHttpClient,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        instrument_provider: HyperliquidInstrumentProvider,
        config: HyperliquidDataClientConfig,
        name: str | None = None,
    ) -> None:
        super().__init__(
            loop=loop,
            client_id=ClientId(name or HYPERLIQUID_VENUE.value),
            venue=HYPERLIQUID_VENUE,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            instrument_provider=instrument_provider,
            config=config,
        )
        self._config = config
        self._http = http
        self._provider = instrument_provider
        self._ws = ws_client_for(
            config,
            resolve_endpoints(config),
            self._on_ws_message,
            on_disconnect=self._on_ws_disconnect,
            on_reconnect=self._on_ws_reconnect,
            # Back only once the exchange acknowledged every subscription: a socket that accepts the
            # connection and is cut at its subscribe is a failed attempt (the backoff grows), not a
            # reconnect retried at once.
            confirm_subscriptions=True,
            logger=self._log,
            name="market-ws",
        )
        self._feed = MarketDataFeed({}, logger=self._log)
        # The cache's book each instrument's deltas went to (see `_rebuild_new_book`).
        self._books_fed: dict[InstrumentId, OrderBook | None] = {}
        self._stall = StallDetector(int(config.stall_timeout_secs * 1e9))
        self._stall_task: asyncio.Task | None = None
        self._resume_tasks: set[asyncio.Task] = set()
        # coin -> which of {MarkPriceUpdate, FundingRateUpdate} are subscribed (one `activeAssetCtx` feeds both)
        self._ctx_wanted: dict[str, set[type]] = {}

    @property
    def feed(self) -> MarketDataFeed:
        return self._feed

    @property
    def ws(self) -> HyperliquidWebSocketClient:
        return self._ws

    async def _connect(self) -> None:
        await self._provider.initialize()
        for instrument in self._provider.list_all():
            self._feed.add_instrument(coin_of(instrument.id), instrument)
            self._handle_data(instrument)
        await self._ws.connect()
        self._stall_task = self._loop.create_task(self._stall_loop(), name="hl-stall-detection")

    async def _disconnect(self) -> None:
        if self._stall_task is not None:
            self._stall_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._stall_task
            self._stall_task = None
        pending = list(self._resume_tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await self._ws.close()
        await self._http.close()

    # -- requests --------------------------------------------------------------------------------

    async def _request_instrument(self, request: RequestInstrument) -> None:
        instrument = self._provider.find(request.instrument_id)
        if instrument is None:
            self._log.error(f"instrument {request.instrument_id} is not listed (or not in `coins`)")
            return
        self._handle_instrument(instrument, request.id, request.start, request.end, request.params)

    async def _request_instruments(self, request: RequestInstruments) -> None:
        self._handle_instruments_py(
            request.venue, self._provider.list_all(), request.id, request.start, request.end, request.params
        )

    # -- subscriptions ---------------------------------------------------------------------------

    async def _subscribe_quote_ticks(self, command: SubscribeQuoteTicks) -> None:
        await self._subscribe_coin({"type": "bbo"}, command.instrument_id)

    async def _unsubscribe_quote_ticks(self, command: UnsubscribeQuoteTicks) -> None:
        await self._ws.unsubscribe({"type": "bbo", "coin": coin_of(command.instrument_id)})

    async def _subscribe_trade_ticks(self, command: SubscribeTradeTicks) -> None:
        await self._subscribe_coin({"type": "trades"}, command.instrument_id)

    async def _unsubscribe_trade_ticks(self, command: UnsubscribeTradeTicks) -> None:
        await self._ws.unsubscribe({"type": "trades", "coin": coin_of(command.instrument_id)})

    async def _subscribe_order_book_deltas(self, command: SubscribeOrderBook) -> None:
        await self._subscribe_coin(self._book_subscription_base(), command.instrument_id, book=True)

    async def _unsubscribe_order_book_deltas(self, command: UnsubscribeOrderBook) -> None:
        await self._ws.unsubscribe({**self._book_subscription_base(), "coin": coin_of(command.instrument_id)})

    async def _subscribe_mark_prices(self, command: SubscribeMarkPrices) -> None:
        await self._subscribe_asset_ctx(command.instrument_id, MarkPriceUpdate)

    async def _unsubscribe_mark_prices(self, command: UnsubscribeMarkPrices) -> None:
        await self._unsubscribe_asset_ctx(command.instrument_id, MarkPriceUpdate)

    async def _subscribe_funding_rates(self, command: SubscribeFundingRates) -> None:
        await self._subscribe_asset_ctx(command.instrument_id, FundingRateUpdate)

    async def _unsubscribe_funding_rates(self, command: UnsubscribeFundingRates) -> None:
        await self._unsubscribe_asset_ctx(command.instrument_id, FundingRateUpdate)

    async def _subscribe_asset_ctx(self, instrument_id: InstrumentId, kind: type) -> None:
        coin = coin_of(instrument_id)
        if self._provider.instrument_for_coin(coin) is None:
            self._log.error(f"cannot subscribe {kind.__name__} for {instrument_id}: instrument not loaded")
            return
        self._ctx_wanted.setdefault(coin, set()).add(kind)
        # Not watched by the stall detector: the asset context says nothing about the book.
        await self._ws.subscribe({"type": "activeAssetCtx", "coin": coin})

    async def _unsubscribe_asset_ctx(self, instrument_id: InstrumentId, kind: type) -> None:
        coin = coin_of(instrument_id)
        wanted = self._ctx_wanted.get(coin)
        if wanted is None:
            return
        wanted.discard(kind)
        if not wanted:
            del self._ctx_wanted[coin]
            await self._ws.unsubscribe({"type": "activeAssetCtx", "coin": coin})

    def _book_subscription_base(self) -> dict[str, Any]:
        return {"type": "l2Book", "fast": True} if self._config.l2_book_fast else {"type": "l2Book"}

    async def _subscribe_coin(self, base: dict[str, Any], instrument_id: InstrumentId, *, book: bool = False) -> None:
        coin = coin_of(instrument_id)
        if self._provider.instrument_for_coin(coin) is None:
            self._log.error(f"cannot subscribe {base['type']} for {instrument_id}: instrument not loaded")
            return
        # Key order as the SDK sends it: type first, then coin.
        subscription = {"type": base["type"], "coin": coin, **{k: v for k, v in base.items() if k != "type"}}
        self._stall.watch(coin, self._clock.timestamp_ns(), book=book)
        await self._ws.subscribe(subscription)

    # -- messages --------------------------------------------------------------------------------

    def _on_ws_message(self, channel: str, data: bytes, recv_ns: int) -> None:
        book_sequence: int | None = None
        for item in self._feed.handle(channel, data, recv_ns):
            if isinstance(item, MarkPriceUpdate | FundingRateUpdate):
                if type(item) in self._ctx_wanted.get(coin_of(item.instrument_id), ()):
                    self._handle_data(item)
                continue
            self._handle_data(item)
            if isinstance(item, OrderBookDeltas):
                book_sequence = item.sequence
                if self._cache.order_book(item.instrument_id) is not self._books_fed.get(item.instrument_id):
                    book_sequence = self._feed_new_book(item, recv_ns)
        coin = self._feed.last_coin
        if coin is None:
            return
        resumed = self._stall.on_message(coin, recv_ns, book=channel == "l2Book")
        if not resumed:
            return
        instrument = self._provider.instrument_for_coin(coin)
        book = self._cache.order_book(instrument.id) if instrument is not None else None
        if book_sequence is None or book is None or book.sequence >= book_sequence:
            self._publish_resumed(resumed)
            return
        # The live data engine applies data from its queue later: resume once the cache's book
        # holds this snapshot, so nothing quotes from the stale one in between.
        task = self._loop.create_task(self._publish_resumed_when_applied(book, book_sequence, resumed))
        self._resume_tasks.add(task)
        task.add_done_callback(self._resume_tasks.discard)

    def _feed_new_book(self, deltas: OrderBookDeltas, recv_ns: int) -> int:
        """The cache holds another book than the one fed so far: Nautilus 1.231 gives every managed
        book subscription (a strategy or actor subscribing after the first) a new, empty book, which
        diffs alone would never fill. Unless `deltas` rebuilt it whole, it gets the whole current book
        as well; returns the sequence of the last event handed on."""
        instrument_id = deltas.instrument_id
        self._books_fed[instrument_id] = self._cache.order_book(instrument_id)
        rebuild = None if deltas.flags & F_SNAPSHOT else self._feed.rebuild(coin_of(instrument_id), recv_ns)
        if rebuild is None:
            return deltas.sequence
        self._handle_data(rebuild)
        return rebuild.sequence

    async def _publish_resumed_when_applied(
        self, book: OrderBook, sequence: int, events: list[MarketDataResumed]
    ) -> None:
        deadline = time.monotonic() + _RESUME_WAIT_SECS
        spins = 0
        while book.sequence < sequence:
            if time.monotonic() > deadline:
                self._log.warning(f"book {book.instrument_id} not applied within {_RESUME_WAIT_SECS} s; resuming anyway")
                break
            spins += 1
            await asyncio.sleep(0 if spins < 20 else 0.001)
        self._publish_resumed(events)

    def _publish_resumed(self, events: list[MarketDataResumed]) -> None:
        for event in events:
            # A drop or a new silence meanwhile starts a new spell: its stall stands.
            still_valid = not self._stall.stalled if event.coin is None else event.coin not in self._stall.stalled
            if still_valid:
                self._log.warning(f"market data resumed: coin={event.coin}")
                self._msgbus.publish(TOPIC_MARKET_DATA_RESUMED, event)

    async def _on_ws_disconnect(self) -> None:
        # Nothing arrives until the reconnect: the books go stale now, not `stall_timeout_secs` later.
        for event in self._stall.disconnected(self._clock.timestamp_ns()):
            self._publish_stall(event, "market data WS lost")

    async def _on_ws_reconnect(self) -> None:
        # The book may have changed in any way while we were away: rebuild from the next snapshot.
        self._feed.reset_books()
        self._stall.restart(self._clock.timestamp_ns())
        self._log.warning("market data WS reconnected: books reset, subscriptions restored")

    async def _stall_loop(self) -> None:
        interval = self._config.stall_check_interval_secs
        while True:
            await asyncio.sleep(interval)
            for event in self._stall.check(self._clock.timestamp_ns(), self._ws.is_connected):
                self._publish_stall(event, f"silent for {event.silent_ms} ms")

    def _publish_stall(self, event: MarketDataStall, why: str) -> None:
        self._log.warning(f"market data stall: coin={event.coin} ({why})")
        self._msgbus.publish(TOPIC_MARKET_DATA_STALL, event)

    @property
    def stalled_coins(self) -> frozenset[str]:
        """Coins whose market data is not trusted right now (stalled or disconnected)."""
        return self._stall.stalled
