"""A Nautilus execution client that sends nothing: orders rest on a virtual copy of the live book.

Shadow mode runs the real strategy on live market data. Orders reach a `QueueMatcher` per
instrument after `latency_ms`; book deltas and trades arriving on the message bus move their queue
positions and produce maker fills (fees from the instrument's `maker_fee`). Post-only orders that
would cross are rejected with the venue's text; other limit and market orders take displayed
liquidity as a taker (taker fee). This client never opens a socket.
"""

from __future__ import annotations

import asyncio
import itertools

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.common.providers import InstrumentProvider
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.data.messages import SubscribeOrderBook
from nautilus_trader.data.messages import SubscribeTradeTicks
from nautilus_trader.execution.messages import BatchCancelOrders
from nautilus_trader.execution.messages import CancelAllOrders
from nautilus_trader.execution.messages import CancelOrder
from nautilus_trader.execution.messages import GenerateFillReports
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.execution.messages import GenerateOrderStatusReports
from nautilus_trader.execution.messages import GeneratePositionStatusReports
from nautilus_trader.execution.messages import ModifyOrder
from nautilus_trader.execution.messages import SubmitOrder
from nautilus_trader.execution.messages import SubmitOrderList
from nautilus_trader.execution.reports import FillReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.execution.reports import PositionStatusReport
from nautilus_trader.live.execution_client import LiveExecutionClient
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.currencies import USDC
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AccountType
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OmsType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.identifiers import Venue
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import AccountBalance
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import Order

from shadow.config import ShadowExecClientConfig
from simulation.matcher import BacktestVenueMatcher
from simulation.matcher import QueueMatcher
from simulation.matcher import VirtualFill
from simulation.matcher import post_only_rejection
from simulation.matcher import window_sizes
from simulation.queue_model import make_queue_rule

_F_LAST = int(RecordFlag.F_LAST)
UNKNOWN_ORDER = "Order was never placed, already canceled, or filled."


