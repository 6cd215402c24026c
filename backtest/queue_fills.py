"""Backtest fills by the queue rules of hlsim and the shadow client (`simulation`), inside Nautilus's venue.

A run picks its `queue_rule` (`backtest.runner`):

- "nautilus": the venue's own queue (`queue_position=True`): an order fills only after the size
  displayed ahead of it when it was placed has *traded*; cancels ahead never move it (the
  conservative end of the range), but a level DELETE, a snapshot or a CLEAR puts it at the front.
- "conservative" / "probabilistic": `simulation.matcher.QueueMatcher` with `ConservativeQueue` /
  the power rule (`ProbQueue`, hlsim's default power), the rules hlsim and shadow apply: trades at
  the order's price advance it, size leaving the level without a trade advances it by the rule
  (the probabilistic rule counts part of it as ahead of us), a trade through the price or a book
  reaching it fills it completely.

How the matcher's rules run inside the venue (Nautilus's queue internals are `cdef`, not open to a
subclass): `QueueFillModule` is a Nautilus `SimulationModule` on the venue. The exchange calls its
`pre_process(data)` with every delta and trade *before* its matching engine sees them, and its
`process(ts)` after every data item once the commands due have been applied. So:

- `process` mirrors the venue's open limit orders into the matcher (`simulation.order_mirror`): new,
  modified (a new queue place), cancelled, and the venue's own fill counts;
- `pre_process` feeds the delta to its own copy of the displayed book and the trade or the finished
  book to the matcher, and applies the fills it decides through the venue's matching engine
  (`OrderMatchingEngine.apply_fills`, the path of the venue's own passive fills): ordinary
  `OrderFilled` events at the order's price, maker fees from the instrument, the strategy told
  before it sees the data item (as with the venue's own fills).

For such a run the venue's own passive fills are switched off (`trade_execution=False`,
`queue_position=False`): it only fills a resting order when its book crosses it. The module fills
crossed orders first, on every delta (its book is the venue's after the same delta), so the venue
finds them filled. With Hyperliquid's true deltas (per side: deletes, updates, adds) a book crossed
part-way through an event is crossed at its end as well, so this is the matcher's end-of-event
rule. Should the venue fill an order anyway, the mirror adopts that fill: nothing fills twice.
Marketable orders (IOC, market) are the venue's as before: they fill against its book as a taker.
"""

from __future__ import annotations

from typing import Any

from nautilus_trader.backtest.config import SimulationModuleConfig
from nautilus_trader.backtest.modules import SimulationModule
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderType
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Quantity

from simulation.matcher import QueueMatcher
from simulation.matcher import VirtualFill
from simulation.order_mirror import LevelBook
from simulation.order_mirror import OrderMirror
from simulation.order_mirror import RestingOrder
from simulation.queue_model import QueueRule
from simulation.queue_model import make_queue_rule

QUEUE_RULES = ("nautilus", "conservative", "probabilistic")
DEFAULT_QUEUE_RULE = "nautilus"
QUEUE_RULE_MEANING = {  # for the report: where in the range of likely fills a run sits
    "nautilus": "the venue's queue, only trades at the price advance an order",
    "conservative": "hlsim/shadow rule, cancels only cap the size ahead at the level's size",
    "probabilistic": "hlsim/shadow power rule, part of the size cancelled counts as ahead",
}
# The matcher's rule of each module-run name; "probabilistic" is hlsim's and shadow's power rule at its default power.
_MATCHER_RULES = {"conservative": "conservative", "probabilistic": "power"}

_F_LAST = int(RecordFlag.F_LAST)


def check_queue_rule(name: object, field: str = "queue_rule") -> None:
    """Raises ValueError naming `field` unless `name` is one of `QUEUE_RULES`."""
    if name not in QUEUE_RULES:
        raise ValueError(f"{field} must be one of {', '.join(QUEUE_RULES)}; got {name!r}")


def matcher_rule(name: str) -> QueueRule:
    """The `simulation.queue_model` rule a module run of `name` uses."""
    if name not in _MATCHER_RULES:
        raise ValueError(f"queue rule {name!r} is not run by the module (one of {', '.join(_MATCHER_RULES)})")
    return make_queue_rule(_MATCHER_RULES[name])


class _Market:
    """One instrument's state: the displayed book, the mirror, and the venue's orders by key."""

    __slots__ = ("book", "complete", "mirror", "orders", "size_precision")

    def __init__(self, rule: QueueRule, lot: float, size_precision: int) -> None:
        self.book = LevelBook()
        self.complete = True  # the last delta closed its event (F_LAST): the book is one the venue showed
        self.mirror = OrderMirror(QueueMatcher(rule, lot))
        self.orders: dict[str, Any] = {}  # key → the venue's Order, as of the last sync
        self.size_precision = size_precision


