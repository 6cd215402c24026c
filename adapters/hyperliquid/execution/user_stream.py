"""The user stream: `orderUpdates` (accepted, canceled, rejected) and `userFills` as order events.

A canceled update of an order's old oid is the cancel half of our own modify and says nothing;
one that comes while a modify is in flight waits for the modify's reply. An order declared not
placed that rests after all is an orphan and is taken off the book.
"""

from __future__ import annotations

import msgspec

from adapters.hyperliquid.common.constants import CANCELED_STATUSES
from adapters.hyperliquid.common.constants import POST_ONLY_REJECTED_STATUS
from adapters.hyperliquid.common.constants import REJECTED_STATUSES
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.actions import ActionFailed
from adapters.hyperliquid.execution.actions import ExchangeActions
from adapters.hyperliquid.execution.fills import FillIntake
from adapters.hyperliquid.execution.order_events import NS_PER_MS
from adapters.hyperliquid.execution.order_events import OrderEvents
from adapters.hyperliquid.execution.tasks import StartTask
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.parsing.order_wires import asset_of
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import ORDER_UPDATES_DECODER
from adapters.hyperliquid.schemas.user import USER_FILLS_DECODER
from adapters.hyperliquid.schemas.user import BasicOrder
from adapters.hyperliquid.schemas.user import OrderUpdate
from adapters.hyperliquid.signing import cancel_action


def user_subscriptions(address: str) -> list[dict[str, str]]:
    return [{"type": "orderUpdates", "user": address}, {"type": "userFills", "user": address}]


class UserStream:
    def __init__(
        self,
        tracker: OrderTracker,
        events: OrderEvents,
        fills: FillIntake,
        actions: ExchangeActions,
        provider: HyperliquidInstrumentProvider,
        start_task: StartTask,
        log: LogLike,
    ) -> None:
        self._tracker = tracker
        self._events = events
        self._fills = fills
        self._actions = actions
        self._provider = provider
        self._start_task = start_task
        self._log = log

    def on_message(self, channel: str, data: bytes, recv_ns: int) -> None:
        try:
            if channel == "orderUpdates":
                for update in ORDER_UPDATES_DECODER.decode(data):
                    self.on_order_update(update)
            elif channel == "userFills":
                self._fills.apply(USER_FILLS_DECODER.decode(data).fills)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._log.error(f"bad {channel} message dropped ({exc}): {data[:300]!r}")

    def on_order_update(self, update: OrderUpdate) -> None:
        o = update.order
        tracked = self._events.resolve(o.oid, o.cloid)
        if tracked is None:
            self._log.debug(f"order update for unknown oid {o.oid} ({update.status})")
            return
        ts = update.statusTimestamp * NS_PER_MS
        if o.oid in tracked.replaced_oids:
            return  # the cancel half of our own modify
        if update.status == "open":
            if tracked.closed and not tracked.accepted:
                # Declared not placed (its submit's outcome was unknown) but it rests after all:
                # an orphan nobody tracks, so it is taken off the book.
                self._log.error(f"{tracked.client_order_id} was reported rejected but rests as oid {o.oid}: canceling it")
                self._start_task(self._cancel_orphan(o), "orphan cancel")
                return
            if tracked.oid is None:
                self._tracker.bind_oid(tracked, o.oid)
            elif o.oid != tracked.oid and tracked.accepted and o.cloid is not None and o.cloid.lower() == tracked.cloid:
                # The replacement of our modify (same cloid), possibly seen before the modify's reply.
                self._tracker.replace_oid(tracked, o.oid)
            self._events.accept_once(tracked, ts)
        elif update.status in CANCELED_STATUSES:
            if self._events.canceled_on_exchange(tracked, o.oid, ts) and update.status != "canceled":
                self._log.warning(f"{tracked.client_order_id} canceled by the exchange: {update.status}")
        elif update.status in REJECTED_STATUSES:
            self._events.reject_once(
                tracked, update.status, due_post_only=update.status == POST_ONLY_REJECTED_STATUS, ts=ts
            )
        # "filled": the fill events come from userFills.

    async def _cancel_orphan(self, o: BasicOrder) -> None:
        instrument = self._provider.instrument_for_coin(o.coin)
        if instrument is None:
            return
        try:
            (outcome,) = await self._actions.send(cancel_action([(asset_of(instrument), o.oid)]), 1)
        except ActionFailed as exc:
            self._log.error(f"orphan oid {o.oid} not canceled: {exc}")
            return
        if not outcome.ok:
            self._log.error(f"orphan oid {o.oid} not canceled: {outcome.text}")
