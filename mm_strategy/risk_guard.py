"""`RiskGuard`: the fast-plane kill switches, a thin Nautilus Actor over `mm_strategy.signals`
and `mm_strategy.risk`. It never sends orders: it tells the strategy through the message bus.

- micro-volatility: the mid moved > X bps within Y ms → pause all quotes for a cool-down;
- order-flow imbalance (CKS, from bbo quotes when the feed has them, else from the book's top)
  and trade-flow imbalance: strongly
  negative → pull bids at once, strongly positive → pull asks;
- venue halt / market-data stall from the adapter → halt; venue resume → resume; market data
  resumed (the adapter's `MarketDataResumed`) → resume the stalled instruments;
- capital at risk across instruments (total inventory, assets holding inventory) → reduce-only:
  nothing that adds, the maker soft exit on the reducing side, until back under the limits;
- the daily drawdown cap → cancel everything and halt until the next UTC midnight, saying so
  (optionally flatten).
Every firing is also published as a `GuardEvent` with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from pathlib import Path

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig
from nautilus_trader.model.currencies import Currency
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import AggressorSide
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Venue

from adapters.hyperliquid import types as ve
from mm_strategy import messages as msg
from mm_strategy.risk.capital import CapitalAtRisk
from mm_strategy.risk.capital import CapitalLimits
from mm_strategy.risk.day_state import DayState
from mm_strategy.risk.day_state import DayStateError
from mm_strategy.risk.day_state import load_day_state
from mm_strategy.risk.day_state import save_day_state
from mm_strategy.risk.drawdown import NS_PER_DAY
from mm_strategy.risk.drawdown import DailyDrawdown
from mm_strategy.risk.marks import unrealized_at_mid
from mm_strategy.signals.flow import MicroMoveDetector
from mm_strategy.signals.flow import OrderFlowImbalance
from mm_strategy.signals.flow import TradeFlowImbalance

_F_LAST = int(RecordFlag.F_LAST)
_MS = 1_000_000
_BUYER = AggressorSide.BUYER
_CAPITAL_TIMER = "RiskGuard.capital_check"
_FOREVER = 2**63 - 1  # a halt no time lifts


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


class RiskGuardConfig(ActorConfig, frozen=True):
    instrument_ids: tuple[str, ...]
    micro_move_bps: float = 8.0
    micro_move_window_ms: int = 500
    micro_cooldown_ms: int = 5_000
    ofi_window_ms: int = 2_000
    ofi_threshold: float = 0.8  # |normalized OFI| in [0, 1]
    ofi_min_events: int = 10
    tfi_window_ms: int = 2_000
    tfi_threshold: float = 0.9
    tfi_min_trades: int = 5
    pull_ms: int = 2_000
    daily_drawdown_cap: float = 0.05  # of the equity at the UTC day start
    flatten_on_breach: bool = False
    max_concurrent_assets: int = 5
    max_total_inventory_usd: float = 5_000.0
    capital_release_fraction: float = 0.8  # reduce-only ends below this share of the inventory limit
    check_interval_ms: int = 1_000
    # Where the daily loss cap keeps its day (mm_strategy/risk/day_state.py): the day-start equity and
    # a drawdown halt then hold across a restart. None: each start begins the day from the equity of now.
    day_state_file: str | None = None
    venue: str = "HYPERLIQUID"
    settlement_currency: str = "USDC"


@dataclass(frozen=True, slots=True)
class DaySummary:
    pnl: float  # equity now less the day's start equity
    start_equity: float
    loss_cap: float  # USDC: the cap's fraction of the start equity


class _InstrumentState:
    __slots__ = ("micro", "micro_until", "mid", "ofi", "ofi_from_quotes", "pulled_until", "tfi")

    def __init__(self, cfg: RiskGuardConfig) -> None:
        self.micro = MicroMoveDetector(cfg.micro_move_window_ms * _MS, cfg.micro_move_bps)
        self.ofi = OrderFlowImbalance(cfg.ofi_window_ms * _MS, cfg.ofi_min_events)
        self.tfi = TradeFlowImbalance(cfg.tfi_window_ms * _MS, cfg.tfi_min_trades)
        self.micro_until = 0
        self.ofi_from_quotes = False  # set once bbo quotes arrive: then OFI follows them, not the book
        self.pulled_until = {"BUY": 0, "SELL": 0}
        self.mid = 0.0


class RiskGuard(Actor):
    def __init__(self, config: RiskGuardConfig) -> None:
        super().__init__(config)
        if not config.instrument_ids:
            raise ValueError("RiskGuardConfig.instrument_ids must not be empty")
        self.instrument_ids = [InstrumentId.from_str(i) for i in config.instrument_ids]
        self._state = {iid: _InstrumentState(config) for iid in self.instrument_ids}
        cap = config.daily_drawdown_cap
        if not 0 < cap < 1:  # said here in the config's words: DailyDrawdown's own check names its argument
            raise ValueError(f"daily_drawdown_cap must be in (0, 1), got {cap:g}")
        self.drawdown = DailyDrawdown(cap)
        self.capital = CapitalAtRisk(CapitalLimits(config.max_concurrent_assets, config.max_total_inventory_usd))
        if config.check_interval_ms <= 0:
            raise ValueError("RiskGuardConfig.check_interval_ms must be > 0")
        if not 0 < config.capital_release_fraction <= 1:
            raise ValueError(f"capital_release_fraction must be in (0, 1], got {config.capital_release_fraction}")
        self._halted_until = 0
        self._halt_reason = ""
        self._halt_flattens = False  # the halt in force asks to flatten too (sent again with it)
        self._day_state_path = Path(config.day_state_file).expanduser() if config.day_state_file else None
        self._day_restored = False
        self._reduce_only = False  # a capital breach in force
        self.firings: dict[str, int] = {}
        # Read on every tick: plain attributes instead of config lookups.
        self._ofi_threshold = config.ofi_threshold
        self._tfi_threshold = config.tfi_threshold
        self._venue = Venue(config.venue)
        self._settlement = Currency.from_str(config.settlement_currency)

    def on_start(self) -> None:
        self._restore_day(self.clock.timestamp_ns())
        for iid in self.instrument_ids:
            self.subscribe_order_book_deltas(iid, book_type=BookType.L2_MBP)
            self.subscribe_trade_ticks(iid)
            self.subscribe_quote_ticks(iid)
        self.msgbus.subscribe(ve.TOPIC_VENUE_HALT, self._on_venue_halt)
        self.msgbus.subscribe(ve.TOPIC_VENUE_RESUME, self._on_venue_resume)
        self.msgbus.subscribe(ve.TOPIC_MARKET_DATA_STALL, self._on_stall)
        self.msgbus.subscribe(ve.TOPIC_MARKET_DATA_RESUMED, self._on_market_data_resumed)
        self.msgbus.subscribe(ve.TOPIC_POSITION_MISMATCH, self._on_position_mismatch)
        self.msgbus.subscribe(msg.TOPIC_CONTROLS_REQUEST, self._on_controls_request)
        # Capital and drawdown on their own cadence, not inside a book event: the book handlers
        # stay on the path from a book update to the strategy's orders, this check does not.
        self.clock.set_timer(
            _CAPITAL_TIMER, timedelta(milliseconds=self.config.check_interval_ms), callback=self._on_capital_timer,
        )

    def on_stop(self) -> None:
        if _CAPITAL_TIMER in self.clock.timer_names:
            self.clock.cancel_timer(_CAPITAL_TIMER)

    def _on_capital_timer(self, event) -> None:
        self.check_capital(event.ts_event)

    # ------------------------------------------------------------------ market data
    def on_order_book_deltas(self, deltas: OrderBookDeltas) -> None:
        if not deltas.flags & _F_LAST:
            return
        iid = deltas.instrument_id
        st = self._state.get(iid)
        book = self.cache.order_book(iid)
        if st is None or book is None:
            return
        bid_px = book.best_bid_price()
        ask_px = book.best_ask_price()
        if bid_px is None or ask_px is None:
            return
        ts = deltas.ts_init
        bid = float(bid_px)
        ask = float(ask_px)
        first_mid = st.mid == 0.0
        st.mid = (bid + ask) / 2.0
        if first_mid:
            # The loss cap and the capital limits before the strategy's first quote of this coin (its
            # handler runs after this one): a node restarted past its cap, or holding more than the
            # limits allow, must not send a ladder first and halt a timer tick later.
            self.check_capital(ts)
        move = st.micro.update(ts, st.mid)
        if move is not None and ts >= st.micro_until:
            st.micro_until = ts + self.config.micro_cooldown_ms * _MS
            reason = f"mid moved {move:+.1f} bps within {self.config.micro_move_window_ms} ms"
            self._fire("micro_vol", reason, iid, ts)
            self.msgbus.publish(msg.control_topic(str(iid)), msg.Pause("micro_vol", reason, st.micro_until))
        if not st.ofi_from_quotes:
            st.ofi.update(ts, bid, float(book.best_bid_size()), ask, float(book.best_ask_size()))
            self._check_ofi(st, iid, ts)

    def on_quote_tick(self, tick: QuoteTick) -> None:
        # Hyperliquid's bbo channel updates every block the touch changes: finer than l2Book snapshots.
        iid = tick.instrument_id
        st = self._state.get(iid)
        if st is None:
            return
        if not st.ofi_from_quotes:
            # Switch sources cleanly: book-derived increments are coarser and must not mix in.
            st.ofi_from_quotes = True
            st.ofi = OrderFlowImbalance(self.config.ofi_window_ms * _MS, self.config.ofi_min_events)
        ts = tick.ts_init
        ofi = st.ofi
        ofi.update(ts, float(tick.bid_price), float(tick.bid_size), float(tick.ask_price), float(tick.ask_size))
        # `_check_ofi` inlined: this is the RiskGuard's most frequent handler.
        value = ofi.value()
        if value is not None and abs(value) >= self._ofi_threshold:
            side = "BUY" if value < 0 else "SELL"
            if ts >= st.pulled_until[side]:  # else already pulled: skip formatting the reason
                self._pull(st, iid, ts, side, "ofi", f"order-flow imbalance {value:+.2f}")

    def _check_ofi(self, st: _InstrumentState, iid: InstrumentId, ts: int) -> None:
        ofi = st.ofi.value()
        if ofi is not None and abs(ofi) >= self._ofi_threshold:
            side = "BUY" if ofi < 0 else "SELL"
            if ts >= st.pulled_until[side]:  # else already pulled: skip formatting the reason
                self._pull(st, iid, ts, side, "ofi", f"order-flow imbalance {ofi:+.2f}")

    def on_trade_tick(self, tick: TradeTick) -> None:
        iid = tick.instrument_id
        st = self._state.get(iid)
        if st is None:
            return
        ts = tick.ts_init
        tfi_signal = st.tfi
        tfi_signal.update(ts, float(tick.size), tick.aggressor_side == _BUYER)
        tfi = tfi_signal.value()
        if tfi is not None and abs(tfi) >= self._tfi_threshold:
            side = "BUY" if tfi < 0 else "SELL"
            if ts >= st.pulled_until[side]:  # else already pulled: skip formatting the reason
                self._pull(st, iid, ts, side, "trade_flow", f"trade-flow imbalance {tfi:+.2f}")

    def _pull(self, st: _InstrumentState, iid: InstrumentId, ts: int, side: str, guard: str, reason: str) -> None:
        if ts < st.pulled_until[side]:
            return  # already pulled: one firing per episode
        until = ts + self.config.pull_ms * _MS
        st.pulled_until[side] = until
        self._fire(guard, f"{reason}: pull {side} quotes", iid, ts)
        self.msgbus.publish(msg.control_topic(str(iid)), msg.PullSide(guard, side, until, reason))

    # ------------------------------------------------------------------ capital and drawdown
    def equity(self) -> float | None:
        account = self.portfolio.account(self._venue)
        if account is None:
            return None
        balance = account.balance_total(self._settlement)
        if balance is None:
            return None
        equity = float(balance)
        for iid in self.instrument_ids:
            mid = self._state[iid].mid
            if mid > 0:
                equity += unrealized_at_mid(self.cache.positions_open(instrument_id=iid), mid)
        return equity

    def day_summary(self) -> DaySummary | None:
        """The account's PnL since the UTC day began against the loss cap (what the cap acts on; kept
        across restarts); None before the first reading of the day."""
        start = self.drawdown.day_start_equity
        if start is None:
            return None
        return DaySummary(self.drawdown.pnl_today(), start, self.config.daily_drawdown_cap * start)

    def check_capital(self, ts: int) -> None:
        """Daily drawdown (a halt to the next UTC day) and capital at risk (reduce-only while breached)."""
        self._restore_day(ts)  # no-op once done
        if ts < self._halted_until:
            # The halt stands, but the day's PnL stays marked: a position the halt left open keeps
            # moving, and what the operator reads of the day must follow it.
            equity = self.equity()
            if equity is not None:
                self.drawdown.update(ts, equity)
            return
        for iid in self.instrument_ids:
            st = self._state[iid]
            if st.mid > 0:
                self.capital.set_inventory(str(iid), float(self.portfolio.net_position(iid)) * st.mid)
        equity = self.equity()
        day = self.drawdown.day
        breached = equity is not None and self.drawdown.update(ts, equity)
        if breached:
            # A loss cap must stay a halt: nothing is quoted until the new day's equity resets it.
            until = (ts // NS_PER_DAY + 1) * NS_PER_DAY
            start, cap = self.drawdown.day_start_equity, self.config.daily_drawdown_cap
            reason = (
                f"daily loss {-self.drawdown.pnl_today():,.2f} USDC ≥ the cap of {cap * 100:g}% "
                f"({cap * start:,.2f} USDC) of day-start equity {start:,.2f}: every order cancelled, "
                f"halted until {_iso(until)}")
            self._halt(reason, until, ts, flatten=self.config.flatten_on_breach)
            self._save_day()
            return
        if self.drawdown.day != day:
            self._save_day()  # a new day's start equity
        breach = self.capital.breach()
        if breach is not None and not self._reduce_only:
            # A budget breach is managed, not abandoned: no instrument adds, each works its
            # inventory off as a maker (the soft exit), which is what brings the total back down.
            self._reduce_only = True
            reason = f"{breach}: reduce-only (no adding side, maker soft exit) until back under the limits"
            self._fire("capital", reason, None, ts)
            self.msgbus.publish(msg.TOPIC_CONTROL_ALL, msg.ReduceOnly("capital", reason))
        elif breach is None and self._reduce_only and self._under_release():
            self._reduce_only = False
            reason = (f"capital back under the limits (total inventory ${self.capital.total_usd:,.0f}, "
                      f"{self.capital.assets} assets): quoting both sides again")
            self._fire("capital_clear", reason, None, ts)
            self.msgbus.publish(msg.TOPIC_CONTROL_ALL, msg.Resume("capital", reason))

    @property
    def reduce_only(self) -> bool:
        return self._reduce_only

    def _under_release(self) -> bool:
        """Hysteresis of the reduce-only state: total inventory below `capital_release_fraction` of
        the limit, so the first fill after the release does not breach again at once."""
        return self.capital.total_usd <= self.config.capital_release_fraction * self.config.max_total_inventory_usd

    # ------------------------------------------------------------------ venue health
    def _on_venue_halt(self, event: ve.VenueHalt) -> None:
        self._fire("venue_halt", event.reason, None, event.ts_ns)
        self.msgbus.publish(msg.TOPIC_CONTROL_ALL, msg.Halt("venue", event.reason))

    def _on_stall(self, event: ve.MarketDataStall) -> None:
        reason = f"no market data for {event.silent_ms} ms"
        targets = self._instruments_of_coin(event.coin)
        self._fire("stall", reason, None if event.coin is None else str(targets[0]) if targets else None, event.ts_ns)
        for iid in targets:
            self.msgbus.publish(msg.control_topic(str(iid)), msg.Halt("stall", reason))

    def _on_market_data_resumed(self, event: ve.MarketDataResumed) -> None:
        # The adapter publishes this once the coin's book is valid again (coin None: every coin).
        reason = "market data flowing again" + ("" if event.coin is None else f" for {event.coin}")
        targets = self._instruments_of_coin(event.coin)
        if not targets:
            return
        self._fire("stall_resume", reason, None if event.coin is None else targets[0], event.ts_ns)
        for iid in targets:
            self.msgbus.publish(msg.control_topic(str(iid)), msg.Resume("stall", reason))

    # ------------------------------------------------------------------ the day across restarts
    def _restore_day(self, now_ns: int) -> None:
        """Today's start equity and a halt in force, as saved before a restart for this account (an
        unreadable file halts the quoting: going on without the morning's losses is what the cap
        forbids). Tried again at each check until the account is known."""
        if self._day_state_path is None or self._day_restored:
            return
        account = self._account_id()
        if account is None:
            return
        self._day_restored = True
        try:
            saved = load_day_state(self._day_state_path, account)
        except DayStateError as exc:
            self._halt(str(exc), _FOREVER, now_ns)
            return
        if saved is None or saved.day != now_ns // NS_PER_DAY:
            # None yet, or an earlier day's: today starts from the first reading.
            self.log.info(f"day state {self._day_state_path}: no day of {account} saved for today; "
                          "the day starts from the equity of now")
            return
        self.log.info(f"day state {self._day_state_path}: today's start equity {saved.day_start_equity:,.2f} "
                      f"of {account} restored")
        self.drawdown.restore(saved.day, saved.day_start_equity)
        if saved.halted_until_ns > now_ns:
            # Flattening too, as the breach asked: a node killed before its exit filled finishes it.
            self._halt(f"{saved.halt_reason} (since before a restart)", saved.halted_until_ns, now_ns,
                       flatten=self.config.flatten_on_breach)

    def _halt(self, reason: str, until_ns: int, now_ns: int, flatten: bool = False) -> None:
        """The drawdown halt: at a breach, restored after a restart, or for a day that cannot be read
        (`_FOREVER`: until resumed by hand). Fired once, then sent to every strategy."""
        self._halted_until, self._halt_reason, self._halt_flattens = until_ns, reason, flatten
        self._fire("drawdown", reason, None, now_ns)
        self._publish_halt()

    def _publish_halt(self) -> None:
        until = 0 if self._halted_until == _FOREVER else self._halted_until  # 0: until resumed
        self.msgbus.publish(msg.TOPIC_CONTROL_ALL,
                            msg.Halt("drawdown", self._halt_reason, until_ns=until, flatten=self._halt_flattens))

    @property
    def halt_reason(self) -> str | None:
        """Why this guard's drawdown halt stands (None when none does)."""
        return self._halt_reason if self.clock.timestamp_ns() < self._halted_until else None

    def _account_id(self) -> str | None:
        account = self.portfolio.account(self._venue)
        return None if account is None else account.id.value

    def _save_day(self) -> None:
        account = self._account_id()
        if self._day_state_path is None or account is None or self.drawdown.day is None or not self.drawdown.day_start_equity:
            return
        state = DayState(self.drawdown.day, self.drawdown.day_start_equity, self._halted_until, self._halt_reason)
        try:
            save_day_state(self._day_state_path, account, state)
        except (OSError, DayStateError) as exc:
            self.log.error(f"day state not saved to {self._day_state_path} ({exc}): a restart would begin the day anew")

    def _on_controls_request(self, request: object) -> None:
        """A strategy started (after this guard, or again): a drawdown halt in force reaches it too (on
        the topic of all, as the halt went: a strategy halted already takes it again unchanged)."""
        if not isinstance(request, msg.ControlsRequest) or self.clock.timestamp_ns() >= self._halted_until:
            return
        self._publish_halt()

    def _on_position_mismatch(self, event: ve.PositionMismatch) -> None:
        # The inventory the quotes are skewed and capped on is not the account's: no more quoting on
        # the coin until a restart reconciles it (nothing here can tell which fills are wrong).
        reason = f"position {event.cached} in the node, {event.exchange} on the exchange: restart to reconcile"
        targets = self._instruments_of_coin(event.coin)
        self._fire("position_mismatch", reason, targets[0] if targets else None, event.ts_ns)
        for iid in targets:
            self.msgbus.publish(msg.control_topic(str(iid)), msg.Halt("position", reason))

    def _instruments_of_coin(self, coin: str | None) -> list[InstrumentId]:
        """Our instruments of a coin (every one for None), matching the adapter's `COIN-USD-PERP` symbols."""
        return [iid for iid in self.instrument_ids if coin is None or iid.symbol.value.split("-")[0] == coin]

    def _on_venue_resume(self, event: ve.VenueResume) -> None:
        self._fire("venue_resume", event.reason, None, event.ts_ns)
        # The user stream says nothing about market data: a stall halt waits for `MarketDataResumed`.
        self.msgbus.publish(msg.TOPIC_CONTROL_ALL, msg.Resume("venue", event.reason))

    def _fire(self, guard: str, reason: str, iid: InstrumentId | str | None, ts: int) -> None:
        self.firings[guard] = self.firings.get(guard, 0) + 1
        self.log.warning(f"guard {guard}: {reason}")
        self.msgbus.publish(msg.TOPIC_GUARD, msg.GuardEvent("RiskGuard", guard, reason, ts, str(iid) if iid else None))
