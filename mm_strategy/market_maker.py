"""`MarketMaker`: the post-only ladder quoter, a thin Nautilus shell around `mm_strategy.quoting`.

Per book event (the last delta of an exchange event) it computes the fair price, the
inventory-skewed reservation price and a ladder per side, then plans the smallest set of order
actions that gets its resting orders there without giving up queue priority. It plans once per
book event, stamped with the event's `ts_init`. The actors steer it through `mm_strategy.messages`
on the message bus: a message changes its state and the next book event plans with it, except
that withdrawals (pause, halt, pulling a side) cancel at once. It never reads Redis itself.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from functools import lru_cache
from typing import NamedTuple

from nautilus_trader.config import StrategyConfig
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.events import PositionEvent
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.objects import Price
from nautilus_trader.model.orders import Order
from nautilus_trader.trading.strategy import Strategy

from adapters.hyperliquid.common.prices import PriceGrid
from adapters.hyperliquid.common.prices import price_grid
from mm_strategy import messages as msg
from mm_strategy.order_ids import OrderIds
from mm_strategy.order_list import BriefOrderList
from mm_strategy.quoting.ladder import FairPrice
from mm_strategy.quoting.ladder import InstrumentSpec
from mm_strategy.quoting.ladder import LadderParams
from mm_strategy.quoting.ladder import Quote
from mm_strategy.quoting.ladder import build_side
from mm_strategy.quoting.ladder import fair_price
from mm_strategy.quoting.ladder import min_edge_bps
from mm_strategy.quoting.market_touch import market_touch
from mm_strategy.quoting.requote import Action
from mm_strategy.quoting.requote import Resting
from mm_strategy.quoting.requote import Step
from mm_strategy.quoting.requote import plan_side
from mm_strategy.quoting.requote import urgent_first
from mm_strategy.quoting.skew import ExitMode
from mm_strategy.quoting.skew import SkewParams
from mm_strategy.quoting.skew import exit_mode
from mm_strategy.quoting.skew import reservation_price
from mm_strategy.quoting.skew import side_size_factors
from mm_strategy.quoting.skew import soft_exit_anchor
from mm_strategy.risk.budget_share import side_capacities
from mm_strategy.risk.rejection_breaker import RejectionBreaker

_FOREVER = 2**63 - 1
_F_LAST = int(RecordFlag.F_LAST)
_BREAKER = "rejections"  # the rejection breaker's guard events
# Its reduce-only, under a key no control message's source can take (a Resume pops by source).
_BREAKER_HOLD = "MarketMaker.rejections"
_SOFT = ExitMode.SOFT
_DUST_CUSHION = 1.01  # a maker exit's price is within 1% of fair
# Looked up once: the hot path names them per order and per step.
_BUY = OrderSide.BUY
_SELL = OrderSide.SELL
_GTC = TimeInForce.GTC
_PLACE = Action.PLACE
_MODIFY = Action.MODIFY
# Prices and sizes remembered as Nautilus values (a few hundred bytes each): enough for the prices a
# ladder visits over hours.
_VALUE_CACHE_SIZE = 4096


class MarketMakerConfig(StrategyConfig, frozen=True, kw_only=True):
    """Quoting parameters. `base_spread_bps` is the full L1 bid-to-ask spread around the
    reservation price; level i sits `i * level_spacing_ticks` price steps further out with
    `size_multipliers[i]` times the L1 notional `order_size_usd`."""

    instrument_id: str
    base_spread_bps: float = 4.0
    level_spacing_ticks: int = 2
    max_inventory_usd: float = 1_000.0
    order_size_usd: float = 20.0
    size_multipliers: tuple[float, ...] = (1.0, 2.0, 4.0)
    fair_price: str = "microprice"  # or "mid"
    # Fee-aware edge check: a level must sit at least maker_fee + this from fair to be quoted.
    adverse_selection_bps: float = 0.5
    enforce_fee_edge: bool = True
    # Hysteresis of the edge check: a level without an order is only added once its edge clears
    # the requirement by this much; a quoted level stays until its edge falls below the requirement.
    edge_hysteresis_bps: float = 0.25
    requote_tolerance_ticks: int = 2
    size_tolerance: float = 0.25
    use_modify: bool = True
    skew_bps_at_limit: float = 2.0
    risk_aversion: float = 0.0
    soft_limit: float = 0.6
    hard_limit: float = 1.5
    hard_exit_enabled: bool = False
    # Keep a journal of fills, mids and inventory for reports (cheap; off for the hot-path bench).
    record_journal: bool = True
    journal_interval_ms: int = 100
    journal_max_entries: int = 1_000_000  # per series; the oldest go first (bounded memory when live)
    # No quoting (and no journal) before this time: lets a backtest replay the book from the data
    # start so it is whole when quoting begins, and lets the actors warm up.
    quote_from_ns: int = 0
    # Nautilus formats every order event / command into a log line *before* the log level is
    # applied (~5-10 µs each, several per book event). The strategy counts its own actions and
    # journals its fills, so these are off by default; set True to have Nautilus log them.
    log_events: bool = False
    log_commands: bool = False
    # The rejection circuit breaker (`mm_strategy.risk.rejection_breaker`): this many orders rejected
    # for one reason that retrying cannot cure (margin, price or size rules, minimum value, open-order
    # limit) within the window stop the quoting of the instrument for good, its orders cancelled; a
    # margin trip first works off the position with reduce-only orders (`_reduce_only_for_good`).
    rejection_breaker_count: int = 10
    rejection_breaker_window_secs: float = 60.0
    # Several nodes share the account's inventory cap (a BudgetGuard runs): quote reduce-only until
    # its first `InventoryCap` arrives, so no order goes out before this node holds a claim.
    await_inventory_cap: bool = False
    # One book event's actions as few commands as Nautilus allows: its cancels as one
    # `cancel_orders` (the cancels of quotes the market now crosses first), then its modifies (the
    # Hyperliquid client sends one turn's modifies as one batchModify), then its new orders as one
    # order list: at most one signed request of each kind. Off: each cancel its own command, in the
    # plan's order (the modifies and the new orders go as with it on).
    batch_actions: bool = True
    # The venue's book shows our own resting orders (Hyperliquid's l2Book does): the touch the quotes
    # are computed from is then the market's, our orders taken out (quoting/market_touch.py), or a
    # quote at the touch would move the fair price it came from. Off where the book is market data
    # only: a backtest, a shadow run (the backtest runner and run_live.py --mode shadow set it).
    book_shows_own_orders: bool = True


# How long (local time) an order closed on the exchange counts as still shown by a book stamped
# before its close: a close stamped with our own clock (a cancel's reply) is bounded by this too.
_CLOSED_IN_BOOK_MAX_NS = 2_000_000_000

# Worst price of the hard exit, as a fraction past fair (the SDK's `market_open` default).
_HARD_EXIT_SLIPPAGE = 0.05


@dataclass(slots=True)
class _Slot:
    is_bid: bool
    level: int
    price: float
    size: float
    busy: bool
    ts_ns: int
    # A modify on its way: where it moves the order (0.0: none). The book may show it there already.
    to_price: float = 0.0
    to_size: float = 0.0


class _ShownUntil(NamedTuple):
    """One of our orders closed or moved on the exchange, which a book stamped before `close_ns`
    (the exchange's time; our own clock when a reply stamped it) still shows."""

    is_bid: bool
    price: float
    size: float
    close_ns: int
    noted_ns: int  # local time: the entry ends _CLOSED_IN_BOOK_MAX_NS after it whatever the book says


def _levels_near_touch(
    book: OrderBook, is_bid: bool, own: list[tuple[float, float]], half_tick: float, price_precision: int,
    size_precision: int,
) -> Iterator[tuple[float, float]]:
    """One side of the book as (price, size), best first, for `market_touch`: first the levels down
    to our deepest order there, which the book gives without building every level of the side (the
    touch read in ~5 µs against ~10 from `bids()`' 20 levels, warm: bench/order_path.py), then, only
    if the market's touch lies deeper, the rest of the side."""
    if not own:
        yield from _levels(book.bids() if is_bid else book.asks())
        return
    deepest = min(p for p, _ in own) - half_tick if is_bid else max(p for p, _ in own) + half_tick
    # The levels an order at `deepest` on the other side would trade against: ours and any better.
    near = book.get_all_crossed_levels(_SELL if is_bid else _BUY, Price(deepest, price_precision), size_precision)
    for price, size in near:
        yield float(price), float(size)
    yield from _levels((book.bids() if is_bid else book.asks())[len(near):])


def _levels(levels: list) -> Iterator[tuple[float, float]]:
    """A side of a Nautilus order book as (price, size), best first."""
    return ((float(level.price), level.size()) for level in levels)


def _side_and_price(cancel: tuple[Order, _Slot]) -> tuple[bool, float]:
    return cancel[1].is_bid, cancel[1].price


class MarketMaker(Strategy):
    def __init__(self, config: MarketMakerConfig) -> None:
        super().__init__(config)
        if config.order_size_usd < 10.0:
            raise ValueError("order_size_usd must be ≥ 10 (Hyperliquid's minimum order value)")
        if config.max_inventory_usd <= 0:
            raise ValueError("max_inventory_usd must be > 0")
        if config.order_size_usd > config.max_inventory_usd:
            # The ladder would be silently capped at the inventory limit: the size asked for is never quoted.
            raise ValueError(
                f"order_size_usd {config.order_size_usd:g} exceeds max_inventory_usd {config.max_inventory_usd:g}: "
                "one order would be more than the inventory allowed"
            )
        if config.requote_tolerance_ticks < 0 or config.size_tolerance < 0:
            raise ValueError("requote_tolerance_ticks and size_tolerance must be ≥ 0")
        if config.journal_interval_ms < 0 or config.journal_max_entries <= 0:
            raise ValueError("journal_interval_ms must be ≥ 0 and journal_max_entries > 0")
        if config.rejection_breaker_count < 1:
            raise ValueError(f"rejection_breaker_count must be >= 1, got {config.rejection_breaker_count}")
        if not config.rejection_breaker_window_secs > 0:
            raise ValueError(f"rejection_breaker_window_secs must be > 0, got {config.rejection_breaker_window_secs}")
        if config.fair_price not in {k.value for k in FairPrice}:
            raise ValueError(f"fair_price must be one of {[k.value for k in FairPrice]}, got {config.fair_price!r}")
        self.instrument_id = InstrumentId.from_str(config.instrument_id)
        self.ladder = LadderParams(
            base_spread_bps=config.base_spread_bps,
            level_spacing_ticks=config.level_spacing_ticks,
            order_size_usd=config.order_size_usd,
            size_multipliers=tuple(config.size_multipliers),
            adverse_selection_bps=config.adverse_selection_bps,
            edge_hysteresis_bps=config.edge_hysteresis_bps,
        )
        self.skew = SkewParams(
            skew_bps_at_limit=config.skew_bps_at_limit,
            risk_aversion=config.risk_aversion,
            soft_limit=config.soft_limit,
            hard_limit=config.hard_limit,
            hard_exit_enabled=config.hard_exit_enabled,
        )
        self.max_inventory_usd = config.max_inventory_usd
        self._fair_kind = FairPrice(config.fair_price)
        self._instrument = None
        self._ids: OrderIds | None = None
        self.spec: InstrumentSpec | None = None
        self._grid: PriceGrid | None = None
        self._half_lot = 0.0
        self._own_in_book = config.book_shows_own_orders
        # Our orders closed (or moved by a modify) that a book stamped before then still shows,
        # dropped once a later book arrives or after _CLOSED_IN_BOOK_MAX_NS.
        self._closed_in_book: list[_ShownUntil] = []
        # The market's last touch per side, (price, size): stands in while a side shows only ours.
        self._market_bid: tuple[float, float] | None = None
        self._market_ask: tuple[float, float] | None = None
        # (ladder, the same with no spread) for the soft exit, rebuilt when `ladder` is replaced.
        self._exit_ladder: tuple[LadderParams, LadderParams] | None = None
        self._tags = [f"L{i + 1}" for i in range(len(config.size_multipliers))]
        self._quote_from_ns = config.quote_from_ns
        self._tolerance_ticks = config.requote_tolerance_ticks
        self._size_tolerance = config.size_tolerance
        self._use_modify = config.use_modify
        self._slots: dict[ClientOrderId, _Slot] = {}
        # Steering from the actors, keyed by source so guards do not overwrite each other.
        self._adjust: dict[str, msg.SpreadAdjust] = {}
        self._spread_mult = 1.0
        self._size_mult = 1.0
        self._max_quotes: int | None = None  # a cap on the quotes per side (the edge probe's)
        # The spread multiplier in force: the actors' product, raised so that L1 pays the edge
        # requirement once a learned adverse-selection estimate replaces the allowance.
        self._quote_mult = 1.0
        self._hold_ns = 0
        self._pauses: dict[str, int] = {}
        self._halts: dict[str, int] = {}
        self._pulled = {True: 0, False: 0}  # is_bid -> until_ns
        self._reduce_only: dict[str, str] = {}  # source -> reason: only the soft exit is quoted
        self._flatten = False
        # The account-wide share (`InventoryCap` from the BudgetGuard); None: only our own limit.
        self._cap: msg.InventoryCap | None = (
            msg.InventoryCap("shared_budget", None, True, "no claim yet") if config.await_inventory_cap else None
        )
        self._exit_order: ClientOrderId | None = None
        # The instrument's net position as the portfolio last gave it; read again only after a
        # position event for the instrument (see `_position`).
        self._net_position = 0.0
        self._net_position_stale = True
        # The re-plan shortcut (see `update_quotes`): inputs and targets of the last plan, and
        # whether that plan sent nothing.
        self._last_inputs: tuple | None = None
        self._last_targets: tuple[list[Quote], list[Quote]] | None = None
        self._last_plan_empty = False
        self._dirty = True  # an order or control event happened since the last ladder update
        self.exit_mode = ExitMode.NONE
        self.vol_bps = 0.0
        self._breaker = self._new_breaker()
        # Why this strategy stopped quoting for good (None while it quotes); the strategy itself keeps
        # running, so that the node goes on with its other instruments.
        self.quoting_stopped: str | None = None
        # When the rejection breaker acted, and what was held at the stop (the report says so).
        self.quoting_stopped_ns = 0
        self.held_at_stop = 0.0
        self.reduce_only_since_ns = 0
        # Counters and journal for reports.
        self.plans = 0  # book events planned on: at most one plan per book event
        self.actions = {"submit": 0, "modify": 0, "cancel": 0}
        cap = config.journal_max_entries
        self.fills: deque[tuple] = deque(maxlen=cap)  # (ts, side, level, px, qty, fee, maker, mid)
        self.mids: deque[tuple[int, float, float]] = deque(maxlen=cap)  # (ts, mid, spread bps)
        self.inventory: deque[tuple[int, float]] = deque(maxlen=cap)
        self.guard_events: deque[msg.GuardEvent] = deque(maxlen=cap)
        self.post_only_rejects = 0
        self._last_journal_ns = 0
        self._journal_ns = config.journal_interval_ms * 1_000_000

    # ------------------------------------------------------------------ lifecycle
    def on_start(self) -> None:
        self._instrument = self.cache.instrument(self.instrument_id)
        if self._instrument is None:
            self.log.error(f"instrument {self.instrument_id} not found: stopping")
            self.stop()
            return
        inst = self._instrument
        min_notional = float(inst.min_notional) if inst.min_notional is not None else 10.0
        self.spec = InstrumentSpec(
            price_precision=inst.price_precision,
            size_precision=inst.size_precision,
            maker_fee=float(inst.maker_fee),
            min_notional=max(min_notional, 10.0),
        )
        self._grid = price_grid(inst.price_precision)
        self._half_lot = 0.5 * 10.0 ** -inst.size_precision
        # The ladder's prices and sizes sit on the grids and repeat from event to event: their
        # Nautilus values (immutable) are made once each (~2-4 µs a make_price/make_qty call).
        self._make_price = lru_cache(maxsize=_VALUE_CACHE_SIZE)(inst.make_price)
        self._make_qty = lru_cache(maxsize=_VALUE_CACHE_SIZE)(inst.make_qty)
        self._ids = OrderIds(
            self.clock.timestamp_ns(), self.trader_id.get_tag(), self.id.get_tag(),
            orders_held=len(self.cache.client_order_ids(strategy_id=self.id)),
            lists_held=len(self.cache.order_lists(strategy_id=self.id)),
        )
        need = min_edge_bps(self.spec, self.ladder)
        if self.config.enforce_fee_edge and self.ladder.base_spread_bps / 2 < need:
            self.log.warning(
                f"L1 half-spread {self.ladder.base_spread_bps / 2:.2f} bps < maker fee + adverse selection "
                f"{need:.2f} bps: levels closer than that will not be quoted",
            )
        self._adopt_open_orders()
        self._net_position_stale = True
        # Every strategy's position events, not only ours: the portfolio's net position sums them all
        # (orders adopted from outside the node open positions of another strategy id).
        self.msgbus.subscribe("events.position.*", self._on_position_event)
        self.msgbus.subscribe(msg.control_topic(str(self.instrument_id)), self._on_control)
        self.msgbus.subscribe(msg.TOPIC_CONTROL_ALL, self._on_control)
        self.msgbus.subscribe(msg.TOPIC_GUARD, self._on_guard_event)
        self.msgbus.publish(msg.TOPIC_CONTROLS_REQUEST, msg.ControlsRequest(str(self.instrument_id)))
        self.subscribe_order_book_deltas(self.instrument_id, book_type=BookType.L2_MBP)

    def _adopt_open_orders(self) -> None:
        """Take over the open orders of this strategy the cache holds at start that it did not place in
        this run: orders of an earlier run kept on the exchange (`run_live.py --keep-orders` claims them
        for the strategy, Nautilus's `external_order_claims`) or kept in a Redis cache. Each side's are
        ranked best price first onto the ladder's levels, so the next plan re-quotes them like its own,
        and cancels those past the ladder's depth: the account never holds more than one ladder."""
        adopted = 0
        for is_bid in (True, False):
            side = OrderSide.BUY if is_bid else OrderSide.SELL
            orders = [
                o for o in self.cache.orders_open(instrument_id=self.instrument_id, strategy_id=self.id, side=side)
                if o.client_order_id not in self._slots and o.has_price
            ]
            orders.sort(key=lambda o: float(o.price), reverse=is_bid)
            for level, order in enumerate(orders):
                self._slots[order.client_order_id] = _Slot(
                    is_bid, level, float(order.price), float(order.quantity), False, order.ts_last,
                )
            adopted += len(orders)
        if adopted:
            self.log.warning(f"adopted {adopted} open orders of an earlier run: re-quoted or cancelled like its own")

    def on_stop(self) -> None:
        if self._instrument is not None:
            self.cancel_all_orders(self.instrument_id)

    # ------------------------------------------------------------------ market data
    def on_order_book_deltas(self, deltas: OrderBookDeltas) -> None:
        # One exchange event may arrive as several deltas: act once, on the last.
        if not deltas.flags & _F_LAST:
            return
        self.update_quotes(deltas.ts_init)

    def update_quotes(self, ts_ns: int) -> None:
        """Plan for the book event stamped `ts_ns` (its `ts_init`): recompute the ladder and send
        only the actions needed to get there."""
        if ts_ns < self._quote_from_ns:
            return  # still replaying the book before the start
        if self.quoting_stopped is not None:
            self._journal_while_stopped(ts_ns)
            return
        spec = self.spec
        if spec is None:
            return
        book = self.cache.order_book(self.instrument_id)
        if book is None:
            return
        bid_px = book.best_bid_price()
        ask_px = book.best_ask_price()
        if bid_px is None or ask_px is None:
            return
        bid = float(bid_px)
        ask = float(ask_px)
        bid_size = float(book.best_bid_size())
        ask_size = float(book.best_ask_size())
        # The book's own touch bounds the post-only prices (our orders in it too: a bid must not
        # cross our own ask); the market's touch is what the fair price and the urgency read.
        book_bid, book_ask = bid, ask
        if self._own_in_book:
            touch = self._market_touch(book, bid, bid_size, ask, ask_size)
            if touch is None:
                return  # a side shows only our own orders and the market has shown no price there yet
            bid, bid_size, ask, ask_size = touch
        if ask <= bid:
            return  # crossed/locked book mid-update: wait for a consistent one
        self.plans += 1
        fair = fair_price(bid, bid_size, ask, ask_size, self._fair_kind)
        # Read once per event (the portfolio sums the instrument's positions on every call).
        position = self._position()
        if self.config.record_journal and ts_ns - self._last_journal_ns >= self._journal_ns:
            self._journal(ts_ns, bid, ask, position)
        if (self._pauses or self._halts) and self._blocked(ts_ns):
            self._cancel_where(lambda s: True)
            if self._flatten and self.skew.hard_exit_enabled:
                self._hard_exit(fair)
            return

        pulled = self._pulled
        q = position * fair / self.max_inventory_usd
        mode = exit_mode(q, self.skew, kill_switch=self._flatten)
        if self._reduce_only and mode is ExitMode.NONE:
            if _BREAKER_HOLD in self._reduce_only and abs(position) * fair < spec.min_notional * _DUST_CUSHION:
                # Flat, or dust no order may be placed for (under the exchange's minimum value, priced
                # where the exit quotes: up to a tick inside the touch, so with a cushion over fair).
                left = f" ({position:+g} left, under the ${spec.min_notional:g} minimum)" if position else ""
                self.stop_quoting(f"{self._reduce_only[_BREAKER_HOLD]}; nothing left to reduce{left}", guard=_BREAKER)
                return
            # A ReduceOnly in force (capital, the edge stand-down, the shared budget, the breaker's margin
            # trip): no adding side, the reducing side as a maker at the touch (nothing when flat).
            mode = ExitMode.SOFT
        # The shortcut is exact: it is only taken when the full re-plan provably sends nothing.
        # Preconditions: the last plan sent nothing, and since then no order or control event
        # (`_dirty`; a vol-only update is one of the inputs instead), so our resting orders, the
        # steering and the parameters are as they were; and
        # no minimum quote lifetime in force (it depends on the clock). Then
        #  (1) identical inputs (fair, touch, position, pulls, exit mode, vol) give identical targets, and
        #  (2) identical targets give the same plan as last time: nothing.
        # Anything else (e.g. a level crossing the fee-edge threshold) goes through the full plan.
        inputs = (fair, bid, ask, book_bid, book_ask, position, pulled[True] > ts_ns, pulled[False] > ts_ns, mode,
                  self.vol_bps)
        eligible = self._last_plan_empty and not self._dirty and not self._hold_ns
        if eligible and inputs == self._last_inputs:
            return
        self._last_inputs = inputs
        self._dirty = False
        if (mode is _SOFT) is not (self.exit_mode is _SOFT) and self._slots:
            # Into or out of the soft exit: its orders are reduce-only, the ladder's are not, and a
            # modify keeps an order's flag. Cancelled here, re-placed with the right flag once settled.
            self.exit_mode = mode
            self._last_plan_empty = False
            self._cancel_where(lambda s: True)
            return
        self.exit_mode = mode
        if mode is ExitMode.HARD:
            self._last_plan_empty = False
            self._cancel_where(lambda s: True)
            self._hard_exit(fair)
            return

        # Our resting orders per side, gathered once for the targets' edge hysteresis and the plan.
        bid_slots: list[tuple[ClientOrderId, _Slot]] = []
        ask_slots: list[tuple[ClientOrderId, _Slot]] = []
        for item in self._slots.items():
            (bid_slots if item[1].is_bid else ask_slots).append(item)
        targets = self._targets(ts_ns, fair, bid, ask, book_bid, book_ask, position, q, bid_slots, ask_slots)
        if eligible and targets == self._last_targets:
            return
        self._last_targets = targets
        cancels: list[tuple[Order, _Slot]] = []
        modifies: list[tuple[Order, _Slot, float, float]] = []
        places: list[tuple[bool, Step]] = []
        sent = (self._apply(True, bid_slots, targets[0], ts_ns, places, cancels, modifies)
                + self._apply(False, ask_slots, targets[1], ts_ns, places, cancels, modifies))
        self._last_plan_empty = sent == 0
        if cancels:
            self.actions["cancel"] += len(cancels)
            if not self.config.batch_actions:
                for order, _ in cancels:
                    self.cancel_order(order)
            elif len(cancels) == 1:
                self.cancel_order(cancels[0][0])
            else:
                # Most urgent first: a quote the market now trades through (a bid at or above the best
                # ask, an ask at or below the best bid) is the one that can fill against us.
                self.cancel_orders([c[0] for c in urgent_first(cancels, _side_and_price, bid, ask)])
        if modifies:
            make_qty, make_price = self._make_qty, self._make_price
            self.actions["modify"] += len(modifies)
            for order, slot, size, price in modifies:
                slot.to_price, slot.to_size = price, size
                self.modify_order(order, quantity=make_qty(size), price=make_price(price))
        # The new orders are made only now: their creation (Nautilus's order factory: ~15 µs each back
        # to back, 40–220 after a pause, bench/order_path.py) would otherwise delay the event's first
        # command, the most urgent one.
        self._submit([self._new_order(is_bid, step, ts_ns) for is_bid, step in places])

    def _journal(self, ts_ns: int, bid: float, ask: float, position: float) -> None:
        self._last_journal_ns = ts_ns
        mid = (bid + ask) / 2.0
        self.mids.append((ts_ns, mid, (ask - bid) / mid * 1e4))
        self.inventory.append((ts_ns, position))

    def _journal_while_stopped(self, ts_ns: int) -> None:
        """Stopped for good, the market and what is held are still journaled: a report marks the
        position left at the stop to the market of the run's end, not to the mid of the stop."""
        if not self.config.record_journal or ts_ns - self._last_journal_ns < self._journal_ns:
            return
        book = self.cache.order_book(self.instrument_id)
        bid_px = book.best_bid_price() if book is not None else None
        ask_px = book.best_ask_price() if book is not None else None
        if bid_px is not None and ask_px is not None and ask_px > bid_px:
            self._journal(ts_ns, float(bid_px), float(ask_px), self._position())

    def _market_touch(
        self, book: OrderBook, bid: float, bid_size: float, ask: float, ask_size: float,
    ) -> tuple[float, float, float, float] | None:
        """The book's touch with our own orders taken out (quoting/market_touch.py). Only a side whose
        best price is one of ours is looked at again (`_own_in_book_side`). A side that shows only
        ours takes the market's last touch there; None when there has been none yet."""
        closed = self._closed_in_book
        if closed:
            stamped, oldest = book.ts_last, self.clock.timestamp_ns() - _CLOSED_IN_BOOK_MAX_NS
            closed[:] = [c for c in closed if c.close_ns > stamped and c.noted_ns > oldest]
        half_tick = 0.5 * self._grid.step(bid)
        at_bid = at_ask = False
        for slot in self._slots.values():
            if slot.is_bid:
                at_bid = at_bid or abs(slot.price - bid) <= half_tick or abs(slot.to_price - bid) <= half_tick
            else:
                at_ask = at_ask or abs(slot.price - ask) <= half_tick or abs(slot.to_price - ask) <= half_tick
        for c in closed:
            if c.is_bid:
                at_bid = at_bid or abs(c.price - bid) <= half_tick
            else:
                at_ask = at_ask or abs(c.price - ask) <= half_tick
        market_bid = self._side_touch(book, True, half_tick) if at_bid else (bid, bid_size)
        market_ask = self._side_touch(book, False, half_tick) if at_ask else (ask, ask_size)
        market_bid = self._market_bid = market_bid or self._market_bid
        market_ask = self._market_ask = market_ask or self._market_ask
        if market_bid is None or market_ask is None:
            return None
        return market_bid[0], market_bid[1], market_ask[0], market_ask[1]

    def _side_touch(self, book: OrderBook, is_bid: bool, half_tick: float) -> tuple[float, float] | None:
        own = self._own_in_book_side(is_bid)
        spec = self.spec
        levels = _levels_near_touch(book, is_bid, own, half_tick, spec.price_precision, spec.size_precision)
        return market_touch(levels, own, half_tick, self._half_lot)

    def _own_in_book_side(self, is_bid: bool) -> list[tuple[float, float]]:
        """Our orders of one side the exchange's book may show, as (price, size): the open ones; a
        new order on its way and a modify's replacement (the book may show them before the reply);
        and those closed or moved after the book was stamped (`_closed_in_book`)."""
        own, open_ids = [], set()
        for o in self.cache.orders_open(instrument_id=self.instrument_id, strategy_id=self.id,
                                        side=_BUY if is_bid else _SELL):
            if o.has_price:
                own.append((float(o.price), float(o.leaves_qty)))
                open_ids.add(o.client_order_id)
        for cid, slot in self._slots.items():
            if slot.is_bid is is_bid:
                if slot.to_price:
                    own.append((slot.to_price, slot.to_size))
                elif slot.busy and cid not in open_ids:
                    own.append((slot.price, slot.size))
        own += [(c.price, c.size) for c in self._closed_in_book if c.is_bid is is_bid]
        return own

    def _submit(self, new_orders: list) -> None:
        """The event's new orders of both sides as one command: one `order` action on the wire (the
        adapter sends a batch), and one pass through Nautilus's order path instead of one per side."""
        if not new_orders:
            return
        self.actions["submit"] += len(new_orders)
        if len(new_orders) == 1:
            self.submit_order(new_orders[0])
        else:
            self.submit_order_list(BriefOrderList(self._ids.next_list(), new_orders))

    def _targets(
        self, ts_ns: int, fair: float, bid: float, ask: float, book_bid: float, book_ask: float, position: float,
        q: float, bid_slots: list[tuple[ClientOrderId, _Slot]], ask_slots: list[tuple[ClientOrderId, _Slot]],
    ) -> tuple[list[Quote], list[Quote]]:
        """The ladders to quote. `bid`/`ask`: the market's touch (the soft exit starts there);
        `book_bid`/`book_ask`: the book's, our orders in it (no post-only price may cross them)."""
        spec = self.spec
        ladder = self.ladder
        pulled = self._pulled
        pull_bids = pulled[True] > ts_ns
        pull_asks = pulled[False] > ts_ns
        max_qty = self.max_inventory_usd / fair
        bid_room, ask_room = max(0.0, max_qty - position), max(0.0, max_qty + position)
        cap = self._cap
        if cap is not None and (cap.reduce_only or cap.max_abs_usd is not None):
            # The shared cap only ever narrows what our own limit allows.
            shared_bid, shared_ask = side_capacities(position, fair, cap.max_abs_usd or 0.0, cap.reduce_only)
            bid_room, ask_room = min(bid_room, shared_bid), min(ask_room, shared_ask)
        bids: list[Quote] = []
        asks: list[Quote] = []
        if self.exit_mode is ExitMode.SOFT:
            # Exit as a maker: drop the adding side, start the reducing side at (or inside) the touch.
            if position == 0:
                return [], []
            is_bid, anchor = soft_exit_anchor(q, bid, ask, self._grid.step(fair))
            cached = self._exit_ladder
            if cached is None or cached[0] is not ladder:
                cached = self._exit_ladder = (ladder, replace(ladder, base_spread_bps=0.0))
            side = build_side(
                is_bid=is_bid, anchor=anchor, fair=fair, best_bid=book_bid, best_ask=book_ask, spec=spec,
                params=cached[1], capacity=abs(position), enforce_edge=False, max_quotes=self._max_quotes,
            )
            if is_bid:
                bids = side
            else:
                asks = side
        else:
            enforce = self.config.enforce_fee_edge
            r = reservation_price(fair, q, self.skew, self.vol_bps)
            bid_f, ask_f = side_size_factors(q)
            # A pulled side is not quoted: no need to build it. The levels with an order resting on a
            # side are those the edge check's hysteresis keeps.
            if not pull_bids:
                bids = build_side(
                    is_bid=True, anchor=r, fair=fair, best_bid=book_bid, best_ask=book_ask, spec=spec, params=ladder,
                    spread_mult=self._quote_mult, size_mult=self._size_mult * bid_f,
                    capacity=bid_room, enforce_edge=enforce, quoted={s.level for _, s in bid_slots},
                    max_quotes=self._max_quotes,
                )
            if not pull_asks:
                asks = build_side(
                    is_bid=False, anchor=r, fair=fair, best_bid=book_bid, best_ask=book_ask, spec=spec, params=ladder,
                    spread_mult=self._quote_mult, size_mult=self._size_mult * ask_f,
                    capacity=ask_room, enforce_edge=enforce, quoted={s.level for _, s in ask_slots},
                    max_quotes=self._max_quotes,
                )
        if pull_bids:
            bids = []
        if pull_asks:
            asks = []
        return bids, asks

    def _apply(
        self, is_bid: bool, slots: list[tuple[ClientOrderId, _Slot]], targets: list[Quote], ts_ns: int,
        places: list[tuple[bool, Step]], cancels: list[tuple[Order, _Slot]],
        modifies: list[tuple[Order, _Slot, float, float]],
    ) -> int:
        """Plan one side (`slots`: its resting orders) onto `targets`: add its placements, as
        (is_bid, step), its cancels and its modifies to those lists, the orders concerned marked
        busy; the caller issues them. Returns how many steps the plan had (0 = nothing to do)."""
        if not slots and not targets:
            return 0
        hold = self._hold_ns
        if hold > 0:
            held_levels = {q.level for q in targets}
            resting = [
                Resting(s.level, s.price, s.size, cid, s.busy or (ts_ns - s.ts_ns < hold and s.level in held_levels))
                for cid, s in slots
            ]
        else:
            resting = [Resting(s.level, s.price, s.size, cid, s.busy) for cid, s in slots]
        steps = plan_side(
            targets, resting, self._grid.step(targets[0].price if targets else 1.0),
            self._tolerance_ticks, self._size_tolerance, self._use_modify,
        )
        cache, own = self.cache, self._slots
        for step in steps:
            action = step.action
            if action is _PLACE:
                places.append((is_bid, step))
                continue
            order = cache.order(step.ref)
            if action is _MODIFY:
                if order is None or not order.is_open:
                    continue
                slot = own[step.ref]
                slot.busy = True
                modifies.append((order, slot, step.size, step.price))
            else:
                slot = own.get(step.ref)
                if slot is None or order is None or not order.is_open or order.is_pending_cancel:
                    continue
                slot.busy = True
                cancels.append((order, slot))
        return len(steps)

    def _new_order(self, is_bid: bool, step: Step, ts_ns: int) -> Order:
        """The post-only order of a PLACE step, its slot taken (in flight until accepted). In the soft
        exit it is reduce-only too: it can never flip the position, and an order needs the flag to
        be spared the margin check (hlsim margins a reducing order sent without it, and refused a
        margin-tripped account's exit orders)."""
        order = self.order_factory.limit(
            instrument_id=self.instrument_id,
            order_side=_BUY if is_bid else _SELL,
            quantity=self._make_qty(step.size),
            price=self._make_price(step.price),
            time_in_force=_GTC,
            post_only=True,
            reduce_only=self.exit_mode is _SOFT,
            tags=[self._tag(step.level)],
            client_order_id=self._ids.next_order(),
        )
        self._slots[order.client_order_id] = _Slot(is_bid, step.level, step.price, step.size, True, ts_ns)
        return order

    def _tag(self, level: int) -> str:
        tags = self._tags
        return tags[level] if level < len(tags) else f"L{level + 1}"

    # ------------------------------------------------------------------ order actions
    def _cancel_where(self, pred) -> None:
        """Cancel every matching order; several at once go as one batch (one request on the wire)."""
        orders = []
        for cid, slot in self._slots.items():
            if not pred(slot):
                continue
            order = self.cache.order(cid)
            if order is None or not order.is_open or order.is_pending_cancel:
                continue
            slot.busy = True
            orders.append(order)
        if not orders:
            return
        self.actions["cancel"] += len(orders)
        if len(orders) == 1:
            self.cancel_order(orders[0])
        else:
            self.cancel_orders(orders)

    def _hard_exit(self, fair: float) -> None:
        """Reduce-only taker exit: the last resort, only reached when enabled."""
        position = self._position()
        if position == 0 or self._exit_order is not None:
            return
        # An IOC limit through the book, not a MARKET order: Hyperliquid has no market orders (the
        # adapter rejects them); like the SDK's `market_open`, the limit sits a slippage cap past fair.
        sell = position > 0
        grid = self._grid
        px = grid.bid(fair * (1.0 - _HARD_EXIT_SLIPPAGE)) if sell else grid.ask(fair * (1.0 + _HARD_EXIT_SLIPPAGE))
        order = self.order_factory.limit(
            instrument_id=self.instrument_id,
            order_side=OrderSide.SELL if sell else OrderSide.BUY,
            quantity=self._instrument.make_qty(abs(position)),
            price=self._instrument.make_price(px),
            time_in_force=TimeInForce.IOC,
            reduce_only=True,
            tags=["EXIT"],
            client_order_id=self._ids.next_order(),
        )
        self._exit_order = order.client_order_id
        self.actions["submit"] += 1
        self.log.warning(f"hard exit: reduce-only taker order for {abs(position)}")
        self.submit_order(order)

    def _position(self) -> float:
        """The portfolio's net position of the instrument. The portfolio changes it only when it handles
        a position event (its handler runs before ours: a higher priority), so it is read once after each
        such event instead of on every book event (~15 µs a read on the hot path, cold)."""
        if self._net_position_stale:
            self._net_position = float(self.portfolio.net_position(self.instrument_id))
            self._net_position_stale = False
        return self._net_position

    def _on_position_event(self, event: PositionEvent) -> None:
        if event.instrument_id == self.instrument_id:
            self._net_position_stale = True

    def _blocked(self, ts_ns: int) -> bool:
        for d in (self._pauses, self._halts):
            if d:
                for src, until in list(d.items()):
                    if until <= ts_ns:
                        del d[src]
                if d:
                    return True
        return False

    # ------------------------------------------------------------------ order events
    def on_order_accepted(self, event) -> None:
        self._dirty = True
        slot = self._slots.get(event.client_order_id)
        if slot is not None:
            slot.busy = False
            slot.ts_ns = event.ts_event

    def on_order_updated(self, event) -> None:
        self._dirty = True
        slot = self._slots.get(event.client_order_id)
        if slot is not None:
            self._shown_until(slot.is_bid, slot.price, slot.size, event.ts_event)  # its place before the modify
            slot.to_price = slot.to_size = 0.0
            slot.price = float(event.price)
            slot.size = float(event.quantity)
            slot.busy = False
            slot.ts_ns = event.ts_event

    def on_order_modify_rejected(self, event) -> None:
        self._release(event.client_order_id)
        self._count_rejection(event.reason, event.ts_init)

    def on_order_cancel_rejected(self, event) -> None:
        self._release(event.client_order_id)

    def _release(self, cid: ClientOrderId) -> None:
        self._dirty = True
        slot = self._slots.get(cid)
        if slot is None:
            return
        slot.to_price = slot.to_size = 0.0
        order = self.cache.order(cid)
        if order is None or order.is_closed:
            self._slots.pop(cid, None)
        else:
            slot.busy = False

    def on_order_rejected(self, event) -> None:
        self._dirty = True
        # The flag, not the text: a `badAloPxRejected` status carries no "post" in its reason.
        if event.due_post_only:
            self.post_only_rejects += 1
        self._slots.pop(event.client_order_id, None)
        if event.client_order_id == self._exit_order:
            self._exit_order = None
        if not event.due_post_only and (_BREAKER_HOLD not in self._reduce_only or self._is_reduce_only(event)):
            # After a margin trip only the exit's orders count: the rest of the list refused with
            # the trip's last rejection would otherwise trip the re-armed breaker at once.
            self._count_rejection(event.reason, event.ts_init)

    def _is_reduce_only(self, event) -> bool:
        order = self.cache.order(event.client_order_id)
        return order is not None and order.is_reduce_only

    def _new_breaker(self) -> RejectionBreaker:
        return RejectionBreaker(self.config.rejection_breaker_count, self.config.rejection_breaker_window_secs)

    def _count_rejection(self, reason: str, ts_ns: int) -> None:
        # Counted on the event's own time: the same in a backtest as live.
        trip = self._breaker.on_rejected(reason, ts_ns)
        if trip is None:
            return
        if trip.reducing_cures and _BREAKER_HOLD not in self._reduce_only:
            self._reduce_only_for_good(trip.describe())
            # Counted afresh, the exit's own orders only (`on_order_rejected`): if they are refused
            # too, whatever the reason, the next trip stops.
            self._breaker = self._new_breaker()
        else:
            self.stop_quoting(trip.describe(), guard=_BREAKER)

    def _reduce_only_for_good(self, reason: str) -> None:
        """The account cannot margin what the ladder adds: add nothing more, and work off what is held
        as a maker (the soft exit), which frees margin; once flat, stop for good (`update_quotes`).
        Stopping at once would leave the position unmanaged (review 7: a $20 account tripped holding
        4.75x its value, for the rest of the run)."""
        if _BREAKER_HOLD in self._reduce_only:
            return
        self._reduce_only[_BREAKER_HOLD] = reason
        self.reduce_only_since_ns = self._cancel_all_saying("reduce-only for the rest of the run", reason, _BREAKER)

    def _cancel_all_saying(self, what: str, reason: str, guard: str) -> int:
        """Cancel every order and say why (an error line and a guard event); returns the time."""
        self._dirty = True
        self._cancel_where(lambda s: True)
        now = self.clock.timestamp_ns()
        self.log.error(f"{self.instrument_id}: {what}: {reason}")
        self.msgbus.publish(msg.TOPIC_GUARD, msg.GuardEvent("MarketMaker", guard, reason, now, str(self.instrument_id)))
        return now

    def stop_quoting(self, reason: str, guard: str) -> None:
        """Stop quoting this instrument for good: cancel every order, say why (log, guard event) and tell
        the runner (`QuotingStopped`), which ends the run once no instrument can trade."""
        if self.quoting_stopped is not None:
            return
        self.quoting_stopped = reason
        now = self.quoting_stopped_ns = self._cancel_all_saying("stopped quoting", reason, guard)
        self.held_at_stop = self._position()
        instrument = str(self.instrument_id)
        self.msgbus.publish(msg.TOPIC_QUOTING_STOPPED, msg.QuotingStopped(instrument, reason, now))

    def on_order_denied(self, event) -> None:
        # Refused inside Nautilus (risk engine: rate limit, trading state): never reached the
        # venue, so the level is free again; without this it would stay "in flight" forever.
        self._dirty = True
        self._slots.pop(event.client_order_id, None)
        if event.client_order_id == self._exit_order:
            self._exit_order = None

    def on_order_canceled(self, event) -> None:
        self._dirty = True
        self._note_closed_in_book(self._slots.pop(event.client_order_id, None), event)

    def on_order_expired(self, event) -> None:
        self._dirty = True
        self._note_closed_in_book(self._slots.pop(event.client_order_id, None), event)

    def _note_closed_in_book(self, slot: _Slot | None, event) -> None:
        if slot is None or not self._own_in_book:
            return
        order = self.cache.order(event.client_order_id)
        if order is None or order.venue_order_id is None or not order.has_price:
            return  # never reached the book
        self._shown_until(slot.is_bid, float(order.price), float(order.quantity - order.filled_qty), event.ts_event)

    def _shown_until(self, is_bid: bool, price: float, size: float, close_ns: int) -> None:
        """A book stamped before `close_ns` still shows our order at `price` (closed or moved since)."""
        if self._own_in_book:
            self._closed_in_book.append(_ShownUntil(is_bid, price, size, close_ns, self.clock.timestamp_ns()))

    def on_order_filled(self, event) -> None:
        self._dirty = True
        cid = event.client_order_id
        slot = self._slots.get(cid)
        order = self.cache.order(cid)
        if order is not None and order.is_closed:
            self._slots.pop(cid, None)
        if cid == self._exit_order and order is not None and order.is_closed:
            self._exit_order = None
        if self.config.record_journal:
            book = self.cache.order_book(self.instrument_id)
            mid = book.midpoint() if book is not None else None
            self.fills.append((
                event.ts_event,
                "BUY" if event.order_side == OrderSide.BUY else "SELL",
                slot.level + 1 if slot is not None else 0,  # 0 = not a ladder order (exit)
                float(event.last_px),
                float(event.last_qty),
                float(event.commission),
                event.liquidity_side.name == "MAKER",
                float(mid) if mid is not None else float(event.last_px),
            ))
            self.inventory.append((event.ts_event, self._position()))

    # ------------------------------------------------------------------ control messages
    def _on_control(self, m: object) -> None:
        """Steering from the actors: change the state and mark the plan dirty; it is planned on at
        the next book event, on that event's `ts_init` (one plan per book event, whichever order
        the actors' book handlers run in). Withdrawals do not wait: Pause, Halt and PullSide cancel
        the affected orders here, as a stall or a halt may mean no book event is coming."""
        if isinstance(m, msg.SpreadAdjust):
            if m.vol_bps is not None:
                self.vol_bps = m.vol_bps  # one of the re-plan shortcut's inputs: no re-arm needed for it
            previous = self._adjust.get(m.source)
            self._adjust[m.source] = m
            if previous is not None and previous.steers_as(m):
                return  # nothing else changed for the ladder (e.g. a periodic vol update)
            self._spread_mult = 1.0
            self._size_mult = 1.0
            tol_mult = 1.0
            hold = 0
            levels = len(self.config.size_multipliers)
            for a in self._adjust.values():
                self._spread_mult *= a.spread_mult
                self._size_mult *= a.size_mult
                tol_mult *= a.tolerance_mult
                hold = max(hold, a.min_quote_lifetime_ms)
                if a.max_levels is not None:
                    levels = min(levels, a.max_levels)
            # The cap counts quotes: levels the fee edge drops do not use it up.
            self._max_quotes = None if levels >= len(self.config.size_multipliers) else levels
            self._hold_ns = hold * 1_000_000
            self._update_quote_mult()
            base = self.config.requote_tolerance_ticks
            # A wider tolerance re-quotes less often; a zero tolerance widens from one tick.
            self._tolerance_ticks = base if tol_mult <= 1.0 else math.ceil(max(base, 1) * tol_mult)
        elif isinstance(m, msg.Pause):
            self._pauses[m.source] = m.until_ns or _FOREVER
            self._cancel_where(lambda s: True)
        elif isinstance(m, msg.AdverseSelection):
            bps = self.config.adverse_selection_bps if m.bps is None else m.bps
            if not (math.isfinite(bps) and bps >= 0):
                self.log.warning(f"adverse-selection estimate {bps!r} from {m.source} refused")
                return
            self.ladder = replace(self.ladder, adverse_selection_bps=bps)
            self._update_quote_mult()
        elif isinstance(m, msg.ReduceOnly):
            self._reduce_only[m.source] = m.reason
        elif isinstance(m, msg.Resume):
            self._pauses.pop(m.source, None)
            self._halts.pop(m.source, None)
            self._reduce_only.pop(m.source, None)
            if not self._halts:
                self._flatten = False
        elif isinstance(m, msg.PullSide):
            is_bid = m.side == "BUY"
            self._pulled[is_bid] = max(self._pulled[is_bid], m.until_ns)
            self._cancel_where(lambda s: s.is_bid == is_bid)
        elif isinstance(m, msg.Halt):
            self._halts[m.source] = m.until_ns or _FOREVER
            self._flatten = self._flatten or m.flatten
            self._cancel_where(lambda s: True)
        elif isinstance(m, msg.ParamsUpdate):
            self._apply_params(m)
        elif isinstance(m, msg.InventoryCap):
            previous = self._cap
            self._cap = m
            if previous is not None and (previous.max_abs_usd, previous.reduce_only) == (m.max_abs_usd, m.reduce_only):
                return  # a renewal: nothing changed for the ladder
            if m.reduce_only:
                # Stop adding now, not at the next book event: cancel each side that would grow |position|
                # (both when flat). A smaller cap re-plans at the next book event instead.
                position = self._position()
                self._cancel_where(lambda s: (s.is_bid and position >= 0) or (not s.is_bid and position <= 0))
        else:
            self.log.warning(f"ignored unknown control message {type(m).__name__}")
            return
        # The re-plan shortcut in `update_quotes` assumes the steering is unchanged since the last
        # plan: any change re-arms a full plan on the next book event.
        self._dirty = True

    def _update_quote_mult(self) -> None:
        """Quote where the spread pays: when a learned adverse selection makes the edge requirement
        wider than L1's half-spread, the ladder moves out to it instead of dropping L1."""
        mult = self._spread_mult
        ladder = self.ladder
        if self.spec is not None and self.config.enforce_fee_edge and ladder.base_spread_bps > 0 \
                and ladder.adverse_selection_bps > self.config.adverse_selection_bps:
            need = min_edge_bps(self.spec, ladder) + ladder.edge_hysteresis_bps
            mult = max(mult, 2.0 * need / ladder.base_spread_bps)
        self._quote_mult = mult

    def _apply_params(self, m: msg.ParamsUpdate) -> None:
        """Apply the valid fields; an invalid one (NaN, ±inf, out of range) is refused with a
        warning and the current value kept (an infinite max inventory would disable the exits)."""
        changes = {}
        refused = []

        def valid(name: str, value: float | None, low: float, inclusive: bool = True) -> bool:
            if value is None:
                return False
            ok = math.isfinite(value) and (value >= low if inclusive else value > low)
            if not ok:
                refused.append(f"{name}={value!r}")
            return ok

        if valid("base_spread_bps", m.base_spread_bps, 0.0):
            changes["base_spread_bps"] = float(m.base_spread_bps)
        if valid("level_spacing_ticks", m.level_spacing_ticks, 1):
            changes["level_spacing_ticks"] = int(m.level_spacing_ticks)
        if valid("order_size_usd", m.order_size_usd, 10.0):
            changes["order_size_usd"] = float(m.order_size_usd)
        max_inventory = self.max_inventory_usd
        if valid("max_inventory_usd", m.max_inventory_usd, 0.0, inclusive=False):
            max_inventory = float(m.max_inventory_usd)
        order_size = changes.get("order_size_usd", self.ladder.order_size_usd)
        if order_size > max_inventory:
            # The same rule as the config's: both stay as they were rather than one being capped by the other.
            refused.append(f"order_size_usd={order_size:g} > max_inventory_usd={max_inventory:g}")
            changes.pop("order_size_usd", None)
            max_inventory = self.max_inventory_usd
        if changes:
            self.ladder = replace(self.ladder, **changes)
            self._update_quote_mult()
        self.max_inventory_usd = max_inventory
        if refused:
            self.log.warning(f"params update from {m.source} refused for {', '.join(refused)}; current values kept")

    def _on_guard_event(self, event: object) -> None:
        if isinstance(event, msg.GuardEvent):
            self.guard_events.append(event)

    # ------------------------------------------------------------------ introspection
    def is_quoting_blocked(self) -> bool:
        return self._blocked(self.clock.timestamp_ns())

    @property
    def flattening(self) -> bool:
        """A halt in force asked for the position to be flattened (with the hard exit enabled)."""
        return self._flatten

    @property
    def shared_cap(self) -> msg.InventoryCap | None:
        """The account-wide share the BudgetGuard last gave this instrument (None: no shared budget)."""
        return self._cap

    def resting_orders(self) -> list[tuple[str, int, float, float]]:
        """(side, level, price, size) of every order the strategy holds, best levels first."""
        return sorted(
            ("BUY" if s.is_bid else "SELL", s.level + 1, s.price, s.size) for s in self._slots.values()
        )

    @property
    def reduce_only(self) -> bool:
        return bool(self._reduce_only)

    @property
    def reduce_only_for_good(self) -> str | None:
        """Why the rejection breaker left only the reducing side quoted, for the rest of the run."""
        return self._reduce_only.get(_BREAKER_HOLD)

    @property
    def breaker_state(self) -> str | None:
        """What the rejection breaker holds this instrument to, for an operator: "stopped: <why>" or
        "reduce-only: <why>"; None while it has not tripped."""
        if self.quoting_stopped is not None:
            return f"stopped: {self.quoting_stopped}"
        reason = self.reduce_only_for_good
        return None if reason is None else f"reduce-only: {reason}"

    @property
    def tolerance_ticks(self) -> int:
        return self._tolerance_ticks

    @property
    def spread_mult(self) -> float:
        return self._spread_mult

    @property
    def spread_adjustments(self) -> dict[str, float]:
        """The spread multiplier each source currently asks for."""
        return {src: a.spread_mult for src, a in self._adjust.items()}