class QueueFillModule(SimulationModule):
    """Fills the venue's resting limit orders by a `simulation` queue rule (see the module docstring).
    Add it with `BacktestEngine.add_venue(modules=[...], trade_execution=False, queue_position=False)`."""

    def __init__(self, rule_name: str) -> None:
        super().__init__(SimulationModuleConfig())
        self.rule_name = rule_name
        self._rule = matcher_rule(rule_name)
        self._markets: dict[InstrumentId, _Market] = {}
        self._dirty = False  # an order event since the last sync
        self.fills = 0  # fills applied (OrderFilled events this module caused)

    def register_venue(self, exchange: Any) -> None:
        super().register_venue(exchange)
        # Any order event may change what rests (accepted, modified, cancelled, filled): sync only then,
        # not after every one of the run's data items.
        self.msgbus.subscribe("events.order.*", self._on_order_event)

    def _on_order_event(self, _event: Any) -> None:
        self._dirty = True

    def pre_process(self, data: Any) -> None:
        if isinstance(data, OrderBookDelta):
            self._on_deltas(data.instrument_id, (data,))
        elif isinstance(data, TradeTick):
            self._on_trade(data)
        elif isinstance(data, OrderBookDeltas):
            self._on_deltas(data.instrument_id, data.deltas)

    def process(self, ts_now: int) -> None:
        if not self._dirty:
            return
        self._dirty = False
        for instrument_id, engine in self.exchange.get_matching_engines().items():
            market = self._markets.get(instrument_id)
            if market is None:
                market = self._market(instrument_id)
            self._sync(market, engine)

    def log_diagnostics(self, logger: Any) -> None:
        for instrument_id, market in self._markets.items():
            m = market.mirror
            logger.info(
                f"{instrument_id} queue rule {self.rule_name}: orders added {m.added}, replaced {m.replaced}, "
                f"removed {m.removed}, venue fills adopted {m.adopted}"
            )
        logger.info(f"queue rule {self.rule_name}: {self.fills} fills")

    def reset(self) -> None:
        self._markets.clear()
        self._dirty = False
        self.fills = 0

    # -- internals --------------------------------------------------------------------------------

    def _market(self, instrument_id: InstrumentId) -> _Market:
        market = self._markets.get(instrument_id)
        if market is None:
            instrument = self.cache.instrument(instrument_id)
            if instrument is None:
                raise RuntimeError(f"QueueFillModule: no instrument {instrument_id} in the cache")
            market = _Market(self._rule, float(instrument.size_increment), instrument.size_precision)
            self._markets[instrument_id] = market
        return market

    def _on_deltas(self, instrument_id: InstrumentId, deltas: Any) -> None:
        market = self._markets.get(instrument_id) or self._market(instrument_id)
        book = market.book
        mirror = market.mirror
        for delta in deltas:
            action = delta.action
            changed = None  # (side, price) of a level added or changed
            if action == BookAction.CLEAR:
                book.clear()
            else:
                order = delta.order
                is_bid = order.side == OrderSide.BUY
                price = order.price.as_double()
                if action == BookAction.DELETE:
                    book.delete(is_bid, price)
                else:
                    book.set(is_bid, price, order.size.as_double())
                    changed = (is_bid, price)
            market.complete = bool(delta.flags & _F_LAST)
            if not len(mirror):
                continue
            if market.complete:
                fills = mirror.on_book(book)
            elif changed is not None:
                fills = mirror.on_level(book, *changed)
            else:
                continue
            if fills:
                self._apply(instrument_id, market, fills)

    def _on_trade(self, tick: TradeTick) -> None:
        market = self._markets.get(tick.instrument_id)
        if market is None or not len(market.mirror):
            return
        aggressor = tick.aggressor_side
        if aggressor == AggressorSide.NO_AGGRESSOR:
            return  # which side traded is unknown: it advances no queue (Hyperliquid's trades always name it)
        fills = market.mirror.on_trade(tick.price.as_double(), tick.size.as_double(), aggressor == AggressorSide.BUYER)
        if fills:
            self._apply(tick.instrument_id, market, fills)

    def _sync(self, market: _Market, engine: Any) -> None:
        orders: dict[str, Any] = {}
        resting: list[RestingOrder] = []
        for order in engine.get_open_orders():
            if order.order_type != OrderType.LIMIT or not order.is_open:
                continue  # only limit orders rest in a queue; a closed one is dropped at the venue's next iterate
            key = order.client_order_id.value
            orders[key] = order
            resting.append(RestingOrder(
                key, order.side == OrderSide.BUY, order.price.as_double(),
                order.quantity.as_double(), order.filled_qty.as_double(),
            ))
        market.orders = orders
        market.mirror.sync(resting, market.book.sizes() if market.complete else None)

    def _apply(self, instrument_id: InstrumentId, market: _Market, fills: list[VirtualFill]) -> None:
        # The venue's clock reads this data item's time already (the engine advanced it before the
        # exchange got the item): the fills carry it.
        engine = self.exchange.get_matching_engine(instrument_id)
        for fill in fills:
            order = market.orders.get(fill.key)
            if order is None or not order.is_open:
                continue  # gone since the last sync (cannot happen: every change is synced before the next item)
            qty = min(fill.qty, order.leaves_qty.as_double())
            last_qty = Quantity(qty, market.size_precision)
            if last_qty.raw <= 0:
                continue
            # Netting venue: the position of the instrument, if open, for the venue's reduce-only bookkeeping.
            positions = self.cache.positions_open(instrument_id=instrument_id)
            before = order.filled_qty.raw
            engine.apply_fills(order, [(order.price, last_qty)], LiquiditySide.MAKER, None,
                               positions[0] if positions else None)
            self.fills += order.filled_qty.raw > before
