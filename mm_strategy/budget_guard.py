"""`BudgetGuard`: this node's share of an account-wide inventory cap, when several live nodes trade
one account (a thin Nautilus Actor over `budget_link` and `mm_strategy.risk.budget_share`).

Per instrument it claims, through Redis, the notional the strategy could reach (held plus one
ladder of headroom, within the strategy's own limit) and tells the `MarketMaker` what it was
granted with an `InventoryCap`: the strategy keeps |position| within it. A claim granted no more
than what is held, or Redis unreachable, means reduce-only quoting until a later claim grants room.

It claims on a timer (which also renews the node's lease, so a node that dies frees its share
within the lease) and at once on every position change. Redis calls block (short timeouts), so they
run here, off the book-event path; the strategy itself never reads Redis.
"""

from __future__ import annotations

import math
from datetime import timedelta

from nautilus_trader.common.actor import Actor
from nautilus_trader.config import ActorConfig
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import InstrumentId

from adapters.hyperliquid.parsing.instruments import coin_of
from budget_link.shared_budget import SharedBudget
from budget_link.shared_budget import SharedLimits
from mm_strategy import messages as msg
from mm_strategy.governor import ACTION_EVENTS
from mm_strategy.risk.budget_share import ShareRequest
from mm_strategy.risk.budget_share import cap_to_send
from mm_strategy.risk.budget_share import share_request
from screener_link.redis_target import url_from_env

_TIMER = "BudgetGuard.claim"
SOURCE = "shared_budget"
# A grant with less room than this above what is held cannot place a useful order: reduce-only.
_MIN_ROOM_USD = 1e-6
# The strategy's cap moves in steps of this share of the instrument's own limit (see `cap_to_send`).
_CAP_QUANTUM = 0.01


class BudgetGuardConfig(ActorConfig, frozen=True, kw_only=True):
    """`headroom_usd` and `max_inventory_usd` are per instrument, in `instrument_ids`' order: one
    ladder side's notional and the strategy's own inventory limit (live/ fills both in)."""

    instrument_ids: tuple[str, ...]
    redis_url: str
    account: str
    node_id: str
    max_total_inventory_usd: float
    max_assets: int = 5
    lease_ms: int = 10_000
    check_interval_ms: int = 1_000
    headroom_usd: tuple[float, ...]
    max_inventory_usd: tuple[float, ...]
    redis_timeout_ms: int = 250


