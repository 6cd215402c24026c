"""Nautilus live execution client for Hyperliquid perps (ALO/GTC/IOC limit orders, agent-key signing).

Order and fill events come from the user WS (`orderUpdates`, `userFills`), and from the action
replies (accepted / rejected / canceled as soon as the exchange answers). Every event is emitted
once: `OrderTracker` remembers what was emitted and dedupes fills by `tid`. When the user WS
drops, `VenueHalt` is published; after it is back the client diffs REST state against what it
knows, emits the fills and cancels that happened in the dark (fills first; cancels the exchange
confirmed meanwhile wait for them), then publishes `VenueResume`.

No order is left hanging on a failed action: one the exchange certainly did not receive (429
through every retry, connection refused) is rejected with the reason; one whose outcome is
unknown (timeout or socket lost after sending) is settled from `orderStatus` (by cloid), as is a
cancel answered "already canceled or filled".
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import random
import time
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any

import msgspec
from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus
from nautilus_trader.common.enums import LogColor
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import BatchCancelOrders
from nautilus_trader.execution.messages import CancelAllOrders
from nautilus_trader.execution.messages import CancelOrder
from nautilus_trader.execution.messages import GenerateFillReports
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.execution.messages import GenerateOrderStatusReports
from nautilus_trader.execution.messages import GeneratePositionStatusReports
from nautilus_trader.execution.messages import ModifyOrder
from nautilus_trader.execution.messages import QueryAccount
from nautilus_trader.execution.messages import SubmitOrder
from nautilus_trader.execution.messages import SubmitOrderList
from nautilus_trader.execution.reports import ExecutionMassStatus
from nautilus_trader.execution.reports import FillReport
from nautilus_trader.execution.reports import OrderStatusReport
from nautilus_trader.execution.reports import PositionStatusReport
from nautilus_trader.live.execution_client import LiveExecutionClient
from nautilus_trader.model.currencies import USDC
from nautilus_trader.model.enums import AccountType
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OmsType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientId
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.identifiers import TradeId
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.instruments import Instrument
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity
from nautilus_trader.model.orders import Order

from adapters.hyperliquid.common.backoff import backoff_delay
from adapters.hyperliquid.common.cloids import cloid_for
from adapters.hyperliquid.common.constants import CANCELED_STATUSES
from adapters.hyperliquid.common.constants import HYPERLIQUID
from adapters.hyperliquid.common.constants import HYPERLIQUID_VENUE
from adapters.hyperliquid.common.constants import ORDER_NEVER_PLACED
from adapters.hyperliquid.common.constants import REJECTED_STATUSES
from adapters.hyperliquid.common.constants import SCHEDULE_CANCEL_VOLUME_GATE
from adapters.hyperliquid.common.nonces import NonceSource
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import resolve_endpoints
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.execution.tracking import TrackedOrder
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.http.errors import REST_ERRORS
from adapters.hyperliquid.parsing.instruments import coin_of
from adapters.hyperliquid.parsing.order_wires import UnsupportedOrder
from adapters.hyperliquid.parsing.order_wires import asset_of
from adapters.hyperliquid.parsing.order_wires import wire_for_order
from adapters.hyperliquid.parsing.replies import Outcome
from adapters.hyperliquid.parsing.replies import parse_action_reply
from adapters.hyperliquid.parsing.reports import account_balance
from adapters.hyperliquid.parsing.reports import adoption_reports
from adapters.hyperliquid.parsing.reports import exchange_decimal
from adapters.hyperliquid.parsing.reports import fill_problem
from adapters.hyperliquid.parsing.reports import fill_report
from adapters.hyperliquid.parsing.reports import order_status_report
from adapters.hyperliquid.parsing.reports import position_reports
from adapters.hyperliquid.parsing.reports import qty_of
from adapters.hyperliquid.parsing.reports import side_of
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import CLEARINGHOUSE_DECODER
from adapters.hyperliquid.schemas.user import FILLS_DECODER
from adapters.hyperliquid.schemas.user import OPEN_ORDERS_DECODER
from adapters.hyperliquid.schemas.user import ORDER_STATUS_DECODER
from adapters.hyperliquid.schemas.user import ORDER_UPDATES_DECODER
from adapters.hyperliquid.schemas.user import USER_FILLS_DECODER
from adapters.hyperliquid.schemas.user import USER_RATE_LIMIT_DECODER
from adapters.hyperliquid.schemas.user import BasicOrder
from adapters.hyperliquid.schemas.user import ClearinghouseState
from adapters.hyperliquid.schemas.user import Fill
from adapters.hyperliquid.schemas.user import OrderUpdate
from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import batch_modify_action
from adapters.hyperliquid.signing import cancel_action
from adapters.hyperliquid.signing import cancel_by_cloid_action
from adapters.hyperliquid.signing import modify_wire
from adapters.hyperliquid.signing import order_action
from adapters.hyperliquid.signing import schedule_cancel_action
from adapters.hyperliquid.types import TOPIC_RATE_LIMIT
from adapters.hyperliquid.types import TOPIC_VENUE_HALT
from adapters.hyperliquid.types import TOPIC_VENUE_RESUME
from adapters.hyperliquid.types import VenueHalt
from adapters.hyperliquid.types import VenueResume
from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient
from adapters.hyperliquid.websocket.client import WsNotConnected
from adapters.hyperliquid.websocket.client import WsPostTimeout

_NS_PER_MS = 1_000_000
# The order status of an ALO order that would have crossed (the post-only reject, as a status).
_BAD_ALO_PX = "badAloPxRejected"
_RNG = random.Random()
# After an action's outcome was left unknown, `orderStatus` is asked this often (seconds between)
# before an order the exchange still does not know is declared not placed.
_UNKNOWN_ORDER_RECHECKS_SECS = (0.0, 0.5, 1.0, 2.0)
# Waits before each orderStatus ask when adopting an order placed outside this node.
_EXTERNAL_ORDER_RETRY_SECS = (0.0, 0.5, 2.0, 5.0)
_FILL_AUDIT_OVERLAP_MS = 60_000
_HTTP_ERRORS_KNOWING_DELIVERY = REST_ERRORS


class ActionFailed(Exception):
    """An action that got no usable reply.

    `not_placed` is True when the exchange certainly did not act on it (connection refused
    before sending, 429 through every retry, a 4xx, a WS post error reply); otherwise the
    outcome is unknown (timeout or cut after sending, 5xx, undecodable reply).
    """

    def __init__(self, message: str, *, not_placed: bool = False) -> None:
        super().__init__(message)
        self.not_placed = not_placed


class HyperliquidExecutionClient(LiveExecutionClient):
    """
    Execution for one Hyperliquid account, signing with an agent (API wallet) key.

    Parameters
    ----------
    signer : L1Signer
        Holds the agent key; only its address is ever logged.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        http: HyperliquidHttpClient,
        signer: L1Signer,
        msgbus: MessageBus,
        cache: Cache,
        clock: LiveClock,
        instrument_provider: HyperliquidInstrumentProvider,
        config: HyperliquidExecClientConfig,
        name: str | None = None,
    ) -> None:
        if config.account_address is None:
            raise ValueError("HyperliquidExecClientConfig.account_address is required")
        super().__init__(
            loop=loop,
            client_id=ClientId(name or HYPERLIQUID),
            venue=HYPERLIQUID_VENUE,
            oms_type=OmsType.NETTING,
            instrument_provider=instrument_provider,
            account_type=AccountType.MARGIN,
            base_currency=USDC,
            msgbus=msgbus,
            cache=cache,
            clock=clock,
            config=config,
        )
        self._config = config
        self._http = http
        self._signer = signer
        self._provider = instrument_provider
        self._address = config.account_address.lower()
        self._endpoints = resolve_endpoints(config)
        self._nonces = NonceSource()
        self._tracker = OrderTracker()
        self._set_account_id(AccountId(f"{HYPERLIQUID}-{self._address}"))
        self._ws = HyperliquidWebSocketClient(
            self._endpoints.ws_url,
            self._on_ws_message,
            on_disconnect=self._on_user_ws_lost,
            on_reconnect=self._on_user_ws_back,
            # The stream counts as back only once the exchange acknowledged every user
            # subscription: a socket cut again at its subscribe must not resume quoting.
            confirm_subscriptions=True,
            ping_interval_secs=config.ping_interval_secs,
            backoff_initial_secs=config.reconnect_backoff_initial_secs,
            backoff_max_secs=config.reconnect_backoff_max_secs,
            logger=self._log,
            name="user-ws",
        )
        self._schedule_cancel_task: asyncio.Task | None = None
        self._account_refresh_pending = False
        self.schedule_cancel_refused: str | None = None
        self.halted = False
        self.actions_sent = 0
        self.dark_fills_recovered = 0
        self.dark_cancels_recovered = 0
        self.position_mismatches = 0
        self.external_fills_adopted = 0
        self.external_fills_unapplied = 0
        self.audit_fills_recovered = 0
        self.audit_orders_settled = 0
        self._audited_until_ms = 0
        self._fill_audit_task: asyncio.Task | None = None
        self._audit_soon: asyncio.Task | None = None
        # Fill ids start-up reconciliation reported to Nautilus: never adopted a second time.
        self._reconciled_tids: set[int] = set()
        self._adopt_fills_from_ms = 2**63  # set at connect
        self._external_fills: dict[int, list[Fill]] = {}  # oid -> fills waiting for their order's adoption
        self.settled_by_order_status = 0
        # Cancels the exchange confirmed while the user stream was down: emitted only after the
        # dark fills (reconciliation), so a partly filled order gets its fill before its cancel.
        self._cancels_in_dark: dict[ClientOrderId, TrackedOrder] = {}
        self._dark_since_ms: int | None = None
        self._log.info(
            f"account={self._address} agent={signer.address} rest={list(self._endpoints.rest_urls)} "
            f"ws={self._endpoints.ws_url} mainnet_signing={self._endpoints.is_mainnet}"
        )

    @property
    def tracker(self) -> OrderTracker:
        return self._tracker

    @property
    def ws(self) -> HyperliquidWebSocketClient:
        return self._ws

    @property
    def http(self) -> HyperliquidHttpClient:
        return self._http

    # -- connection ------------------------------------------------------------------------------

    async def _connect(self) -> None:
        # Fills of other orders from before this moment belong to the start-up reconciliation (or,
        # with it off, to nobody): the stream's snapshot replays history that must not be adopted.
        self._adopt_fills_from_ms = time.time_ns() // _NS_PER_MS
        await self._provider.initialize()
        for instrument in self._provider.list_all():
            if self._cache.instrument(instrument.id) is None:
                self._cache.add_instrument(instrument)
        self._seed_seen_fills_from_cache()
        await self._seed_rate_limits()
        await self._refresh_account()
        self._tracker.last_fill_ms = self._tracker.last_fill_ms or (time.time_ns() // _NS_PER_MS)
        await self._ws.subscribe({"type": "orderUpdates", "user": self._address})
        await self._ws.subscribe({"type": "userFills", "user": self._address})
        await self._ws.connect()
        if self._config.schedule_cancel:
            # Own task (not `create_task`): cancelling it at disconnect is normal, not an aborted command.
            self._schedule_cancel_task = self._loop.create_task(self._schedule_cancel_loop(), name="hl-schedule-cancel")
        self._audited_until_ms = self._adopt_fills_from_ms
        if self._config.fill_audit_interval_secs > 0:
            self._fill_audit_task = self._loop.create_task(self._fill_audit_loop(), name="hl-fill-audit")

    async def _disconnect(self) -> None:
        for task in (self._schedule_cancel_task, self._fill_audit_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._schedule_cancel_task = self._fill_audit_task = None
        await self._ws.close()
        await self._http.close()

    def _seed_seen_fills_from_cache(self) -> None:
        # Fills already in the cache (e.g. a Redis-backed cache after a restart) are never re-emitted.
        for order in self._cache.orders(venue=HYPERLIQUID_VENUE):
            for trade_id in order.trade_ids:
                if trade_id.value.isdigit():
                    self._tracker.mark_fill_seen(int(trade_id.value))

    async def _seed_rate_limits(self) -> None:
        try:
            raw = await self._http.info({"type": "userRateLimit", "user": self._address})
            limit = USER_RATE_LIMIT_DECODER.decode(raw)
        except Exception as exc:  # the budget estimate starts from the default instead
            self._log.warning(f"userRateLimit unavailable ({type(exc).__name__}: {exc}); using the default budget")
            return
        self._http.rate_limits.seed_address_budget(limit.nRequestsUsed, limit.nRequestsCap)
        self._publish_rate_limits()

    def _publish_rate_limits(self) -> None:
        self._msgbus.publish(TOPIC_RATE_LIMIT, self._http.rate_limits.status(self._clock.timestamp_ns()))

    # -- sending actions -------------------------------------------------------------------------

    def _signed_body(self, action: dict[str, Any]) -> dict[str, Any]:
        nonce = self._nonces.next()
        signature = self._signer.sign_action(action, nonce, is_mainnet=self._endpoints.is_mainnet)
        return {"action": action, "nonce": nonce, "signature": signature, "vaultAddress": None, "expiresAfter": None}

    async def _send_action(self, action: dict[str, Any], n_entries: int, *, rest_only: bool = False) -> list[Outcome]:
        """Sign and send an action (WS `post` when possible, else REST with failover)."""
        body = self._signed_body(action)
        self.actions_sent += 1
        raw: bytes | None = None
        # While halted the socket's reader is busy reconciling: its post replies would wait.
        if self._config.use_ws_post and not rest_only and not self.halted and self._ws.is_connected:
            try:
                response = await self._ws.post("action", body, self._config.post_timeout_secs)
                if response.type == "error":
                    # The exchange refused the request as a whole: nothing in it was applied.
                    raise ActionFailed(f"WS post error: {bytes(response.payload)[:300]!r}", not_placed=True)
                raw = bytes(response.payload)
                self._http.rate_limits.add_address_actions(n_entries)
            except WsNotConnected:
                raw = None  # the socket went down before sending: REST below
            except WsPostTimeout as exc:
                # Outcome unknown. Not re-sent: a replay of the same nonce would come back as an
                # error and be mistaken for a reject. The user stream (or Nautilus's in-flight
                # check, through `generate_order_status_report`) settles the order.
                raise ActionFailed(str(exc)) from exc
        if raw is None:
            try:
                raw = await self._http.exchange(body)
            except _HTTP_ERRORS_KNOWING_DELIVERY as exc:
                raise ActionFailed(f"{type(exc).__name__}: {exc}", not_placed=not exc.maybe_delivered) from exc
            except Exception as exc:
                raise ActionFailed(f"{type(exc).__name__}: {exc}") from exc
        self._publish_rate_limits()
        try:
            return parse_action_reply(raw, n_entries)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ActionFailed(f"undecodable exchange reply ({exc}): {raw[:300]!r}") from exc

    # -- orders ----------------------------------------------------------------------------------

    # -- commands: started eagerly ---------------------------------------------------------------
    # The base class wraps each command in a task that first runs on a later turn of the loop,
    # behind whatever else is ready. Quote refreshes are latency-critical, so these commands run
    # at once, up to their first real wait: the signed action is on the socket before the engine
    # returns from the command; its reply is still awaited in the task.

    def _start_command(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        if not self._loop.is_running():
            self.create_task(coro, log_msg=name)
            return
        task = asyncio.Task(coro, loop=self._loop, name=name, eager_start=True)
        task.add_done_callback(functools.partial(self._on_task_completed, None, None, LogColor.NORMAL))
        self._tasks.add(task)

    def submit_order(self, command: SubmitOrder) -> None:
        self._log.info(f"Submit {command.order}", LogColor.BLUE)
        self._start_command(self._submit_order(command), "submit_order")

    def submit_order_list(self, command: SubmitOrderList) -> None:
        self._log.info(f"Submit {command.order_list}", LogColor.BLUE)
        self._start_command(self._submit_order_list(command), "submit_order_list")

    def modify_order(self, command: ModifyOrder) -> None:
        self._log.info(f"Modify {command.client_order_id!r}", LogColor.BLUE)
        self._start_command(self._modify_order(command), "modify_order")

    def cancel_order(self, command: CancelOrder) -> None:
        self._log.info(f"Cancel {command.client_order_id!r}", LogColor.BLUE)
        self._start_command(self._cancel_order(command), "cancel_order")

    def batch_cancel_orders(self, command: BatchCancelOrders) -> None:
        self._log.info(f"Batch cancel {len(command.cancels)} orders", LogColor.BLUE)
        self._start_command(self._batch_cancel_orders(command), "batch_cancel_orders")

    def _instrument(self, order: Order) -> Instrument:
        instrument = self._cache.instrument(order.instrument_id) or self._provider.find(order.instrument_id)
        if instrument is None:
            raise UnsupportedOrder(f"instrument {order.instrument_id} not loaded")
        return instrument

    def _track(self, order: Order) -> TrackedOrder:
        tracked = self._tracker.get(order.client_order_id)
        if tracked is None:
            tracked = self._tracker.add(
                TrackedOrder(
                    client_order_id=order.client_order_id,
                    strategy_id=order.strategy_id,
                    instrument_id=order.instrument_id,
                    side=order.side,
                    order_type=order.order_type,
                    quantity=order.quantity.as_decimal(),
                    cloid=cloid_for(order.client_order_id),
                )
            )
        return tracked

    async def _submit_order(self, command: SubmitOrder) -> None:
        await self._submit_orders([command.order])

    async def _submit_order_list(self, command: SubmitOrderList) -> None:
        await self._submit_orders(list(command.order_list.orders))

    async def _submit_orders(self, orders: list[Order]) -> None:
        """All orders as one `order` action (a batch), each with its cloid."""
        ts = self._clock.timestamp_ns()
        wires: list[dict[str, Any]] = []
        sent: list[TrackedOrder] = []
        for order in orders:
            self.generate_order_submitted(order.strategy_id, order.instrument_id, order.client_order_id, ts)
            tracked = self._track(order)
            try:
                wires.append(wire_for_order(order, self._instrument(order), tracked.cloid))
            except (UnsupportedOrder, ValueError) as exc:
                self._reject_once(tracked, str(exc), ts=ts)
                continue
            sent.append(tracked)
        if not wires:
            return
        try:
            outcomes = await self._send_action(order_action(wires), len(wires))
        except ActionFailed as exc:
            if exc.not_placed:
                for tracked in sent:
                    self._reject_once(tracked, f"order not placed (the exchange did not receive it): {exc}")
                return
            # Outcome unknown: the exchange's record of each order (by cloid) settles it.
            self._log.warning(f"order action outcome unknown ({exc}): asking orderStatus")
            for tracked in sent:
                await self._settle_unknown_submit(tracked, str(exc))
            return
        for tracked, outcome in zip(sent, outcomes, strict=True):
            self._apply_order_outcome(tracked, outcome)

    def _reject_once(
        self, tracked: TrackedOrder, reason: str, *, due_post_only: bool = False, ts: int | None = None,
    ) -> None:
        if tracked.accepted or tracked.closed:
            return
        tracked.closed = True
        self.generate_order_rejected(
            tracked.strategy_id, tracked.instrument_id, tracked.client_order_id, reason,
            self._clock.timestamp_ns() if ts is None else ts, due_post_only=due_post_only,
        )

    async def _settle_unknown_submit(self, tracked: TrackedOrder, cause: str) -> None:
        """An order whose submit got no reply: accepted / filled / canceled from `orderStatus`, or
        rejected once the exchange still does not know its cloid after a few checks."""
        for delay in _UNKNOWN_ORDER_RECHECKS_SECS:
            await asyncio.sleep(delay)
            if tracked.accepted or tracked.closed:
                return  # the user stream settled it meanwhile
            try:
                status = await self._settle_from_exchange(tracked)
            except Exception as exc:
                self._log.warning(f"orderStatus for {tracked.client_order_id} failed: {type(exc).__name__}: {exc}")
                continue
            if status is not None:
                return
        if not tracked.accepted and not tracked.closed:
            self._reject_once(
                tracked, f"order not placed: submit outcome unknown ({cause}) and the exchange does not know cloid "
                f"{tracked.cloid}",
            )

    async def _settle_from_exchange(self, tracked: TrackedOrder) -> str | None:
        """Bring an order in line with the exchange's record (`orderStatus`): its fills first, then its end.

        Returns the exchange's status ("open", "filled", "canceled", ...), or None when the exchange
        does not know the order. Raises when the query fails.
        """
        key: int | str | None = tracked.oid if tracked.oid is not None else tracked.cloid
        if key is None:
            return None
        raw = await self._http.info({"type": "orderStatus", "user": self._address, "oid": key})
        reply = ORDER_STATUS_DECODER.decode(raw)
        if reply.status != "order" or reply.order is None:
            return None
        self.settled_by_order_status += 1
        info = reply.order
        o, status = info.order, info.status
        ts = info.statusTimestamp * _NS_PER_MS
        if status in REJECTED_STATUSES:
            self._reject_once(tracked, status, due_post_only=status == _BAD_ALO_PX)
            return status
        if tracked.oid is None:
            self._tracker.bind_oid(tracked, o.oid)
        self._accept_once(tracked, ts)
        if status in ("open", "triggered"):
            return status
        # Closed on the exchange: its fills (deduped by tid) before the cancel.
        raw_fills = await self._http.info(
            {"type": "userFillsByTime", "user": self._address, "startTime": o.timestamp}
        )
        self._on_fills([f for f in FILLS_DECODER.decode(raw_fills) if f.oid == o.oid])
        if status in CANCELED_STATUSES and not tracked.fully_filled:
            self._cancel_once(tracked, ts)
        elif status == "filled" and not tracked.fully_filled:
            self._log.error(f"{tracked.client_order_id} filled on the exchange but only {tracked.filled} seen")
        return status

    def _apply_order_outcome(self, tracked: TrackedOrder, outcome: Outcome) -> None:
        ts = self._clock.timestamp_ns()
        if outcome.kind in ("resting", "filled") and outcome.oid is not None:
            self._tracker.bind_oid(tracked, outcome.oid)
            self._accept_once(tracked, ts)
            # A "filled" reply's fills arrive on userFills (with their tid), never from here.
        elif outcome.kind == "error":
            self._reject_once(tracked, outcome.text or "rejected", due_post_only=outcome.due_post_only, ts=ts)

    def _accept_once(self, tracked: TrackedOrder, ts: int) -> None:
        if tracked.accepted or tracked.oid is None:
            return
        tracked.accepted = True
        self.generate_order_accepted(
            tracked.strategy_id, tracked.instrument_id, tracked.client_order_id, VenueOrderId(str(tracked.oid)), ts
        )

    async def _modify_order(self, command: ModifyOrder) -> None:
        """Cancel-replace via `batchModify`: the order gets a new oid (reported as `OrderUpdated`)."""
        order = self._cache.order(command.client_order_id)
        ts = self._clock.timestamp_ns()
        if order is None:
            self._log.error(f"cannot modify {command.client_order_id}: not in cache")
            return
        tracked = self._resolve_cached(order)
        venue_order_id = order.venue_order_id or VenueOrderId("-")
        if tracked.closed:
            self.generate_order_modify_rejected(
                order.strategy_id, order.instrument_id, order.client_order_id, venue_order_id, "order is closed", ts
            )
            return
        price = command.price.as_decimal() if command.price is not None else order.price.as_decimal()
        quantity = command.quantity.as_decimal() if command.quantity is not None else order.quantity.as_decimal()
        # The replacement is a new exchange order: it rests only what is still unfilled.
        remaining = quantity - tracked.filled
        try:
            if remaining <= 0:
                raise UnsupportedOrder(f"new quantity {quantity} is not above the filled {tracked.filled}")
            wire = wire_for_order(order, self._instrument(order), tracked.cloid, price=price, quantity=remaining)
        except (UnsupportedOrder, ValueError) as exc:
            self.generate_order_modify_rejected(
                order.strategy_id, order.instrument_id, order.client_order_id, venue_order_id, str(exc), ts
            )
            return
        target: int | str = tracked.oid if tracked.oid is not None else tracked.cloid  # type: ignore[assignment]
        tracked.modifying = True
        old_oid = tracked.oid
        try:
            (outcome,) = await self._send_action(batch_modify_action([modify_wire(target, wire)]), 1)
        except ActionFailed as exc:
            if exc.not_placed:
                self._end_modify(tracked, replaced=False)
                if not tracked.closed:
                    self.generate_order_modify_rejected(
                        order.strategy_id, order.instrument_id, order.client_order_id, venue_order_id,
                        f"modify not sent (the exchange did not receive it): {exc}", self._clock.timestamp_ns(),
                    )
            else:
                self._log.warning(f"modify of {order.client_order_id}: outcome unknown ({exc}); asking orderStatus")
                await self._settle_unknown_modify(order, tracked, old_oid, quantity, str(exc))
            return
        if outcome.kind == "error":
            self._end_modify(tracked, replaced=False)
            if not tracked.closed:
                self.generate_order_modify_rejected(
                    order.strategy_id, order.instrument_id, order.client_order_id, venue_order_id, outcome.text or "", ts
                )
            return
        self._end_modify(tracked, replaced=True)
        new_oid = outcome.oid
        if new_oid is not None and new_oid != tracked.oid:
            self._tracker.replace_oid(tracked, new_oid)
        instrument = self._instrument(order)
        tracked.quantity = quantity
        self.generate_order_updated(
            order.strategy_id,
            order.instrument_id,
            order.client_order_id,
            VenueOrderId(str(tracked.oid)),
            Quantity(float(quantity), instrument.size_precision),
            Price(float(wire["p"]), instrument.price_precision),
            None,
            self._clock.timestamp_ns(),
            venue_order_id_modified=new_oid is not None,
        )

    async def _settle_unknown_modify(
        self, order: Order, tracked: TrackedOrder, old_oid: int | None, quantity: Decimal, cause: str
    ) -> None:
        """A modify that got no reply: the order's cloid shows whether a replacement now stands."""
        info = None
        if tracked.cloid is not None:
            try:
                raw = await self._http.info({"type": "orderStatus", "user": self._address, "oid": tracked.cloid})
                reply = ORDER_STATUS_DECODER.decode(raw)
                info = reply.order if reply.status == "order" else None
            except Exception as exc:
                cause += f"; orderStatus failed: {type(exc).__name__}: {exc}"
        ts = self._clock.timestamp_ns()
        if info is not None and old_oid is not None and info.order.oid != old_oid:
            # The replacement exists: the modify took effect.
            self._end_modify(tracked, replaced=True)
            if info.order.oid != tracked.oid:
                self._tracker.replace_oid(tracked, info.order.oid)
            instrument = self._instrument(order)
            tracked.quantity = quantity
            self.generate_order_updated(
                order.strategy_id, order.instrument_id, order.client_order_id, VenueOrderId(str(tracked.oid)),
                Quantity(float(quantity), instrument.size_precision),
                Price(float(info.order.limitPx), instrument.price_precision), None, ts,
                venue_order_id_modified=True,
            )
            if info.status != "open":
                await self._settle_from_exchange(tracked)
            return
        self._end_modify(tracked, replaced=False)
        if info is not None and info.status != "open":
            await self._settle_from_exchange(tracked)
        if not tracked.closed:
            self.generate_order_modify_rejected(
                order.strategy_id, order.instrument_id, order.client_order_id,
                order.venue_order_id or VenueOrderId("-"),
                f"modify outcome unknown ({cause}); no replacement order found on the exchange", ts,
            )

    def _end_modify(self, tracked: TrackedOrder, *, replaced: bool) -> None:
        tracked.modifying = False
        deferred, tracked.deferred_cancel = tracked.deferred_cancel, None
        if deferred is None or replaced:
            return
        oid, ts = deferred
        if oid == tracked.oid and oid not in tracked.replaced_oids:
            self._cancel_once(tracked, ts)  # the order really is gone (no replacement was seen)

    def _resolve_cached(self, order: Order) -> TrackedOrder:
        """The tracked record of an order in the cache (adopted orders get one on first use)."""
        tracked = self._track(order)
        if tracked.oid is None and order.venue_order_id is not None and order.venue_order_id.value.isdigit():
            self._tracker.bind_oid(tracked, int(order.venue_order_id.value))
            tracked.accepted = True
            tracked.filled = order.filled_qty.as_decimal()
            # An adopted order's cloid is unknown (ours are derived; external ones have none).
            if order.is_closed:
                tracked.closed = True
        return tracked

    async def _cancel_order(self, command: CancelOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None:
            self._log.error(f"cannot cancel {command.client_order_id}: not in cache")
            return
        await self._cancel_orders([order])

    async def _batch_cancel_orders(self, command: BatchCancelOrders) -> None:
        orders = [self._cache.order(c.client_order_id) for c in command.cancels]
        await self._cancel_orders([o for o in orders if o is not None])

    async def _cancel_orders(self, orders: list[Order], *, rest_only: bool = False) -> None:
        by_oid: list[tuple[Order, TrackedOrder, int]] = []
        by_cloid: list[tuple[Order, TrackedOrder, int]] = []
        for order in orders:
            tracked = self._resolve_cached(order)
            asset = asset_of(self._instrument(order))
            (by_oid if tracked.oid is not None else by_cloid).append((order, tracked, asset))
        batches = []
        if by_oid:
            batches.append((cancel_action([(a, t.oid) for _, t, a in by_oid]), by_oid))  # type: ignore[misc]
        if by_cloid:
            batches.append((cancel_by_cloid_action([(a, t.cloid) for _, t, a in by_cloid]), by_cloid))  # type: ignore[misc]
        for action, entries in batches:
            try:
                outcomes = await self._send_action(action, len(entries), rest_only=rest_only)
            except ActionFailed as exc:
                for order, tracked, _ in entries:
                    if exc.not_placed:
                        self._reject_cancel(order, tracked, f"cancel not sent (the exchange did not receive it): {exc}")
                    else:
                        await self._settle_after_cancel(order, tracked, f"cancel outcome unknown: {exc}")
                continue
            ts = self._clock.timestamp_ns()
            for (order, tracked, _), outcome in zip(entries, outcomes, strict=True):
                if outcome.ok:
                    self._confirm_cancel(tracked, ts)
                elif (outcome.text or "").startswith(ORDER_NEVER_PLACED):
                    # Gone already (filled or canceled, maybe in the dark): the exchange's record decides.
                    await self._settle_after_cancel(order, tracked, outcome.text or "")
                else:
                    self._reject_cancel(order, tracked, outcome.text or "cancel rejected")

    def _reject_cancel(self, order: Order, tracked: TrackedOrder, reason: str) -> None:
        if tracked.closed:
            return
        self.generate_order_cancel_rejected(
            order.strategy_id,
            order.instrument_id,
            order.client_order_id,
            order.venue_order_id or VenueOrderId(str(tracked.oid or "-")),
            reason,
            self._clock.timestamp_ns(),
        )

    async def _settle_after_cancel(self, order: Order, tracked: TrackedOrder, reason: str) -> None:
        """A cancel without a plain success: settle the order from `orderStatus` (fills, then its
        cancel); only an order the exchange still has open gets `OrderCancelRejected`."""
        try:
            status = await self._settle_from_exchange(tracked)
        except Exception as exc:
            status = f"unavailable ({type(exc).__name__}: {exc})"
        if not tracked.closed:
            self._reject_cancel(order, tracked, f"{reason}; exchange order status: {status}")

    def _confirm_cancel(self, tracked: TrackedOrder, ts: int) -> None:
        """The exchange canceled the order. While the user stream is down, fills of this order may
        still be unknown: the cancel then waits for the reconciliation, which applies fills first."""
        if self.halted and not tracked.closed:
            self._cancels_in_dark[tracked.client_order_id] = tracked
            return
        self._cancel_once(tracked, ts)

    def _cancel_once(self, tracked: TrackedOrder, ts: int) -> None:
        if tracked.closed:
            return
        tracked.closed = True
        self.generate_order_canceled(
            tracked.strategy_id,
            tracked.instrument_id,
            tracked.client_order_id,
            VenueOrderId(str(tracked.oid)) if tracked.oid is not None else None,
            ts,
        )

    async def _cancel_all_orders(self, command: CancelAllOrders) -> None:
        """Cancel what the exchange has open (not only what the cache knows), over REST with failover."""
        coin = coin_of(command.instrument_id) if command.instrument_id is not None else None
        await self.cancel_all_on_exchange(coin, command.order_side)

    async def cancel_all_on_exchange(self, coin: str | None = None, side: OrderSide = OrderSide.NO_ORDER_SIDE) -> int:
        """Cancel every open order (of `coin`, of `side`) the exchange lists; returns how many were canceled.

        Goes over REST so the backup endpoints serve it when the primary is down (the risk
        actor's panic path), and the cancels are sent before anything else is asked.
        """
        raw = await self._http.info({"type": "openOrders", "user": self._address})
        open_orders = [
            o
            for o in OPEN_ORDERS_DECODER.decode(raw)
            if (coin is None or o.coin == coin)
            and (side == OrderSide.NO_ORDER_SIDE or side_of(o.side) == side)
        ]
        entries: list[tuple[BasicOrder, int]] = []
        for o in open_orders:
            instrument = self._provider.instrument_for_coin(o.coin)
            if instrument is None:
                self._log.warning(f"open order {o.oid} on unlisted coin {o.coin} left alone")
                continue
            entries.append((o, asset_of(instrument)))
        if not entries:
            return 0
        outcomes = await self._send_action(
            cancel_action([(asset, o.oid) for o, asset in entries]), len(entries), rest_only=True
        )
        ts = self._clock.timestamp_ns()
        canceled = 0
        for (o, _), outcome in zip(entries, outcomes, strict=True):
            tracked = self._resolve_exchange_order(o.oid, o.cloid)
            if not outcome.ok:
                self._log.warning(f"cancel-all: oid {o.oid} not canceled: {outcome.text}")
                if tracked is not None and (outcome.text or "").startswith(ORDER_NEVER_PLACED):
                    try:
                        await self._settle_from_exchange(tracked)  # filled or canceled just before
                    except Exception as exc:
                        self._log.warning(f"orderStatus for oid {o.oid} failed: {type(exc).__name__}: {exc}")
                continue
            canceled += 1
            if tracked is not None:
                self._confirm_cancel(tracked, ts)
        self._log.info(f"cancel-all canceled {canceled}/{len(entries)} open orders")
        return canceled

    async def _query_account(self, command: QueryAccount) -> None:
        await self._refresh_account()

    # -- user stream -----------------------------------------------------------------------------

    def _on_ws_message(self, channel: str, data: bytes, recv_ns: int) -> None:
        try:
            if channel == "orderUpdates":
                for update in ORDER_UPDATES_DECODER.decode(data):
                    self._on_order_update(update)
            elif channel == "userFills":
                user_fills = USER_FILLS_DECODER.decode(data)
                self._on_fills(user_fills.fills)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._log.error(f"bad {channel} message dropped ({exc}): {data[:300]!r}")

    def _resolve_exchange_order(self, oid: int, cloid: str | None) -> TrackedOrder | None:
        tracked = self._tracker.resolve(oid, cloid)
        if tracked is not None:
            return tracked
        # Not placed by this client instance: an order adopted at start-up is known by its venue id.
        client_order_id = self._cache.client_order_id(VenueOrderId(str(oid)))
        order = self._cache.order(client_order_id) if client_order_id is not None else None
        return self._resolve_cached(order) if order is not None else None

    def _on_order_update(self, update: OrderUpdate) -> None:
        o = update.order
        tracked = self._resolve_exchange_order(o.oid, o.cloid)
        if tracked is None:
            self._log.debug(f"order update for unknown oid {o.oid} ({update.status})")
            return
        ts = update.statusTimestamp * _NS_PER_MS
        if o.oid in tracked.replaced_oids:
            return  # the cancel half of our own modify
        if update.status == "open":
            if tracked.closed and not tracked.accepted:
                # Declared not placed (its submit's outcome was unknown) but it rests after all:
                # an orphan nobody tracks, so it is taken off the book.
                self._log.error(f"{tracked.client_order_id} was reported rejected but rests as oid {o.oid}: canceling it")
                self.create_task(self._cancel_orphan(o), log_msg="orphan cancel")
                return
            if tracked.oid is None:
                self._tracker.bind_oid(tracked, o.oid)
            elif o.oid != tracked.oid and tracked.accepted and o.cloid is not None and o.cloid.lower() == tracked.cloid:
                # The replacement of our modify (same cloid), possibly seen before the modify's reply.
                self._tracker.replace_oid(tracked, o.oid)
            self._accept_once(tracked, ts)
        elif update.status in CANCELED_STATUSES:
            if tracked.oid is not None and o.oid != tracked.oid:
                return  # an older oid of a modified order
            if tracked.modifying:
                tracked.deferred_cancel = (o.oid, ts)  # decided by the modify's reply
                return
            if update.status != "canceled":
                self._log.warning(f"{tracked.client_order_id} canceled by the exchange: {update.status}")
            self._cancel_once(tracked, ts)
        elif update.status in REJECTED_STATUSES:
            self._reject_once(tracked, update.status, due_post_only=update.status == _BAD_ALO_PX, ts=ts)
        # "filled": the fill events come from userFills.

    async def _cancel_orphan(self, o: BasicOrder) -> None:
        instrument = self._provider.instrument_for_coin(o.coin)
        if instrument is None:
            return
        try:
            (outcome,) = await self._send_action(cancel_action([(asset_of(instrument), o.oid)]), 1)
        except ActionFailed as exc:
            self._log.error(f"orphan oid {o.oid} not canceled: {exc}")
            return
        if not outcome.ok:
            self._log.error(f"orphan oid {o.oid} not canceled: {outcome.text}")

    def _on_fills(self, fills: list[Fill]) -> int:
        """Emit each fill of ours once (by tid); returns how many were new."""
        emitted = 0
        for fill in sorted(fills, key=lambda f: (f.time, f.tid)):
            problem = fill_problem(fill, self._provider.instrument_for_coin(fill.coin))
            if problem is not None:
                # Not marked as seen: a valid copy (e.g. from the REST diff) can still be applied.
                self._log.error(f"fill {fill.tid} dropped: {problem}")
                continue
            if not self._tracker.first_sight_of_fill(fill.tid, fill.time):
                continue
            tracked = self._resolve_exchange_order(fill.oid, fill.cloid)
            if tracked is None:
                self._on_external_fill(fill)
                continue
            if self._emit_fill(tracked, fill):
                emitted += 1
        if emitted:
            self._schedule_account_refresh()
        return emitted

    # -- fills of orders placed outside this node ----------------------------------------------------

    def _on_external_fill(self, fill: Fill) -> None:
        """A fill of an order this node did not place (another client on the same account, the web
        UI, a liquidation). The order is adopted with its fills through a reconciliation report, as
        at start-up: the cache's position, which the strategy's inventory and the risk limits come
        from, stays the exchange's."""
        if self._provider.instrument_for_coin(fill.coin) is None or fill.time < self._adopt_fills_from_ms:
            self._log.debug(f"fill {fill.tid} of order {fill.oid} (not this node's, {fill.coin}) not emitted")
            return
        pending = self._external_fills.setdefault(fill.oid, [])
        pending.append(fill)
        if len(pending) == 1:  # one adoption per order; later fills ride along until it is sent
            self.create_task(self._adopt_external_order(fill.oid, fill.coin), log_msg=f"adopting external order {fill.oid}")

    async def _adopt_external_order(self, oid: int, coin: str) -> None:
        instrument = self._provider.instrument_for_coin(coin)
        try:
            while self.reconciliation_active:
                # Start-up reconciliation is reporting fills: those it reports are Nautilus's already.
                await asyncio.sleep(0.05)
            report = await self._external_order_status(oid, instrument)
            if report is not None:
                # orderStatus may count fills not pushed yet: take every fill of the order the
                # exchange has, so the adopted order is made of real fills only.
                raw = await self._http.info(
                    {"type": "userFillsByTime", "user": self._address, "startTime": report.ts_accepted // _NS_PER_MS}
                )
                for fill in FILLS_DECODER.decode(raw):
                    if fill.oid != oid or fill.time < self._adopt_fills_from_ms:
                        continue  # older ones are the start-up reconciliation's
                    if fill_problem(fill, instrument) is None and self._tracker.first_sight_of_fill(fill.tid, fill.time):
                        self._external_fills[oid].append(fill)
        except Exception as exc:
            # Unseen again: the next fill audit (or reconnect) brings them back for another try.
            fills = self._external_fills.pop(oid, [])
            for fill in fills:
                self._tracker.forget_fill(fill.tid)
            if fills:  # the next audit's window reaches back to them
                self._audited_until_ms = min(self._audited_until_ms, min(f.time for f in fills))
            self.external_fills_unapplied += len(fills)
            self._log.error(f"external order {oid}: {len(fills)} fill(s) not applied yet ({type(exc).__name__}: {exc})")
            return
        # No await from here to the send: a fill of this order arriving meanwhile is in the list, and
        # once the reports are processed (synchronously) the order is in the cache and found directly.
        fills = [f for f in self._external_fills.pop(oid, []) if f.tid not in self._reconciled_tids]
        if not fills:
            return
        ts = self._clock.timestamp_ns()
        mass_status = ExecutionMassStatus(self.id, self.account_id, self.venue, UUID4(), ts)
        for order_report, fill_reports in adoption_reports(report, fills, instrument, self.account_id, ts):
            mass_status.add_order_reports([order_report])
            mass_status.add_fill_reports(fill_reports)
        self._log.warning(f"adopting order {oid} placed outside this node with {len(fills)} fill(s)")
        self._send_mass_status_report(mass_status)
        self.external_fills_adopted += len(fills)
        self._schedule_account_refresh()

    async def _external_order_status(self, oid: int, instrument: Instrument) -> OrderStatusReport | None:
        """The exchange's record of an order (None: it keeps none), retrying transport errors; the
        last attempt's error goes to the caller."""
        command = GenerateOrderStatusReport(instrument.id, None, VenueOrderId(str(oid)), UUID4(), self._clock.timestamp_ns())
        *retries, last = _EXTERNAL_ORDER_RETRY_SECS
        for delay in retries:
            await asyncio.sleep(delay)
            try:
                return await self.generate_order_status_report(command)
            except _HTTP_ERRORS_KNOWING_DELIVERY as exc:
                self._log.warning(f"external order {oid}: orderStatus failed ({exc}); retrying")
        await asyncio.sleep(last)
        return await self.generate_order_status_report(command)

    # -- fill audit ----------------------------------------------------------------------------------

    async def _fill_audit_loop(self) -> None:
        interval = self._config.fill_audit_interval_secs
        while True:
            await asyncio.sleep(interval)
            if self.halted or self.reconciliation_active:
                continue  # the reconnect's own catch-up (or start-up reconciliation) covers this time
            try:
                await self.audit_fills()
            except Exception as exc:  # the next round asks again, from where this one would have
                self._log.warning(f"fill audit failed ({type(exc).__name__}: {exc})")

    async def audit_fills(self) -> int:
        """Apply what the stream did not deliver (a push lost on the way, an order placed outside
        the node): the exchange's fills, then the end of our orders it no longer lists. Returns how
        many of the node's own fills were recovered."""
        now_ms = time.time_ns() // _NS_PER_MS
        # Open orders first: an order missing from them ended before the fills are asked for.
        raw_open = await self._http.info({"type": "openOrders", "user": self._address})
        # Overlapping windows: a fill a little late in the exchange's record is still asked for.
        since_ms = max(self._adopt_fills_from_ms, self._audited_until_ms - _FILL_AUDIT_OVERLAP_MS)
        raw = await self._http.info({"type": "userFillsByTime", "user": self._address, "startTime": since_ms})
        recovered = self._on_fills(FILLS_DECODER.decode(raw))
        self._audited_until_ms = now_ms
        if recovered:
            self._log.warning(f"fill audit: {recovered} fill(s) the stream had not delivered applied")
        self.audit_fills_recovered += recovered
        for tracked in self._unlisted_orders(OPEN_ORDERS_DECODER.decode(raw_open)):
            if tracked.modifying:
                continue  # mid cancel-replace: its old oid is gone on purpose
            # Not listed: its own record decides (it may also have been placed after the snapshot).
            status = await self._settle_from_exchange(tracked)
            if tracked.closed:
                self.audit_orders_settled += 1
                self._log.warning(f"fill audit: {tracked.client_order_id} ended on the exchange ({status}) unseen")
        return recovered

    def _emit_fill(self, tracked: TrackedOrder, fill: Fill) -> bool:
        instrument = self._cache.instrument(tracked.instrument_id)
        if instrument is None:
            self._log.error(f"fill {fill.tid}: instrument {tracked.instrument_id} not in cache")
            return False
        order = self._cache.order(tracked.client_order_id)
        trade_id = TradeId(str(fill.tid))
        if order is not None and trade_id in order.trade_ids:
            return False  # already applied (e.g. by reconciliation)
        if tracked.oid is None:
            self._tracker.bind_oid(tracked, fill.oid)
        ts = fill.time * _NS_PER_MS
        self._accept_once(tracked, ts)
        tracked.filled += Decimal(fill.sz)
        self.generate_order_filled(
            tracked.strategy_id,
            tracked.instrument_id,
            tracked.client_order_id,
            VenueOrderId(str(fill.oid)),
            None,
            trade_id,
            tracked.side,
            tracked.order_type,
            Quantity(float(fill.sz), instrument.size_precision),
            Price(float(fill.px), instrument.price_precision),
            USDC,
            Money(Decimal(fill.fee), USDC),
            LiquiditySide.TAKER if fill.crossed else LiquiditySide.MAKER,
            ts,
        )
        if tracked.fully_filled:
            tracked.closed = True
        return True

    # -- account ---------------------------------------------------------------------------------

    async def fetch_clearinghouse_state(self) -> ClearinghouseState:
        raw = await self._http.info({"type": "clearinghouseState", "user": self._address})
        return CLEARINGHOUSE_DECODER.decode(raw)

    async def _refresh_account(self, state: ClearinghouseState | None = None) -> None:
        try:
            state = state or await self.fetch_clearinghouse_state()
        except Exception as exc:
            self._log.warning(f"clearinghouseState unavailable: {type(exc).__name__}: {exc}")
            return
        try:
            balance = account_balance(state)
        except ValueError as exc:  # the last good account state stays in force
            self._log.error(f"clearinghouseState not applied: {exc}")
            return
        self.generate_account_state(
            balances=[balance],
            margins=[],
            reported=True,
            ts_event=(state.time or 0) * _NS_PER_MS or self._clock.timestamp_ns(),
        )

    def _schedule_account_refresh(self) -> None:
        if self._account_refresh_pending:
            return
        self._account_refresh_pending = True

        async def refresh() -> None:
            await asyncio.sleep(0.2)  # coalesce a burst of fills into one request
            self._account_refresh_pending = False
            await self._refresh_account()

        self.create_task(refresh(), log_msg="account refresh")

    # -- reconnect: halt, reconcile in the dark, resume --------------------------------------------

    async def _on_user_ws_lost(self) -> None:
        if not self.halted:
            # Fills applied while halted (e.g. by `orderStatus` settlements) must not move the
            # start of the dark window that reconciliation asks `userFillsByTime` for.
            self._dark_since_ms = self._tracker.last_fill_ms
        self.halted = True
        self._log.warning("user WS lost: publishing VenueHalt")
        self._msgbus.publish(TOPIC_VENUE_HALT, VenueHalt("user stream lost", self._clock.timestamp_ns()))

    async def _on_user_ws_back(self) -> None:
        attempt = 0
        while True:
            try:
                await self.reconcile_with_exchange()
                break
            except Exception as exc:
                delay = backoff_delay(
                    attempt, self._config.reconnect_backoff_initial_secs, self._config.reconnect_backoff_max_secs,
                    _RNG,
                )
                self._log.warning(f"reconciliation after reconnect failed ({type(exc).__name__}: {exc}); retry in {delay:.1f} s")
                attempt += 1
                await asyncio.sleep(delay)
        self.halted = False
        self._log.info("user WS back and state reconciled: publishing VenueResume")
        self._msgbus.publish(TOPIC_VENUE_RESUME, VenueResume("user stream restored", self._clock.timestamp_ns()))

    async def reconcile_with_exchange(self) -> tuple[int, int]:
        """Apply what happened while the user stream was down; returns (fills, cancels) emitted."""
        known_ms = [ms for ms in (self._dark_since_ms, self._tracker.last_fill_ms) if ms]
        since_ms = min(known_ms) if known_ms else 0
        # Open orders first: an order missing from them ended before the fills are asked for, so
        # all its fills are in that reply (fills, then cancels, in the order they happened).
        raw_open = await self._http.info({"type": "openOrders", "user": self._address})
        raw_fills = await self._http.info({"type": "userFillsByTime", "user": self._address, "startTime": since_ms})
        state = await self.fetch_clearinghouse_state()
        fills = FILLS_DECODER.decode(raw_fills)
        open_orders = OPEN_ORDERS_DECODER.decode(raw_open)
        n_fills = self._on_fills(fills)
        ts = self._clock.timestamp_ns()
        n_cancels = 0
        for tracked in self._unlisted_orders(open_orders):
            self._cancel_once(tracked, ts)
            n_cancels += 1
        # Cancels confirmed in the dark after the open-orders snapshot: each from its own record.
        for tracked in list(self._cancels_in_dark.values()):
            if not tracked.closed:
                await self._settle_from_exchange(tracked)
                if tracked.closed:
                    n_cancels += 1
        self._cancels_in_dark.clear()
        self._dark_since_ms = None
        await self._refresh_account(state)
        # The emitted events reach the cache through the engine's queue: compare a moment later.
        self.create_task(self._check_positions_later(state), log_msg="position check")
        self.dark_fills_recovered += n_fills
        self.dark_cancels_recovered += n_cancels
        self._log.info(f"reconciled after reconnect: {n_fills} fills and {n_cancels} cancels happened in the dark")
        return n_fills, n_cancels

    def _unlisted_orders(self, open_orders: list[BasicOrder]) -> list[TrackedOrder]:
        """Our accepted, not fully filled orders missing from an `openOrders` snapshot (ones still
        in flight are settled by their reply)."""
        open_oids = {o.oid for o in open_orders}
        open_cloids = {o.cloid.lower() for o in open_orders if o.cloid}
        return [
            t for t in self._tracker.open_orders()
            if t.accepted and not t.fully_filled
            and t.oid not in open_oids and (t.cloid is None or t.cloid not in open_cloids)
        ]

    async def _check_positions_later(self, state: ClearinghouseState, delay_secs: float = 0.5) -> None:
        await asyncio.sleep(delay_secs)
        # Orders placed outside the node that filled in the dark are still being adopted: their
        # fills are part of the exchange's position, so the comparison waits for them (bounded).
        deadline = time.monotonic() + 10.0
        while self._external_fills and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        self.check_positions(state)

    def check_positions(self, state: ClearinghouseState) -> list[str]:
        """Coins whose net position in the cache differs from the exchange's `szi` (logged as errors)."""
        exchange = {p.position.coin: exchange_decimal(f"{p.position.coin} szi", p.position.szi) for p in state.assetPositions}
        mismatched = []
        for coin in self._provider.coins:
            instrument = self._provider.instrument_for_coin(coin)
            if instrument is None:
                continue
            cached = sum(
                (Decimal(str(p.signed_decimal_qty())) for p in self._cache.positions_open(instrument_id=instrument.id)),
                Decimal(0),
            )
            if cached != exchange.get(coin, Decimal(0)):
                mismatched.append(coin)
                self._log.error(f"position mismatch on {coin}: cache {cached} vs exchange {exchange.get(coin, 0)}")
        self.position_mismatches += len(mismatched)
        return mismatched

    # -- dead man's switch ---------------------------------------------------------------------------

    async def _schedule_cancel_loop(self) -> None:
        interval = self._config.schedule_cancel_interval_secs
        while True:
            await self.refresh_schedule_cancel()
            await asyncio.sleep(interval)

    async def refresh_schedule_cancel(self) -> bool:
        """Arm the switch `schedule_cancel_horizon_secs` ahead; False (quoting goes on) when refused."""
        when_ms = time.time_ns() // _NS_PER_MS + int(self._config.schedule_cancel_horizon_secs * 1000)
        try:
            (outcome,) = await self._send_action(schedule_cancel_action(when_ms), 1)
        except ActionFailed as exc:
            self._log.warning(f"scheduleCancel not refreshed: {exc}")
            return False
        if outcome.ok:
            self.schedule_cancel_refused = None
            return True
        text = outcome.text or ""
        if text.startswith(SCHEDULE_CANCEL_VOLUME_GATE):
            if self.schedule_cancel_refused is None:
                self._log.warning(
                    f"dead man's switch (scheduleCancel) refused by the exchange's volume gate: {text} "
                    "-- quoting continues without it"
                )
        else:
            self._log.warning(f"scheduleCancel refused: {text} -- quoting continues without it")
        self.schedule_cancel_refused = text
        return False

    # -- reports for reconciliation ------------------------------------------------------------------

    def _client_order_id_for(self, oid: int, cloid: str | None) -> ClientOrderId | None:
        coid = self._tracker.cloids.resolve(oid, cloid)
        return coid or self._cache.client_order_id(VenueOrderId(str(oid)))

    async def generate_order_status_report(self, command: GenerateOrderStatusReport) -> OrderStatusReport | None:
        if command.venue_order_id is not None and command.venue_order_id.value.isdigit():
            key: int | str = int(command.venue_order_id.value)
        elif command.client_order_id is not None:
            key = cloid_for(command.client_order_id)
        else:
            return None
        raw = await self._http.info({"type": "orderStatus", "user": self._address, "oid": key})
        reply = ORDER_STATUS_DECODER.decode(raw)
        if reply.status != "order" or reply.order is None:
            return None
        info = reply.order
        instrument = self._provider.instrument_for_coin(info.order.coin)
        if instrument is None:
            return None
        report = order_status_report(
            info.order, info.status, instrument, self.account_id,
            command.client_order_id or self._client_order_id_for(info.order.oid, info.order.cloid),
            info.statusTimestamp, self._clock.timestamp_ns(),
        )
        return self._as_applied(report, info.order, instrument)

    async def generate_order_status_reports(self, command: GenerateOrderStatusReports) -> list[OrderStatusReport]:
        """Open orders on the exchange (closed ones are settled by the fill reports).

        `frontendOpenOrders` adds tif and reduce-only, so adopted orders keep their post-only flag.
        """
        raw = await self._http.info({"type": "frontendOpenOrders", "user": self._address})
        ts = self._clock.timestamp_ns()
        reports = []
        for o in OPEN_ORDERS_DECODER.decode(raw):
            instrument = self._provider.instrument_for_coin(o.coin)
            if instrument is None or (command.instrument_id is not None and instrument.id != command.instrument_id):
                continue
            report = order_status_report(
                o, "open", instrument, self.account_id, self._client_order_id_for(o.oid, o.cloid), o.timestamp, ts
            )
            reports.append(self._as_applied(report, o, instrument))
        self._log.info(f"generated {len(reports)} order status reports")
        return reports

    def _as_applied(self, report: OrderStatusReport, order: BasicOrder, instrument: Instrument) -> OrderStatusReport:
        """While running, a report of one of our orders states the quantity and fills this client
        has applied, not the exchange's: Nautilus's open-order and in-flight checks would otherwise
        book an inferred fill (with an invented trade id; the real one would then count again) or
        shrink a modified order to its replacement's size (then refuse its last fill as an
        overfill). Fills the exchange has and we lack are fetched by a fill audit started here."""
        if self.reconciliation_active:
            return report  # start-up: Nautilus builds the order from these reports and the fill reports
        tracked = self._tracker.resolve(order.oid, order.cloid)
        if tracked is None:
            return report
        behind = report.filled_qty.as_decimal() > tracked.filled
        report.quantity = qty_of(tracked.quantity, instrument)
        report.filled_qty = qty_of(tracked.filled, instrument)
        # Until the audit applies the missing fills, the order is reported as still working.
        if behind or report.order_status in (OrderStatus.ACCEPTED, OrderStatus.PARTIALLY_FILLED):
            report.order_status = OrderStatus.PARTIALLY_FILLED if tracked.filled > 0 else OrderStatus.ACCEPTED
        if behind:
            self._start_fill_audit()
        return report

    def _start_fill_audit(self) -> None:
        if self._audit_soon is None or self._audit_soon.done():
            self._audit_soon = self.create_task(self.audit_fills(), log_msg="fill audit")

    async def generate_fill_reports(self, command: GenerateFillReports) -> list[FillReport]:
        start_ms = (
            int(command.start.timestamp() * 1000)
            if command.start is not None
            else time.time_ns() // _NS_PER_MS - self._config.fills_lookback_mins * 60_000
        )
        request: dict[str, Any] = {"type": "userFillsByTime", "user": self._address, "startTime": start_ms}
        if command.end is not None:
            request["endTime"] = int(command.end.timestamp() * 1000)
        fills = FILLS_DECODER.decode(await self._http.info(request))
        ts = self._clock.timestamp_ns()
        reports = []
        for fill in fills:
            instrument = self._provider.instrument_for_coin(fill.coin)
            if instrument is None or (command.instrument_id is not None and instrument.id != command.instrument_id):
                continue
            if command.venue_order_id is not None and command.venue_order_id.value != str(fill.oid):
                continue
            problem = fill_problem(fill, instrument)
            if problem is not None:
                self._log.error(f"fill {fill.tid} left out of the reports: {problem}")
                continue
            if self.reconciliation_active:
                # Start-up reconciliation applies these itself: the stream must not emit them again.
                self._tracker.mark_fill_seen(fill.tid)
                self._reconciled_tids.add(fill.tid)
            reports.append(
                fill_report(fill, instrument, self.account_id, self._client_order_id_for(fill.oid, fill.cloid), ts)
            )
        self._log.info(f"generated {len(reports)} fill reports")
        return reports

    async def generate_position_status_reports(
        self,
        command: GeneratePositionStatusReports,
    ) -> list[PositionStatusReport]:
        state = await self.fetch_clearinghouse_state()
        by_coin = {coin: inst for coin in self._provider.coins if (inst := self._provider.instrument_for_coin(coin))}
        reports = position_reports(state, by_coin, self.account_id, self._clock.timestamp_ns())
        if command.instrument_id is not None:
            reports = [r for r in reports if r.instrument_id == command.instrument_id]
        self._log.info(f"generated {len(reports)} position status reports")
        return reports

