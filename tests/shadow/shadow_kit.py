"""A minimal live kernel (msgbus, cache, data + execution engines) around a shadow client, for tests."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.common.factories import OrderFactory
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import CancelAllOrders
from nautilus_trader.execution.messages import CancelOrder
from nautilus_trader.execution.messages import ModifyOrder
from nautilus_trader.execution.messages import SubmitOrder
from nautilus_trader.live.data_engine import LiveDataEngine
from nautilus_trader.live.execution_engine import LiveExecutionEngine
from nautilus_trader.model.data import BookOrder
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import StrategyId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.identifiers import TraderId
from nautilus_trader.model.orders import Order
from nautilus_trader.portfolio.portfolio import Portfolio

from adapters.hyperliquid.parsing.instruments import perp_instrument
from shadow.config import ShadowExecClientConfig
from shadow.factory import ShadowExecClientFactory

F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)
F_LAST = int(RecordFlag.F_LAST)
CLIENT_ID = ClientId("HYPERLIQUID")


class ShadowKit:
    """Engines on a private event loop; `run(secs)` lets queued events and latencies play out."""

    def __init__(self, **config: object) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.clock = LiveClock()
        trader_id = TraderId("TESTER-001")
        self.msgbus = MessageBus(trader_id=trader_id, clock=self.clock)
        self.cache = Cache(database=None)
        self.portfolio = Portfolio(msgbus=self.msgbus, cache=self.cache, clock=self.clock)
        self.data_engine = LiveDataEngine(loop=self.loop, msgbus=self.msgbus, cache=self.cache, clock=self.clock)
        self.exec_engine = LiveExecutionEngine(loop=self.loop, msgbus=self.msgbus, cache=self.cache, clock=self.clock)
        self.instrument = perp_instrument("ETH", 4, fee_tier=0)
        self.cache.add_instrument(self.instrument)
        self.client = ShadowExecClientFactory.create(
            self.loop, "HYPERLIQUID", ShadowExecClientConfig(**config), self.msgbus, self.cache, self.clock
        )
        self.exec_engine.register_client(self.client)
        self.strategy_id = StrategyId("MM-001")
        self.orders = OrderFactory(trader_id=trader_id, strategy_id=self.strategy_id, clock=self.clock)
        self.data_engine.start()
        self.exec_engine.start()
        self.client.connect()
        self.run(0.05)
        self._seq = 0
        self._tid = 0

    def run(self, secs: float) -> None:
        self.loop.run_until_complete(asyncio.sleep(secs))

    def close(self) -> None:
        self.client.disconnect()
        self.run(0.05)
        self.exec_engine.stop()
        self.data_engine.stop()
        self.run(0.05)
        self.exec_engine.dispose()
        self.data_engine.dispose()
        self.loop.close()

    # -- market data as the data engine publishes it -----------------------------------------

    def book(self, bids: Iterable[tuple[float, float]], asks: Iterable[tuple[float, float]], snapshot: bool = False) -> None:
        """Set the listed levels (size 0 deletes); `snapshot` clears the book first."""
        self._seq += 1
        ts = self.clock.timestamp_ns()
        iid = self.instrument.id
        make_px, make_qty = self.instrument.make_price, self.instrument.make_qty
        flags = F_SNAPSHOT if snapshot else 0
        deltas = [OrderBookDelta.clear(iid, self._seq, ts, ts)] if snapshot else []
        for side, levels in ((OrderSide.BUY, bids), (OrderSide.SELL, asks)):
            for px, sz in levels:
                action = BookAction.DELETE if sz == 0 else (BookAction.ADD if snapshot else BookAction.UPDATE)
                order = BookOrder(side, make_px(px), make_qty(sz), 0)
                deltas.append(OrderBookDelta(iid, action, order, flags, self._seq, ts, ts))
        last = deltas[-1]
        deltas[-1] = OrderBookDelta(iid, last.action, last.order, last.flags | F_LAST, self._seq, ts, ts)
        self.msgbus.publish(topic=f"data.book.deltas.HYPERLIQUID.{iid.symbol.topic()}", msg=OrderBookDeltas(iid, deltas))

    def trade(self, px: float, sz: float, aggressor: AggressorSide) -> None:
        self._tid += 1
        ts = self.clock.timestamp_ns()
        tick = TradeTick(
            self.instrument.id, self.instrument.make_price(px), self.instrument.make_qty(sz), aggressor,
            TradeId(str(self._tid)), ts, ts,
        )
        self.msgbus.publish(topic=f"data.trades.HYPERLIQUID.{self.instrument.id.symbol}", msg=tick)

    # -- orders as a strategy sends them ------------------------------------------------------

    def submit_limit(self, side: OrderSide, px: float, qty: float, post_only: bool = True) -> Order:
        order = self.orders.limit(
            self.instrument.id, side, self.instrument.make_qty(qty), self.instrument.make_price(px), post_only=post_only
        )
        self.cache.add_order(order)
        self.exec_engine.execute(
            SubmitOrder(self.orders.trader_id, self.strategy_id, order, UUID4(), self.clock.timestamp_ns(),
                        client_id=CLIENT_ID)
        )
        return order

    def cancel(self, order: Order) -> None:
        self.exec_engine.execute(
            CancelOrder(self.orders.trader_id, self.strategy_id, order.instrument_id, order.client_order_id,
                        order.venue_order_id, UUID4(), self.clock.timestamp_ns(), client_id=CLIENT_ID)
        )

    def cancel_all(self, side: OrderSide = OrderSide.NO_ORDER_SIDE) -> None:
        self.exec_engine.execute(
            CancelAllOrders(self.orders.trader_id, self.strategy_id, self.instrument.id, side, UUID4(),
                            self.clock.timestamp_ns(), client_id=CLIENT_ID)
        )

    def modify(self, order: Order, px: float) -> None:
        self.exec_engine.execute(
            ModifyOrder(self.orders.trader_id, self.strategy_id, order.instrument_id, order.client_order_id,
                        order.venue_order_id, None, self.instrument.make_price(px), None, UUID4(),
                        self.clock.timestamp_ns(), client_id=CLIENT_ID)
        )