class BudgetGuard(Actor):
    def __init__(self, config: BudgetGuardConfig) -> None:
        super().__init__(config)
        n = len(config.instrument_ids)
        if n == 0:
            raise ValueError("BudgetGuardConfig.instrument_ids must not be empty")
        if len(config.headroom_usd) != n or len(config.max_inventory_usd) != n:
            raise ValueError("headroom_usd and max_inventory_usd need one value per instrument")
        if not 0 < config.check_interval_ms * 2 <= config.lease_ms:
            # The lease is renewed by the timer: two renewals per lease leave room for one late tick.
            raise ValueError(f"check_interval_ms must be > 0 and at most half the lease ({config.lease_ms} ms)")
        if not 0 < config.redis_timeout_ms < config.check_interval_ms:
            raise ValueError("redis_timeout_ms must be > 0 and below check_interval_ms")
        self.instrument_ids = [InstrumentId.from_str(i) for i in config.instrument_ids]
        self._coins = {iid: coin_of(iid) for iid in self.instrument_ids}
        self._headroom = dict(zip(self.instrument_ids, config.headroom_usd, strict=True))
        self._own_limit = dict(zip(self.instrument_ids, config.max_inventory_usd, strict=True))
        # Checked here, not at the first claim: a bad account or node id is a config error.
        self.limits = SharedLimits(config.max_total_inventory_usd, config.max_assets, config.lease_ms)
        self.budget = SharedBudget(
            url_from_env(config.redis_url), config.account, config.node_id, self.limits, timeout_s=config.redis_timeout_ms / 1000,
        )
        self.caps: dict[InstrumentId, msg.InventoryCap] = {}  # the last cap sent per instrument
        self.firings: dict[str, int] = {}
        # This node's actions and traded USDC not yet added to the account's totals in Redis.
        self._unrecorded_actions = 0
        self._unrecorded_volume = 0.0

    def on_start(self) -> None:
        # Any strategy's position event: the account's position in that instrument moved.
        self.msgbus.subscribe("events.position.*", self._on_position_event)
        self.msgbus.subscribe("events.order.*", self._on_order_event)
        self.clock.set_timer(_TIMER, timedelta(milliseconds=self.config.check_interval_ms), callback=self._on_timer)

    def on_stop(self) -> None:
        if _TIMER in self.clock.timer_names:
            self.clock.cancel_timer(_TIMER)
        self.msgbus.unsubscribe("events.position.*", self._on_position_event)
        self.msgbus.unsubscribe("events.order.*", self._on_order_event)
        # Keep what is held claimed (the strategies' stop cancels the rest): another node must not
        # take the room of inventory that is still there. The lease then runs out on its own.
        held: dict[str, tuple[float, float]] = {}
        for iid in self.instrument_ids:
            price = self._price(iid)
            if price is not None:
                usd = abs(self._position(iid)) * price
                held[self._coins[iid]] = (usd, usd)
        self.budget.claim_many(held)
        self.budget.close()

    def _on_timer(self, event: object) -> None:
        self.claim_all()
        if self.budget.healthy:
            self.share_activity()

    def _on_order_event(self, event: object) -> None:
        if isinstance(event, ACTION_EVENTS):  # what the address budget counts, as the governor counts it
            self._unrecorded_actions += 1
        elif isinstance(event, OrderFilled):
            self._unrecorded_volume += float(event.last_px) * float(event.last_qty)

    def share_activity(self) -> None:
        """Add this node's actions to the account's totals and tell the governor what the other
        nodes did (the address action budget is the account's, not the node's)."""
        if self._unrecorded_actions or self._unrecorded_volume:
            self.budget.record_activity(self._unrecorded_actions, self._unrecorded_volume)
            if not self.budget.healthy:
                return  # kept for the next tick
            self._unrecorded_actions, self._unrecorded_volume = 0, 0.0
        view = self.budget.view()
        if view is None:
            return
        me = self.budget.node
        others = sum(n for node, n in view.actions_by_node.items() if node != me)
        volume = sum(v for node, v in view.volume_by_node.items() if node != me)
        self.msgbus.publish(
            msg.TOPIC_ACCOUNT_ACTIVITY, msg.AccountActivity(SOURCE, others, volume, self.clock.timestamp_ns()),
        )

    def _on_position_event(self, event: object) -> None:
        iid = getattr(event, "instrument_id", None)
        if iid in self._coins:
            self.claim(iid)

    def claim_all(self) -> None:
        """Renew the lease and claim every instrument with a price: one Redis round trip."""
        self._claim(list(self.instrument_ids))

    def claim(self, iid: InstrumentId) -> None:
        self._claim([iid])

    def _claim(self, iids: list[InstrumentId]) -> None:
        requests: dict[InstrumentId, ShareRequest] = {}
        for iid in iids:
            price = self._price(iid)
            if price is not None:  # no book yet: the strategy has nothing to quote either
                requests[iid] = share_request(self._position(iid), price, self._headroom[iid], self._own_limit[iid])
        granted = self.budget.claim_many({self._coins[iid]: (r.want_usd, r.floor_usd) for iid, r in requests.items()})
        if granted is None:
            # Redis is away: every instrument of the claim goes reduce-only (the lease was not renewed).
            for iid in iids:
                self._send(iid, msg.InventoryCap(SOURCE, None, True, f"Redis unreachable: {self.budget.last_error}", str(iid)))
            return
        for iid, request in requests.items():
            usd = granted[self._coins[iid]]
            if usd - request.floor_usd < _MIN_ROOM_USD and request.want_usd > request.floor_usd:
                cap = msg.InventoryCap(SOURCE, usd, True, "the account's shared cap is taken by other nodes", str(iid))
            else:
                last = self.caps.get(iid)
                last_usd = last.max_abs_usd if last is not None and not last.reduce_only else None
                usd = cap_to_send(last_usd, usd, _CAP_QUANTUM * self._own_limit[iid])
                cap = msg.InventoryCap(SOURCE, usd, False, "", str(iid))
            self._send(iid, cap)

    def _send(self, iid: InstrumentId, cap: msg.InventoryCap) -> None:
        last = self.caps.get(iid)
        # Reduce-only ignores the cap's size (only the reducing side quotes): the held notional a
        # reduce-only grant carries moves with every tick and must not re-plan the strategy.
        if last is not None and last.reduce_only == cap.reduce_only and (cap.reduce_only or last.max_abs_usd == cap.max_abs_usd):
            return
        self.caps[iid] = cap
        if cap.reduce_only and (last is None or not last.reduce_only):
            self.firings[SOURCE] = self.firings.get(SOURCE, 0) + 1
            ts = self.clock.timestamp_ns()
            self.log.warning(f"{iid}: reduce-only: {cap.reason}")
            self.msgbus.publish(msg.TOPIC_GUARD, msg.GuardEvent("BudgetGuard", SOURCE, cap.reason, ts, str(iid)))
        elif not cap.reduce_only and last is not None and last.reduce_only:
            self.log.info(f"{iid}: shared budget granted ${cap.max_abs_usd:,.2f}: quoting again")
        self.msgbus.publish(msg.control_topic(str(iid)), cap)

    def _position(self, iid: InstrumentId) -> float:
        return float(self.portfolio.net_position(iid))

    def _price(self, iid: InstrumentId) -> float | None:
        book = self.cache.order_book(iid)  # kept by the strategy's book subscription
        mid = book.midpoint() if book is not None else None
        if mid is None:
            quote = self.cache.quote_tick(iid)
            mid = (float(quote.bid_price) + float(quote.ask_price)) / 2 if quote is not None else None
        value = float(mid) if mid is not None else math.nan
        return value if math.isfinite(value) and value > 0 else None

