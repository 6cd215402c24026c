"""The simulated exchange's state and rules: accounts, user orders, matching, market data.

Everything here is synchronous and runs on the server's event loop; outgoing messages go to a
`Listener` (the WS hub), collected per operation and flushed together like one block.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections import deque
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from typing import Protocol

from hlsim.config import HlSimConfig
from hlsim.engine import validation as v
from hlsim.engine.accounts import Account
from hlsim.engine.accounts import apply_fill
from hlsim.engine.accounts import margin_summary
from hlsim.engine.actions import BatchModifyAction
from hlsim.engine.actions import CancelAction
from hlsim.engine.actions import CancelByCloidAction
from hlsim.engine.actions import ModifyAction
from hlsim.engine.actions import NoopAction
from hlsim.engine.actions import OrderAction
from hlsim.engine.actions import OrderWire
from hlsim.engine.actions import ScheduleCancelAction
from hlsim.engine.actions import UpdateLeverageAction
from hlsim.engine.book import Level
from hlsim.engine.book import MarketBook
from hlsim.engine.limits import charge_actions
from hlsim.engine.matching import CoinMatcher
from hlsim.engine.matching import MakerFill
from hlsim.engine.matching import RestingOrder
from hlsim.engine.nonces import NonceBook
from hlsim.engine.numbers import ZERO
from hlsim.engine.numbers import fmt
from hlsim.engine.numbers import fmt_usd
from hlsim.engine.numbers import parse_decimal
from hlsim.engine.traffic import Traffic
from simulation.queue_model import QueuePosition
from simulation.queue_model import make_queue_rule

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
SCHEDULE_CANCEL_VOLUME = Decimal(1_000_000)
SCHEDULE_CANCEL_MAX_TRIGGERS = 10
MAX_FILLS_KEPT = 10_000
TRADE_LOG_KEPT = 200_000


class Listener(Protocol):
    def book_changed(self, coin: str) -> None: ...

    def trades(self, coin: str, trades: list[dict[str, Any]]) -> None: ...

    def order_updates(self, user: str, updates: list[dict[str, Any]]) -> None: ...

    def user_fills(self, user: str, fills: list[dict[str, Any]]) -> None: ...

    def user_event(self, user: str, data: dict[str, Any]) -> None: ...


class NullListener:
    def book_changed(self, coin: str) -> None:
        pass

    def trades(self, coin: str, trades: list[dict[str, Any]]) -> None:
        pass

    def order_updates(self, user: str, updates: list[dict[str, Any]]) -> None:
        pass

    def user_fills(self, user: str, fills: list[dict[str, Any]]) -> None:
        pass

    def user_event(self, user: str, data: dict[str, Any]) -> None:
        pass


def ok(response: dict[str, Any]) -> dict[str, Any]:
    return {"status": "ok", "response": response}


def err(text: str) -> dict[str, Any]:
    return {"status": "err", "response": text}


DEFAULT_REPLY = ok({"type": "default"})


class SimExchange:
    """State of one simulated exchange; all methods must run on its event loop thread."""

    def __init__(self, config: HlSimConfig, listener: Listener | None = None) -> None:
        self.config = config
        self.listener: Listener = listener or NullListener()
        self.coins: list[str] = list(config.coins)
        self.asset_of = {coin: i for i, coin in enumerate(self.coins)}
        self.sz_decimals = dict(config.coins)
        self.rule = make_queue_rule(config.queue_rule, config.queue_power)
        self.books = {coin: MarketBook(coin) for coin in self.coins}
        self.matchers = {
            coin: CoinMatcher(coin, self.sz_decimals[coin], self.books[coin], self.rule) for coin in self.coins
        }
        self.accounts: dict[str, Account] = {}
        self.agents: dict[str, str] = {}  # agent address → account address
        self.nonces = NonceBook()
        self.traffic = Traffic()  # /exchange requests per action kind (benchmarks, tests)
        self.orders: dict[int, RestingOrder] = {}
        self.user_orders: dict[str, dict[int, RestingOrder]] = defaultdict(dict)
        self.cloids: dict[tuple[str, str], int] = {}
        self.history: dict[int, dict[str, Any]] = {}  # oid → {order, status, statusTimestamp}
        self.history_owner: dict[int, str] = {}
        self.user_cloid_history: dict[tuple[str, str], int] = {}
        self.trade_log: dict[str, deque[tuple[int, Decimal, Decimal]]] = {
            coin: deque(maxlen=TRADE_LOG_KEPT) for coin in self.coins
        }
        self.last_trade_px: dict[str, Decimal] = {}
        self.taker_rate = Decimal(config.taker_rate)
        self.maker_rate = Decimal(config.maker_rate)
        self._next_oid = 10_000_000_000
        self._next_tid = 1
        self._pending_updates: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._pending_fills: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._pending_trades: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._books_changed: set[str] = set()
        for address, usdc in config.wallets.items():
            self.fund(address, usdc)

    # --- clock & ids ----------------------------------------------------------------------

    @staticmethod
    def now_ms() -> int:
        return int(time.time() * 1000)

    def _oid(self) -> int:
        self._next_oid += 1
        return self._next_oid

    def _tid(self) -> int:
        self._next_tid += 1
        return self._next_tid

    # --- accounts -------------------------------------------------------------------------

    def fund(self, address: str, usdc: float | str | Decimal) -> None:
        """Credits USDC to an account (creating it)."""
        address = _address(address)
        amount = Decimal(str(usdc))
        if not amount.is_finite():
            raise ValueError("usdc must be finite")
        self.account(address).usdc += amount

    def account(self, address: str) -> Account:
        acct = self.accounts.get(address)
        if acct is None:
            acct = self.accounts[address] = Account(address=address)
        return acct

    def register_agent(self, account: str, agent: str) -> None:
        account, agent = _address(account), _address(agent)
        self.account(account)
        self.agents[agent] = account

    def deregister_agent(self, agent: str) -> bool:
        """The agent may no longer sign (as when its approval is revoked or expires); False if unknown."""
        return self.agents.pop(_address(agent), None) is not None

    def resolve_user(self, signer: str) -> str | None:
        """The account a signer acts for (itself or the account it is an agent of), None if unknown."""
        if signer in self.agents:
            return self.agents[signer]
        if signer in self.accounts or not self.config.require_known_user:
            return signer
        return None

    def marks(self) -> dict[str, Decimal]:
        out = {}
        for coin, book in self.books.items():
            mid = book.mid()
            if mid is None:
                mid = self.last_trade_px.get(coin)
            if mid is not None:
                out[coin] = mid
        return out

    # --- flushing -------------------------------------------------------------------------

    def flush(self) -> None:
        """Sends everything the last operation produced (one "block")."""
        for coin in list(self._books_changed):
            self.listener.book_changed(coin)
        self._books_changed.clear()
        for coin, trades in self._pending_trades.items():
            self.listener.trades(coin, trades)
        self._pending_trades.clear()
        for user, updates in self._pending_updates.items():
            self.listener.order_updates(user, updates)
        self._pending_updates.clear()
        for user, fills in self._pending_fills.items():
            self.listener.user_fills(user, fills)
            self.listener.user_event(user, {"fills": fills})
        self._pending_fills.clear()

    # --- order views ----------------------------------------------------------------------

    @staticmethod
    def order_view(order: RestingOrder) -> dict[str, Any]:
        view: dict[str, Any] = {
            "coin": order.coin,
            "side": order.side,
            "limitPx": fmt(order.px),
            "sz": fmt(order.sz),
            "oid": order.oid,
            "timestamp": order.timestamp,
            "origSz": fmt(order.orig_sz),
        }
        if order.cloid is not None:
            view["cloid"] = order.cloid
        return view

    @staticmethod
    def frontend_view(order: RestingOrder) -> dict[str, Any]:
        view = SimExchange.order_view(order)
        view.update(
            {
                "tif": order.tif,
                "orderType": "Limit",
                "reduceOnly": order.reduce_only,
                "isTrigger": False,
                "triggerPx": "0.0",
                "triggerCondition": "N/A",
                "isPositionTpsl": False,
                "children": [],
            }
        )
        return view

    def _status(self, order: RestingOrder, status: str, now: int) -> None:
        update = {"order": self.order_view(order), "status": status, "statusTimestamp": now}
        self._record(order.user, order.oid, order.cloid, update)

    def _record(self, user: str, oid: int, cloid: str | None, update: dict[str, Any]) -> None:
        self.history[oid] = update
        self.history_owner[oid] = user
        if cloid is not None:
            self.user_cloid_history[(user, cloid)] = oid
        self._pending_updates[user].append(update)

    def _rest(self, order: RestingOrder, now: int) -> None:
        self.matchers[order.coin].add(order)
        self.orders[order.oid] = order
        self.user_orders[order.user][order.oid] = order
        if order.cloid is not None:
            self.cloids[(order.user, order.cloid)] = order.oid
        self._status(order, "open", now)
        self._books_changed.add(order.coin)

    def _close(self, order: RestingOrder, status: str, now: int) -> None:
        self.matchers[order.coin].remove(order)
        self.orders.pop(order.oid, None)
        self.user_orders[order.user].pop(order.oid, None)
        if order.cloid is not None:
            self.cloids.pop((order.user, order.cloid), None)
        self._status(order, status, now)
        self._books_changed.add(order.coin)

    # --- fills ----------------------------------------------------------------------------

    def _book_fill(
        self,
        user: str,
        coin: str,
        is_buy: bool,
        px: Decimal,
        sz: Decimal,
        *,
        crossed: bool,
        oid: int,
        cloid: str | None,
        tid: int,
        now: int,
    ) -> dict[str, Any]:
        rate = self.taker_rate if crossed else self.maker_rate
        fee = (px * sz * rate).quantize(Decimal("0.000001"))
        acct = self.account(user)
        effect = apply_fill(acct, coin, is_buy, px, sz, fee)
        fill: dict[str, Any] = {
            "coin": coin,
            "px": fmt(px),
            "sz": fmt(sz),
            "side": "B" if is_buy else "A",
            "time": now,
            "startPosition": fmt(effect.start_position),
            "dir": effect.direction,
            "closedPnl": fmt_usd(effect.closed_pnl),
            "hash": f"0x{tid:064x}",
            "oid": oid,
            "crossed": crossed,
            "fee": fmt_usd(fee),
            "tid": tid,
            "feeToken": "USDC",
        }
        if cloid is not None:
            fill["cloid"] = cloid
        acct.fills.append(fill)
        if len(acct.fills) > MAX_FILLS_KEPT:
            del acct.fills[: len(acct.fills) - MAX_FILLS_KEPT]
        self._pending_fills[user].append(fill)
        self.last_trade_px[coin] = px
        return fill

    def _maker_fill(self, fill: MakerFill, now: int, *, tid: int | None = None) -> None:
        order = fill.order
        if order.oid not in self.orders or fill.sz <= 0:
            return
        qty = min(fill.sz, order.sz)
        tid = tid if tid is not None else self._tid()
        self._book_fill(
            order.user, order.coin, order.is_buy, fill.px, qty, crossed=False, oid=order.oid, cloid=order.cloid,
            tid=tid, now=now,
        )
        order.sz -= qty
        if order.sz <= 0:
            order.sz = ZERO
            self._close(order, "filled", now)
        else:
            self._books_changed.add(order.coin)

    def _trade_print(self, coin: str, taker_buy: bool, px: Decimal, sz: Decimal, buyer: str, seller: str,
                     tid: int, now: int) -> None:
        self.trade_log[coin].append((now, px, sz))
        self._pending_trades[coin].append(
            {
                "coin": coin,
                "side": "B" if taker_buy else "A",
                "px": fmt(px),
                "sz": fmt(sz),
                "hash": f"0x{tid:064x}",
                "time": now,
                "tid": tid,
                "users": [buyer, seller],
            }
        )

    # --- placing orders -------------------------------------------------------------------

    def _best(self, coin: str, side: str) -> Decimal | None:
        market = self.books[coin].best(side)
        user = self.matchers[coin].best_user_px(side)
        candidates = [p for p in (market, user) if p is not None]
        if not candidates:
            return None
        return max(candidates) if side == "B" else min(candidates)

    def _open_order_margin(self, user: str) -> Decimal:
        acct = self.account(user)
        total = ZERO
        for order in self.user_orders[user].values():
            if not order.reduce_only:
                total += order.px * order.sz / acct.leverage.get(order.coin, self.config.default_leverage_for(order.coin))
        return total

    def place_order(self, user: str, wire: OrderWire, now: int) -> dict[str, Any]:
        """One order of an `order` action → its status (`resting`, `filled` or `error`)."""
        asset = wire.a
        if not 0 <= asset < len(self.coins):
            return {"error": f"Invalid asset: {asset}."}
        suffix = f" asset={asset}"
        coin = self.coins[asset]
        if wire.t.limit is None:
            return {"error": "Trigger orders are not supported by hlsim." + suffix}
        tif = wire.t.limit.tif
        try:
            px = parse_decimal(wire.p)
        except ValueError:
            return {"error": v.PRICE_ERROR + suffix}
        try:
            sz = parse_decimal(wire.s)
        except ValueError:
            return {"error": v.SIZE_ERROR + suffix}
        cloid = wire.c
        if cloid is not None:
            if not v.is_valid_cloid(cloid):
                return {"error": "Invalid cloid." + suffix}
            cloid = cloid.lower()  # a cloid is 16 bytes: the case of its hex does not make another one
        szd = self.sz_decimals[coin]
        error = v.check_price(px, szd) or v.check_size(sz, szd)
        if error:
            return {"error": error + suffix}
        acct = self.account(user)
        position = acct.position(coin).szi
        if wire.r:
            error = v.reduce_only_error(wire.b, position)
            if error:
                return {"error": error + suffix}
            sz = min(sz, abs(position))  # reduce-only never flips the position
        elif v.check_min_value(px, sz):
            return {"error": v.MIN_VALUE_ERROR + suffix}
        best_bid, best_ask = self._best(coin, "B"), self._best(coin, "A")
        if tif == "Alo":
            error = v.alo_cross_error(wire.b, px, best_bid, best_ask)
            if error:
                return {"error": error + suffix}
        if cloid is not None and (user, cloid) in self.cloids:
            return {"error": "Duplicate cloid." + suffix}
        if not wire.r:
            lev = acct.leverage.get(coin, self.config.default_leverage_for(coin))
            summary = margin_summary(acct, self.marks(), self.config.default_leverage_for)
            free = summary.account_value - summary.total_margin_used - self._open_order_margin(user)
            if free < px * sz / lev:
                return {"error": v.MARGIN_ERROR + suffix}
        marketable = (best_ask is not None and px >= best_ask) if wire.b else (best_bid is not None and px <= best_bid)
        if not marketable and tif == "Ioc":
            return {"error": v.IOC_NO_MATCH_ERROR + suffix}
        if tif != "Ioc" and len(self.user_orders[user]) >= self.config.max_open_orders:
            return {"error": v.OPEN_ORDERS_ERROR + suffix}
        oid = self._oid()
        order = RestingOrder(
            oid=oid, user=user, coin=coin, asset=asset, is_buy=wire.b, px=px, sz=sz, orig_sz=sz, timestamp=now,
            tif=tif, reduce_only=wire.r, cloid=cloid, queue=QueuePosition(0.0),
        )
        filled = ZERO
        notional = ZERO
        if marketable:
            result = self.matchers[coin].take(wire.b, px, sz, user)
            for canceled in result.self_trade_canceled:
                self._close(canceled, "selfTradeCanceled", now)
            for match in result.matches:
                tid = self._tid()
                self._book_fill(user, coin, wire.b, match.px, match.sz, crossed=True, oid=oid, cloid=cloid,
                                tid=tid, now=now)
                counterparty = match.maker.user if match.maker is not None else ZERO_ADDRESS
                buyer, seller = (user, counterparty) if wire.b else (counterparty, user)
                self._trade_print(coin, wire.b, match.px, match.sz, buyer, seller, tid, now)
                if match.maker is not None:
                    self._maker_fill(MakerFill(match.maker, match.px, match.sz), now, tid=tid)
                filled += match.sz
                notional += match.px * match.sz
            self._books_changed.add(coin)
        remaining = sz - filled
        if filled > 0:
            order.sz = remaining
        if remaining > 0 and tif != "Ioc":
            self._rest(order, now)
            status: dict[str, Any] = {"resting": {"oid": oid}}
            if cloid is not None:
                status["resting"]["cloid"] = cloid
            return status
        if filled == 0:
            return {"error": v.IOC_NO_MATCH_ERROR + suffix}
        order.sz = ZERO
        final = "filled" if remaining == 0 else "canceled"
        update = {"order": self.order_view(order), "status": final, "statusTimestamp": now}
        self._record(user, oid, cloid, update)
        status = {"filled": {"totalSz": fmt(filled), "avgPx": fmt(_avg(notional, filled)), "oid": oid}}
        if cloid is not None:
            status["filled"]["cloid"] = cloid
        return status

    def cancel(self, user: str, asset: int, oid: int, now: int, status: str = "canceled") -> bool:
        order = self.user_orders[user].get(oid)
        if order is None or order.asset != asset:
            return False
        self._close(order, status, now)
        return True

    # --- actions --------------------------------------------------------------------------

    def execute(self, user: str, action: Any, now: int) -> dict[str, Any]:
        """Runs a verified action for `user` (after nonce and signature checks) → the reply."""
        try:
            return self._execute(user, action, now)
        finally:
            self.flush()

    def _charge(self, user: str, n: int, now: int, *, is_cancel: bool = False) -> str | None:
        return charge_actions(self.account(user), n, now, self.config.address_initial_budget, is_cancel=is_cancel)

    def _execute(self, user: str, action: Any, now: int) -> dict[str, Any]:
        if isinstance(action, OrderAction):
            error = self._charge(user, max(len(action.orders), 1), now)
            if error:
                return err(error)
            statuses = [self.place_order(user, wire, now) for wire in action.orders]
            return ok({"type": "order", "data": {"statuses": statuses}})
        if isinstance(action, CancelAction):
            error = self._charge(user, max(len(action.cancels), 1), now, is_cancel=True)
            if error:
                return err(error)
            statuses = [
                "success" if self.cancel(user, c.a, c.o, now) else {"error": v.CANCEL_GONE_ERROR}
                for c in action.cancels
            ]
            return ok({"type": "cancel", "data": {"statuses": statuses}})
        if isinstance(action, CancelByCloidAction):
            error = self._charge(user, max(len(action.cancels), 1), now, is_cancel=True)
            if error:
                return err(error)
            statuses: list[Any] = []
            for c in action.cancels:
                oid = self.cloids.get((user, c.cloid.lower()))
                done = oid is not None and self.cancel(user, c.asset, oid, now)
                statuses.append("success" if done else {"error": v.CANCEL_GONE_ERROR})
            return ok({"type": "cancel", "data": {"statuses": statuses}})
        if isinstance(action, ModifyAction):
            error = self._charge(user, 1, now)
            if error:
                return err(error)
            status = self._modify(user, action.oid, action.order, now)
            if "error" in status:
                return err(status["error"])
            return DEFAULT_REPLY
        if isinstance(action, BatchModifyAction):
            error = self._charge(user, max(len(action.modifies), 1), now)
            if error:
                return err(error)
            statuses = [self._modify(user, m.oid, m.order, now) for m in action.modifies]
            return ok({"type": "order", "data": {"statuses": statuses}})
        error = self._charge(user, 1, now)  # every other action counts one request
        if error:
            return err(error)
        if isinstance(action, ScheduleCancelAction):
            return self._schedule_cancel(user, action.time, now)
        if isinstance(action, UpdateLeverageAction):
            if not 0 <= action.asset < len(self.coins):
                return err(f"Invalid asset: {action.asset}.")
            coin = self.coins[action.asset]
            if not 1 <= action.leverage <= self.config.leverage_cap(coin):
                return err("Invalid leverage value")
            self.account(user).leverage[coin] = action.leverage
            return DEFAULT_REPLY
        if isinstance(action, NoopAction):
            return DEFAULT_REPLY
        return err("Unsupported action.")

    def _modify(self, user: str, oid_or_cloid: int | str, wire: OrderWire, now: int) -> dict[str, Any]:
        """Cancel-and-replace: the replacement gets a new oid and joins the back of the queue."""
        oid = self.cloids.get((user, oid_or_cloid.lower())) if isinstance(oid_or_cloid, str) else oid_or_cloid
        order = self.user_orders[user].get(oid) if oid is not None else None
        if order is None:
            return {"error": v.MODIFY_GONE_ERROR}
        self._close(order, "canceled", now)
        status = self.place_order(user, wire, now)
        return status

    def _schedule_cancel(self, user: str, at: int | None, now: int) -> dict[str, Any]:
        acct = self.account(user)
        if self.config.schedule_cancel_volume_gate and acct.cum_volume < SCHEDULE_CANCEL_VOLUME:
            return err(
                "Cannot set scheduled cancel time until enough volume traded. "
                f"Required: $1000000. Traded: ${fmt_usd(acct.cum_volume, 2)}."
            )
        if at is None:
            acct.schedule_cancel_ms = None
            return DEFAULT_REPLY
        if at < now + self.config.schedule_cancel_min_ahead_ms:
            return err("Scheduled cancel time too early, must be at least 5 seconds from now.")
        if acct.schedule_cancel_triggers >= SCHEDULE_CANCEL_MAX_TRIGGERS:
            return err("Too many scheduled cancel triggers today.")
        acct.schedule_cancel_ms = at
        return DEFAULT_REPLY

    def tick(self, now: int) -> None:
        """Time-driven work: scheduled cancels that are due."""
        for acct in self.accounts.values():
            if acct.schedule_cancel_ms is not None and now >= acct.schedule_cancel_ms:
                acct.schedule_cancel_ms = None
                acct.schedule_cancel_triggers += 1
                for order in list(self.user_orders[acct.address].values()):
                    self._close(order, "scheduledCancel", now)
        self.flush()

    def apply_funding(self, now: int) -> None:
        """One funding payment on every open position: usdc -= szi * mark * rate."""
        rate = Decimal(str(self.config.funding_rate))
        marks = self.marks()
        for acct in self.accounts.values():
            for coin, pos in acct.positions.items():
                mark = marks.get(coin)
                if pos.szi == 0 or mark is None:
                    continue
                payment = (-pos.szi * mark * rate).quantize(Decimal("0.000001"))
                acct.usdc += payment
                pos.cum_funding -= payment
                self.listener.user_event(acct.address, {"funding": {
                    "time": now, "coin": coin, "usdc": fmt_usd(payment), "szi": fmt(pos.szi),
                    "fundingRate": fmt(rate),
                }})

    # --- market data ----------------------------------------------------------------------

    def _update_book(self, coin: str, mutate: Any, now: int) -> None:
        book = self.books[coin]
        matcher = self.matchers[coin]
        tracked = matcher.levels_with_orders()
        before = {key: book.size_at(*key) for key in tracked}
        mutate(book)
        for key in tracked:
            matcher.on_depth(key[0], key[1], before[key], book.size_at(*key))
        for fill in matcher.crossed_by_book():
            self._maker_fill(fill, now)
        self._books_changed.add(coin)

    def set_book(self, coin: str, bids: Iterable[Level], asks: Iterable[Level], time_ms: int | None = None) -> None:
        """Replaces the market's displayed book of a coin (scripted or a replayed snapshot)."""
        now = self.now_ms()
        bids, asks = list(bids), list(asks)
        self._update_book(coin, lambda book: book.replace(bids, asks, time_ms or now), now)
        self.flush()

    def apply_bbo(self, coin: str, bid: Level | None, ask: Level | None, time_ms: int | None = None) -> None:
        now = self.now_ms()
        self._update_book(coin, lambda book: book.apply_bbo(bid, ask, time_ms or now), now)
        self.flush()

    def market_trade(self, coin: str, side: str, px: Decimal, sz: Decimal, *, tid: int | None = None,
                     time_ms: int | None = None, publish: bool = True, flush: bool = True) -> None:
        """A trade by the outside market (replayed or scripted): prints, then fills user orders."""
        now = self.now_ms()
        tid = tid if tid is not None else self._tid()
        if publish:
            self._trade_print(coin, side == "B", px, sz, ZERO_ADDRESS, ZERO_ADDRESS, tid, time_ms or now)
        self.last_trade_px[coin] = px
        for fill in self.matchers[coin].on_market_trade(side, px, sz):
            self._maker_fill(fill, now)
        if flush:
            self.flush()

    def admin_fill(self, user: str, oid: int, sz: Decimal | None = None) -> bool:
        """Fills a resting order as maker at its price (tests: fills while a user's WS is down)."""
        user = _address(user)
        order = self.user_orders[user].get(oid)
        if order is None:
            return False
        now = self.now_ms()
        self._maker_fill(MakerFill(order, order.px, order.sz if sz is None else min(sz, order.sz)), now)
        self.flush()
        return True

    def admin_cancel(self, user: str, oid: int) -> bool:
        user = _address(user)
        order = self.user_orders[user].get(oid)
        if order is None:
            return False
        self._close(order, "canceled", self.now_ms())
        self.flush()
        return True

    # --- views for info / ws --------------------------------------------------------------

    def l2_levels(self, coin: str, depth: int) -> tuple[list[Level], list[Level]]:
        """Displayed levels best first: market size plus hlsim users' resting orders."""
        book = self.books[coin]
        matcher = self.matchers[coin]
        sides = []
        for side in ("B", "A"):
            merged: dict[Decimal, tuple[Decimal, int]] = {}
            for px, sz, n in book.levels(side, depth):
                merged[px] = (sz, n)
            for px, orders in matcher.levels[side].items():
                user_sz = sum((o.sz for o in orders), ZERO)
                sz, n = merged.get(px, (ZERO, 0))
                merged[px] = (sz + user_sz, n + len(orders))
            prices = sorted(merged, reverse=(side == "B"))[:depth]
            sides.append([(px, *merged[px]) for px in prices])
        return sides[0], sides[1]

    def open_orders(self, user: str) -> list[RestingOrder]:
        return sorted(self.user_orders.get(user, {}).values(), key=lambda o: -o.timestamp)


def _avg(notional: Decimal, qty: Decimal) -> Decimal:
    return (notional / qty).quantize(Decimal("0.00000001")).normalize() if qty else ZERO


def _address(address: str) -> str:
    if not v.is_valid_address(address):
        raise ValueError(f"not an address: {address!r}")
    return address.lower()
