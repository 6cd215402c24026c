"""The simulated venue refuses what the account cannot margin (`backtest.margin` holds the rule).

Where the check sits, and why there: Nautilus 1.231 has no hook that refuses an order for margin.
Its RiskEngine returns early for a margin account ("TODO: Determine risk controls for margin"), the
matching engine checks prices, sizes and reduce-only but never the account, and the venue's margin
models (`LeveragedMarginModel`, `StandardMarginModel`) only compute the figures the account shows
after the fact. The one overridable step every order passes on its way to the venue is the
venue's execution client (`BacktestExecClient.submit_order` / `submit_order_list` / `modify_order`,
`cpdef`, so a Python subclass's methods are the ones the ExecutionEngine calls). `MarginCheckedExecClient`
checks each order there and answers a refused one as the exchange does: `OrderSubmitted` then
`OrderRejected` ("Insufficient margin to place order."), or `OrderModifyRejected` for a modify; the
rest go on to the venue untouched, so a run the rule never binds is the run it was before.

One difference from the exchange, on purpose: the check runs when the order leaves, one latency
before the exchange would check it on arrival; orders still in flight count as resting, so nothing
the exchange would refuse gets through.

The engine offers no accessor for its `SimulatedExchange` (needed to build the client): `VenueHandle`,
a `SimulationModule`, receives it from the exchange at `add_venue` and leaves the exchange's module
list again at `install`, so it costs nothing per data item.
"""

from __future__ import annotations

from typing import Any

from nautilus_trader.backtest.config import SimulationModuleConfig
from nautilus_trader.backtest.engine import BacktestEngine
from nautilus_trader.backtest.execution_client import BacktestExecClient
from nautilus_trader.backtest.modules import SimulationModule
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import SubmitOrder
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.orders import Order

from backtest.margin import INSUFFICIENT_MARGIN
from backtest.margin import Exposure
from backtest.margin import admits
from backtest.margin import default_leverage
from backtest.margin import initial_margin
from backtest.margin import with_order


class VenueHandle(SimulationModule):
    """Receives the venue's exchange at `add_venue(modules=[handle, ...])`; `take()` hands it over
    and removes the handle from the exchange's modules (it has nothing to simulate)."""

    def __init__(self) -> None:
        super().__init__(SimulationModuleConfig())

    def take(self) -> Any:
        exchange = self.exchange
        if exchange is None:
            raise RuntimeError("VenueHandle was not given to add_venue(modules=...)")
        exchange.modules.remove(self)
        return exchange

    def pre_process(self, data: Any) -> None:
        pass

    def process(self, ts_now: int) -> None:
        pass

    def log_diagnostics(self, logger: Any) -> None:
        pass

    def reset(self) -> None:
        pass