class ShadowExecutionClient(LiveExecutionClient):
    """Virtual execution on the live book (see the module docstring)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        client_id: ClientId,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        config: ShadowExecClientConfig,
    ) -> None:
        super().__init__(
            loop=loop,
            client_id=client_id,
            venue=Venue(config.venue),
            oms_type=OmsType.NETTING,
            account_type=AccountType.MARGIN,
            base_currency=USDC,
            instrument_provider=InstrumentProvider(),
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            config=config,
        )
        self._set_account_id(AccountId(f"{client_id}-{config.account_number}"))
        self._shadow_config = config
        self._latency_secs = config.latency_ms / 1000.0
        self._matchers: dict[InstrumentId, QueueMatcher] = {}
        self._books: dict[InstrumentId, OrderBook] = {}
        self._venue_ids: dict[ClientOrderId, VenueOrderId] = {}
        self._oids = itertools.count(1)
        self._tids = itertools.count(1)
        self._topics: list[tuple[str, object]] = []
        # Counters for reports and tests.
        self.fills = 0
        self.post_only_rejects = 0
        self.maker_volume_usd = 0.0
        self.fees_usd = 0.0

    # -- lifecycle ----------------------------------------------------------------------------

    async def _connect(self) -> None:
        venue = self._shadow_config.venue
        self._topics = [
            (f"data.book.deltas.{venue}.*", self._on_book_data),
            (f"data.trades.{venue}.*", self._on_trade),
        ]
        for topic, handler in self._topics:
            self._msgbus.subscribe(topic=topic, handler=handler)
        # The data client loads the instruments while this client connects: subscribe once they exist.
        wanted = [InstrumentId.from_str(text) for text in self._shadow_config.instrument_ids]
        deadline = self._clock.timestamp() + self._shadow_config.instruments_timeout_secs
        while any(self._cache.instrument(i) is None for i in wanted) and self._clock.timestamp() < deadline:
            await asyncio.sleep(0.05)
        for instrument_id in wanted:
            if self._cache.instrument(instrument_id) is None:
                self._log.error(f"{instrument_id} never appeared in the cache: no shadow fills for it")
                continue
            self._request_market_data(instrument_id)
        balance = Money(self._shadow_config.starting_balance_usdc, USDC)
        self.generate_account_state(
            balances=[AccountBalance(balance, Money(0, USDC), balance)],
            margins=[],
            reported=True,
            ts_event=self._clock.timestamp_ns(),
        )
        self._log.info(
            f"Shadow execution: nothing is sent; latency {self._shadow_config.latency_ms} ms, "
            f"queue rule {self._shadow_config.queue_rule}"
        )

    async def _disconnect(self) -> None:
        for topic, handler in self._topics:
            self._msgbus.unsubscribe(topic=topic, handler=handler)
        self._topics = []

    def _request_market_data(self, instrument_id: InstrumentId) -> None:
        now = self._clock.timestamp_ns()
        self._msgbus.send(
            endpoint="DataEngine.execute",
            msg=SubscribeOrderBook(
                instrument_id=instrument_id,
                book_data_type=OrderBookDelta,
                book_type=BookType.L2_MBP,
                client_id=None,
                venue=instrument_id.venue,
                command_id=UUID4(),
                ts_init=now,
            ),
        )
        self._msgbus.send(
            endpoint="DataEngine.execute",
            msg=SubscribeTradeTicks(
                instrument_id=instrument_id,
                client_id=None,
                venue=instrument_id.venue,
                command_id=UUID4(),
                ts_init=now,
            ),
        )

    # -- market data --------------------------------------------------------------------------

    def _book_for(self, instrument_id: InstrumentId) -> OrderBook:
        book = self._books.get(instrument_id)
        if book is None:
            book = OrderBook(instrument_id, BookType.L2_MBP)
            self._books[instrument_id] = book
        return book

    def _on_book_data(self, data: OrderBookDeltas | OrderBookDelta) -> None:
        book = self._book_for(data.instrument_id)
        if isinstance(data, OrderBookDeltas):
            book.apply_deltas(data)
            last = True
        else:
            book.apply_delta(data)
            last = bool(data.flags & _F_LAST)
        if not last:
            return
        matcher = self._matchers.get(data.instrument_id)
        if not matcher:
            return
        size_at = window_sizes(book)

        best_bid = book.best_bid_price()
        best_ask = book.best_ask_price()
        fills = matcher.on_book(
            None if best_bid is None else float(best_bid),
            None if best_ask is None else float(best_ask),
            size_at,
        )
        self._emit_fills(data.instrument_id, fills, data.ts_event)

    def _on_trade(self, tick: TradeTick) -> None:
        matcher = self._matchers.get(tick.instrument_id)
        if not matcher:
            return
        fills = matcher.on_trade(float(tick.price), float(tick.size), tick.aggressor_side == AggressorSide.BUYER)
        self._emit_fills(tick.instrument_id, fills, tick.ts_event)

    # -- commands -----------------------------------------------------------------------------

    async def _submit_order(self, command: SubmitOrder) -> None:
        order = command.order
        self.generate_order_submitted(
            order.strategy_id, order.instrument_id, order.client_order_id, self._clock.timestamp_ns()
        )
        await self._travel()
        self._arrive(order)

    async def _submit_order_list(self, command: SubmitOrderList) -> None:
        for order in command.order_list.orders:
            self.generate_order_submitted(
                order.strategy_id, order.instrument_id, order.client_order_id, self._clock.timestamp_ns()
            )
        await self._travel()
        for order in command.order_list.orders:
            self._arrive(order)

    async def _cancel_order(self, command: CancelOrder) -> None:
        await self._travel()
        order = self._cache.order(command.client_order_id)
        if order is not None:
            self._cancel_one(order)

    async def _batch_cancel_orders(self, command: BatchCancelOrders) -> None:
        await self._travel()
        for cancel in command.cancels:
            order = self._cache.order(cancel.client_order_id)
            if order is not None:
                self._cancel_one(order)

    async def _cancel_all_orders(self, command: CancelAllOrders) -> None:
        await self._travel()
        # NO_ORDER_SIDE selects both sides.
        for order in self._cache.orders_open(instrument_id=command.instrument_id, side=command.order_side):
            self._cancel_one(order)

    async def _modify_order(self, command: ModifyOrder) -> None:
        await self._travel()
        order = self._cache.order(command.client_order_id)
        matcher = self._matchers.get(command.instrument_id)
        if order is None or matcher is None or str(order.client_order_id) not in matcher:
            self.generate_order_modify_rejected(
                command.strategy_id, command.instrument_id, command.client_order_id,
                command.venue_order_id, UNKNOWN_ORDER, self._clock.timestamp_ns(),
            )
            return
        instrument = self._cache.instrument(order.instrument_id)
        price = command.price or order.price
        quantity = command.quantity or order.quantity
        resting = matcher.get(str(order.client_order_id))
        assert resting is not None
        remaining = float(quantity) - resting.filled
        book = self._book_for(order.instrument_id)
        reason = post_only_rejection(order.side == OrderSide.BUY, float(price), *_best(book))
        if reason is not None or remaining <= 0:
            self.generate_order_modify_rejected(
                order.strategy_id, order.instrument_id, order.client_order_id, order.venue_order_id,
                reason or "modify would leave nothing to rest", self._clock.timestamp_ns(),
            )
            return
        # Hyperliquid's modify is a cancel-and-replace: a new oid at the back of the queue.
        matcher.remove(str(order.client_order_id))
        matcher.add(
            str(order.client_order_id), order.side == OrderSide.BUY, float(price), float(quantity),
            _level_size(book, order.side == OrderSide.BUY, float(price)),
        )
        matcher.get(str(order.client_order_id)).filled = resting.filled  # type: ignore[union-attr]
        venue_order_id = self._new_venue_order_id(order.client_order_id)
        self.generate_order_updated(
            order.strategy_id, order.instrument_id, order.client_order_id, venue_order_id,
            instrument.make_qty(quantity), instrument.make_price(price), None,
            self._clock.timestamp_ns(), venue_order_id_modified=True,
        )

    # -- reconciliation -----------------------------------------------------------------------

    async def generate_order_status_report(self, command: GenerateOrderStatusReport) -> OrderStatusReport | None:
        return None

    async def generate_order_status_reports(self, command: GenerateOrderStatusReports) -> list[OrderStatusReport]:
        # Nothing exists outside this process: the virtual book starts empty on every run.
        return []

    async def generate_fill_reports(self, command: GenerateFillReports) -> list[FillReport]:
        return []

    async def generate_position_status_reports(
        self, command: GeneratePositionStatusReports
    ) -> list[PositionStatusReport]:
        return []

    # -- internals ----------------------------------------------------------------------------

    async def _travel(self) -> None:
        if self._latency_secs > 0:
            await asyncio.sleep(self._latency_secs)

    def _new_venue_order_id(self, client_order_id: ClientOrderId) -> VenueOrderId:
        venue_order_id = VenueOrderId(str(next(self._oids)))
        self._venue_ids[client_order_id] = venue_order_id
        return venue_order_id

    def _arrive(self, order: Order) -> None:
        now = self._clock.timestamp_ns()
        if order.is_closed:
            return
        instrument = self._cache.instrument(order.instrument_id)
        if instrument is None:
            self.generate_order_rejected(
                order.strategy_id, order.instrument_id, order.client_order_id,
                f"unknown instrument {order.instrument_id}", now,
            )
            return
        book = self._book_for(order.instrument_id)
        is_buy = order.side == OrderSide.BUY
        best_bid, best_ask = _best(book)
        if order.order_type == OrderType.LIMIT and order.is_post_only:
            reason = post_only_rejection(is_buy, float(order.price), best_bid, best_ask)
            if reason is not None:
                self.post_only_rejects += 1
                self.generate_order_rejected(
                    order.strategy_id, order.instrument_id, order.client_order_id, reason, now, due_post_only=True
                )
                return
        elif order.order_type not in (OrderType.LIMIT, OrderType.MARKET):
            self.generate_order_rejected(
                order.strategy_id, order.instrument_id, order.client_order_id,
                f"shadow mode supports limit and market orders, not {order.order_type.name}", now,
            )
            return
        venue_order_id = self._new_venue_order_id(order.client_order_id)
        self.generate_order_accepted(order.strategy_id, order.instrument_id, order.client_order_id, venue_order_id, now)
        remaining = float(order.quantity)
        if not (order.order_type == OrderType.LIMIT and order.is_post_only):
            remaining = self._take(order, instrument, book, venue_order_id, now)
        if remaining <= 0:
            return
        if order.order_type == OrderType.MARKET or order.time_in_force in (TimeInForce.IOC, TimeInForce.FOK):
            self.generate_order_canceled(order.strategy_id, order.instrument_id, order.client_order_id, venue_order_id, now)
            return
        matcher = self._matchers.get(order.instrument_id)
        if matcher is None:
            lot = float(instrument.size_increment)
            rule = make_queue_rule(self._shadow_config.queue_rule, self._shadow_config.queue_power)
            cls = BacktestVenueMatcher if self._shadow_config.matching == "backtest_venue" else QueueMatcher
            matcher = cls(rule, lot)
            self._matchers[order.instrument_id] = matcher
        price = float(order.price)
        matcher.add(str(order.client_order_id), is_buy, price, float(order.quantity), _level_size(book, is_buy, price))
        resting = matcher.get(str(order.client_order_id))
        assert resting is not None
        resting.filled = float(order.quantity) - remaining

    def _take(self, order: Order, instrument: Instrument, book: OrderBook, venue_order_id: VenueOrderId, now: int) -> float:
        """Fill a marketable order against the displayed levels (taker fee); returns what is left."""
        remaining = float(order.quantity)
        is_buy = order.side == OrderSide.BUY
        limit = float(order.price) if order.order_type == OrderType.LIMIT else None
        levels = book.asks() if is_buy else book.bids()
        for level in levels:
            px = float(level.price)
            if limit is not None and (px > limit if is_buy else px < limit):
                break
            qty = min(remaining, float(level.size()))
            if qty <= 0:
                continue
            self._emit_fill(order, instrument, venue_order_id, qty, px, LiquiditySide.TAKER, now)
            remaining -= qty
            if remaining <= float(instrument.size_increment) * 1e-6:
                return 0.0
        return remaining

    def _cancel_one(self, order: Order) -> None:
        matcher = self._matchers.get(order.instrument_id)
        now = self._clock.timestamp_ns()
        if matcher is not None and matcher.remove(str(order.client_order_id)) is not None:
            self.generate_order_canceled(
                order.strategy_id, order.instrument_id, order.client_order_id,
                self._venue_ids.get(order.client_order_id, order.venue_order_id), now,
            )
        elif order.status in (OrderStatus.SUBMITTED, OrderStatus.PENDING_CANCEL) and order.venue_order_id is None:
            # Still in flight (not yet arrived): nothing rests, so the cancel is refused like the venue's.
            self.generate_order_cancel_rejected(
                order.strategy_id, order.instrument_id, order.client_order_id, None, UNKNOWN_ORDER, now
            )
        elif order.is_open:
            self.generate_order_cancel_rejected(
                order.strategy_id, order.instrument_id, order.client_order_id, order.venue_order_id, UNKNOWN_ORDER, now
            )

    def _emit_fills(self, instrument_id: InstrumentId, fills: list[VirtualFill], ts_event: int) -> None:
        if not fills:
            return
        instrument = self._cache.instrument(instrument_id)
        for fill in fills:
            order = self._cache.order(ClientOrderId(fill.key))
            if order is None or instrument is None:
                self._log.error(f"Shadow fill for unknown order {fill.key}")
                continue
            venue_order_id = self._venue_ids.get(order.client_order_id, order.venue_order_id)
            self._emit_fill(order, instrument, venue_order_id, fill.qty, fill.price, LiquiditySide.MAKER, ts_event)

    def _emit_fill(
        self,
        order: Order,
        instrument: Instrument,
        venue_order_id: VenueOrderId,
        qty: float,
        px: float,
        liquidity: LiquiditySide,
        ts_event: int,
    ) -> None:
        last_qty = Quantity(qty, instrument.size_precision)
        last_px = Price(px, instrument.price_precision)
        rate = instrument.maker_fee if liquidity == LiquiditySide.MAKER else instrument.taker_fee
        notional = float(last_qty) * float(last_px)
        fee = notional * float(rate)
        self.fills += 1
        self.fees_usd += fee
        if liquidity == LiquiditySide.MAKER:
            self.maker_volume_usd += notional
        self.generate_order_filled(
            strategy_id=order.strategy_id,
            instrument_id=order.instrument_id,
            client_order_id=order.client_order_id,
            venue_order_id=venue_order_id,
            venue_position_id=None,
            trade_id=TradeId(f"SHADOW-{next(self._tids)}"),
            order_side=order.side,
            order_type=order.order_type,
            last_qty=last_qty,
            last_px=last_px,
            quote_currency=USDC,
            commission=Money(fee, USDC),
            liquidity_side=liquidity,
            ts_event=max(ts_event, 0),
        )


def _best(book: OrderBook) -> tuple[float | None, float | None]:
    bid, ask = book.best_bid_price(), book.best_ask_price()
    return (None if bid is None else float(bid)), (None if ask is None else float(ask))


def _level_size(book: OrderBook, is_bid: bool, price: float) -> float | None:
    """Displayed size at `price` (0 for an empty price inside the window), None beyond the deepest
    displayed level: there the queue ahead is unknown (see `QueueMatcher.add`)."""
    return window_sizes(book)(is_bid, price)