class MarginCheckedExecClient(BacktestExecClient):
    """The venue's execution client, refusing orders and modifies the account cannot margin at the
    leverage of their instrument (`leverages`; else `backtest.margin.default_leverage` of its maxLeverage)."""

    def __init__(self, exchange: Any, engine: BacktestEngine, leverages: dict[InstrumentId, int] | None = None) -> None:
        kernel = engine.kernel
        super().__init__(exchange=exchange, msgbus=kernel.msgbus, cache=kernel.cache, clock=kernel.clock)
        self._sim = exchange
        self._leverages = dict(leverages or {})

    # ------------------------------------------------------------------ commands
    def submit_order(self, command: SubmitOrder) -> None:
        order = command.order
        exposures, value = self._account()
        if self._admits(exposures, value, order.instrument_id, order.side == OrderSide.BUY, self._notional(order)):
            super().submit_order(command)
        else:
            self._refuse(order)

    def submit_order_list(self, command: Any) -> None:
        # Each order is checked with the ones before it in the list counted (the exchange's batch
        # is one request, each order answered on its own).
        exposures, value = self._account()
        passed = []
        for order in command.order_list.orders:
            notional = self._notional(order)
            if self._admits(exposures, value, order.instrument_id, order.side == OrderSide.BUY, notional):
                exposures[order.instrument_id] = with_order(
                    exposures.get(order.instrument_id, Exposure()), order.side == OrderSide.BUY, notional
                )
                passed.append(order)
            else:
                self._refuse(order)
        if len(passed) == len(command.order_list.orders):
            super().submit_order_list(command)
            return
        for order in passed:
            super().submit_order(
                SubmitOrder(
                    trader_id=command.trader_id,
                    strategy_id=command.strategy_id,
                    order=order,
                    command_id=UUID4(),
                    ts_init=command.ts_init,
                    position_id=command.position_id,
                    client_id=command.client_id,
                )
            )

    def modify_order(self, command: Any) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None or getattr(order, "price", None) is None:
            super().modify_order(command)
            return
        quantity = command.quantity if command.quantity is not None else order.quantity
        price = command.price if command.price is not None else order.price
        after = max(0.0, float(quantity) - float(order.filled_qty)) * float(price)
        change = after - self._notional(order)
        exposures, value = self._account()
        if self._admits(exposures, value, order.instrument_id, order.side == OrderSide.BUY, change):
            super().modify_order(command)
            return
        self.generate_order_modify_rejected(
            order.strategy_id, order.instrument_id, order.client_order_id, order.venue_order_id,
            INSUFFICIENT_MARGIN, self._clock.timestamp_ns(),
        )

    # ------------------------------------------------------------------ the account
    def _leverage(self, instrument_id: InstrumentId) -> int:
        leverage = self._leverages.get(instrument_id)
        if leverage is None:
            instrument = self._cache.instrument(instrument_id)
            info = (instrument.info or {}) if instrument is not None else {}
            leverage = self._leverages[instrument_id] = default_leverage(info.get("maxLeverage"))
        return leverage

    def _mark(self, instrument_id: InstrumentId) -> float | None:
        """The venue's mid (its own book, the one its fills come from); one side if the other is empty."""
        book = self._sim.get_matching_engine(instrument_id).get_book()
        bid, ask = book.best_bid_price(), book.best_ask_price()
        if bid is not None and ask is not None:
            return (float(bid) + float(ask)) / 2
        side = bid if bid is not None else ask
        return None if side is None else float(side)

    def _account(self) -> tuple[dict[InstrumentId, Exposure], float]:
        """Every instrument's exposure (positions at the mark, orders open or in flight) and the
        account value (USDC balance + unrealized PnL at the mark)."""
        cache = self._cache
        venue = self.venue
        account = cache.account_for_venue(venue)
        value = float(account.balance_total(self._sim.base_currency)) if account is not None else 0.0
        exposures: dict[InstrumentId, Exposure] = {}
        for position in cache.positions_open(venue=venue):
            iid = position.instrument_id
            qty = position.signed_qty
            mark = self._mark(iid)
            if mark is None:
                mark = position.avg_px_open
            value += (mark - position.avg_px_open) * qty
            exposures.setdefault(iid, Exposure()).position_notional += qty * mark
        seen = set()
        for order in (*cache.orders_open(venue=venue), *cache.orders_inflight(venue=venue)):
            if order.client_order_id in seen:
                continue  # open and in flight at once (pending update or cancel)
            seen.add(order.client_order_id)
            exposure = exposures.setdefault(order.instrument_id, Exposure())
            if order.side == OrderSide.BUY:
                exposure.buys += self._notional(order)
            else:
                exposure.sells += self._notional(order)
        return exposures, value

    def _notional(self, order: Order) -> float:
        price = getattr(order, "price", None)  # None: a market order, at the mark
        px = float(price) if price is not None else (self._mark(order.instrument_id) or 0.0)
        return float(order.leaves_qty) * px

    def _admits(
        self, exposures: dict[InstrumentId, Exposure], value: float, instrument_id: InstrumentId, is_buy: bool, notional: float
    ) -> bool:
        before = sum(initial_margin(e, self._leverage(iid)) for iid, e in exposures.items())
        own = exposures.get(instrument_id, Exposure())
        leverage = self._leverage(instrument_id)
        after = before - initial_margin(own, leverage) + initial_margin(with_order(own, is_buy, notional), leverage)
        return admits(value, before, after)

    def _refuse(self, order: Order) -> None:
        ts = self._clock.timestamp_ns()
        self.generate_order_submitted(order.strategy_id, order.instrument_id, order.client_order_id, ts)
        self.generate_order_rejected(order.strategy_id, order.instrument_id, order.client_order_id, INSUFFICIENT_MARGIN, ts)


def install(engine: BacktestEngine, handle: VenueHandle, leverages: dict[InstrumentId, int] | None = None) -> MarginCheckedExecClient:
    """Replace the venue's execution client (the one `add_venue` made) with a `MarginCheckedExecClient`;
    call after `add_venue(modules=[handle, ...])`, before the run."""
    exchange = handle.take()
    client = MarginCheckedExecClient(exchange, engine, leverages)
    exec_engine = engine.kernel.exec_engine
    exec_engine.deregister_client(exchange.exec_client)
    exec_engine.register_client(client)
    exchange.register_client(client)
    return client
