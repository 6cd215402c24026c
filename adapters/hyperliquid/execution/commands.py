"""Order commands as exchange actions: submit (one `order` batch), modify (one `batchModify` of
one or several, cancel-replace), cancel (by oid, or by cloid before the oid is known) and cancel-all.

Each reply settles the order at once (accepted, rejected, canceled); an action the exchange
certainly did not receive is rejected with the reason, and one whose outcome is unknown is
left to the settlement (the exchange's record of the order).
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.execution.messages import BatchCancelOrders
from nautilus_trader.execution.messages import CancelOrder
from nautilus_trader.execution.messages import ModifyOrder
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.identifiers import ClientOrderId
from nautilus_trader.model.orders import Order

from adapters.hyperliquid.common.constants import HYPERLIQUID_VENUE
from adapters.hyperliquid.common.constants import ORDER_NEVER_PLACED
from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.actions import ActionFailed
from adapters.hyperliquid.execution.actions import ExchangeActions
from adapters.hyperliquid.execution.actions import cancel_listed_orders
from adapters.hyperliquid.execution.order_events import OrderEvents
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.execution.recovery import ReconnectRecovery
from adapters.hyperliquid.execution.settlement import Settlement
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.execution.tracking import TrackedOrder
from adapters.hyperliquid.http.errors import REST_ERRORS
from adapters.hyperliquid.parsing.instruments import coin_of
from adapters.hyperliquid.parsing.order_wires import UnsupportedOrder
from adapters.hyperliquid.parsing.order_wires import asset_of
from adapters.hyperliquid.parsing.order_wires import wire_for_order
from adapters.hyperliquid.parsing.replies import Outcome
from adapters.hyperliquid.parsing.reports import side_of
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import BasicOrder
from adapters.hyperliquid.signing import batch_modify_action
from adapters.hyperliquid.signing import cancel_action
from adapters.hyperliquid.signing import cancel_by_cloid_action
from adapters.hyperliquid.signing import modify_wire
from adapters.hyperliquid.signing import order_action

# How long a cancel waits for its order's submit to reach this client (see `Commands._once_submitted`).
SUBMIT_AHEAD_WAIT_S = 1.0
# How long a cancel-all waits for the answer to a submit or modify that was on its way when it came
# (see `Commands.cancel_all_on_exchange`); the action's own timeouts and settlement end sooner.
ON_THE_WAY_WAIT_S = 30.0
# (order, its record, its asset id)
_CancelEntry = tuple[Order, TrackedOrder, int]
# (order, its record, its batchModify entry, the oid it replaces, the new quantity, the wire price)
_ModifyEntry = tuple[Order, TrackedOrder, dict[str, Any], int | None, Decimal, str]


def initialized_order_ids(cache: Cache, **where: Any) -> set[ClientOrderId]:
    """The ids of the cached orders (of `where`: venue=, instrument_id=) in none of the cache's state
    indexes (closed, open, in flight, emulated): initialized, not submitted yet. As set differences,
    because a long-running node's cache holds every order it ever had: building those orders to
    read their status costs ten times more (bench/order_path.py)."""
    return (cache.client_order_ids(**where) - cache.client_order_ids_closed(**where)
            - cache.client_order_ids_open(**where) - cache.client_order_ids_inflight(**where)
            - cache.client_order_ids_emulated(**where))


class Commands:
    def __init__(
        self,
        actions: ExchangeActions,
        queries: AccountQueries,
        tracker: OrderTracker,
        events: OrderEvents,
        settlement: Settlement,
        reconnect: ReconnectRecovery,
        provider: HyperliquidInstrumentProvider,
        cache: Cache,
        clock: LiveClock,
        log: LogLike,
    ) -> None:
        self._actions = actions
        self._queries = queries
        self._tracker = tracker
        self._events = events
        self._settlement = settlement
        self._reconnect = reconnect
        self._provider = provider
        self._cache = cache
        self._clock = clock
        self._log = log
        # Orders whose submit or modify has left and is not answered yet → done once it is.
        self._on_the_wire: dict[ClientOrderId, asyncio.Future[None]] = {}

    def _sending(self, orders: list[TrackedOrder]) -> asyncio.Future[None]:
        """Marks `orders` as on the wire until the returned future is passed to `_answered`."""
        done = asyncio.get_running_loop().create_future()
        for tracked in orders:
            self._on_the_wire[tracked.client_order_id] = done
        return done

    def _answered(self, orders: list[TrackedOrder], done: asyncio.Future[None]) -> None:
        for tracked in orders:
            if self._on_the_wire.get(tracked.client_order_id) is done:
                del self._on_the_wire[tracked.client_order_id]
        done.set_result(None)

    # -- submit --------------------------------------------------------------------------------------

    async def submit(self, orders: list[Order]) -> None:
        """All orders as one `order` action (a batch), each with its cloid."""
        ts = self._clock.timestamp_ns()
        wires: list[dict[str, Any]] = []
        sent: list[TrackedOrder] = []
        for order in orders:
            self._events.submitted(order, ts)
            tracked = self._events.track(order)
            try:
                wires.append(wire_for_order(order, self._events.instrument(order), tracked.cloid))
            except (UnsupportedOrder, ValueError) as exc:
                self._events.reject_once(tracked, str(exc), ts=ts)
                continue
            sent.append(tracked)
        if not wires:
            return
        done = self._sending(sent)
        try:
            await self._send_orders(wires, sent)
        finally:
            self._answered(sent, done)

    async def _send_orders(self, wires: list[dict[str, Any]], sent: list[TrackedOrder]) -> None:
        try:
            outcomes = await self._actions.send(order_action(wires), len(wires))
        except ActionFailed as exc:
            if exc.not_placed:
                for tracked in sent:
                    self._events.reject_once(tracked, f"order not placed (the exchange did not receive it): {exc}")
                return
            # Outcome unknown: the exchange's record of each order (by cloid) settles it, every
            # order at once (one after another, a ladder's rechecks would add up to many seconds).
            self._log.warning(f"order action outcome unknown ({exc}): asking orderStatus")
            await asyncio.gather(*(self._settlement.settle_unknown_submit(tracked, str(exc)) for tracked in sent))
            return
        for tracked, outcome in zip(sent, outcomes, strict=True):
            self._apply_order_outcome(tracked, outcome)

    def _apply_order_outcome(self, tracked: TrackedOrder, outcome: Outcome) -> None:
        ts = self._clock.timestamp_ns()
        if outcome.kind in ("resting", "filled") and outcome.oid is not None:
            self._tracker.bind_oid(tracked, outcome.oid)
            self._events.accept_once(tracked, ts)
            # A "filled" reply's fills arrive on userFills (with their tid), never from here.
        elif outcome.kind == "error":
            self._events.reject_once(tracked, outcome.text or "rejected", due_post_only=outcome.due_post_only, ts=ts)

    # -- modify --------------------------------------------------------------------------------------

    async def modify(self, command: ModifyOrder) -> None:
        """Cancel-replace via `batchModify`: the order gets a new oid (reported as `OrderUpdated`)."""
        await self.modify_many([command])

    async def modify_many(self, commands: list[ModifyOrder]) -> None:
        """Every modify as one `batchModify` action (one signed request): one book event's re-quotes
        leave together. Each entry is settled on its own, as a lone modify would be."""
        ts = self._clock.timestamp_ns()
        entries: list[_ModifyEntry] = []
        for command in commands:
            entry = self._prepare_modify(command, ts)
            if entry is not None:
                entries.append(entry)
        if not entries:
            return
        for _, tracked, *_ in entries:
            tracked.modifying = True
        modified = [e[1] for e in entries]
        done = self._sending(modified)
        try:
            await self._send_modifies(entries, ts)
        finally:
            self._answered(modified, done)

    async def _send_modifies(self, entries: list[_ModifyEntry], ts: int) -> None:
        try:
            outcomes = await self._actions.send(batch_modify_action([e[2] for e in entries]), len(entries))
        except ActionFailed as exc:
            if exc.not_placed:
                for order, tracked, *_ in entries:
                    self._events.end_modify(tracked)
                    if not tracked.closed:
                        self._events.modify_rejected(order, f"modify not sent (the exchange did not receive it): {exc}")
                return
            self._log.warning(f"batchModify of {len(entries)}: outcome unknown ({exc}); asking orderStatus")
            await asyncio.gather(*(
                self._settlement.settle_unknown_modify(order, tracked, old_oid, quantity, str(exc))
                for order, tracked, _, old_oid, quantity, _ in entries
            ))
            return
        for (order, tracked, _, _, quantity, price), outcome in zip(entries, outcomes, strict=True):
            if outcome.kind == "error":
                self._events.end_modify(tracked)
                if not tracked.closed:
                    self._events.modify_rejected(order, outcome.text or "", ts)
                continue
            self._events.modified(order, tracked, outcome.oid, quantity, price)

    def _prepare_modify(self, command: ModifyOrder, ts: int) -> _ModifyEntry | None:
        """The modify's wire entry, or None (rejected here) when it cannot be sent."""
        order = self._cache.order(command.client_order_id)
        if order is None:
            self._log.error(f"cannot modify {command.client_order_id}: not in cache")
            return None
        tracked = self._events.resolve_cached(order)
        if tracked.closed:
            self._events.modify_rejected(order, "order is closed", ts)
            return None
        price = command.price.as_decimal() if command.price is not None else order.price.as_decimal()
        quantity = command.quantity.as_decimal() if command.quantity is not None else order.quantity.as_decimal()
        # The replacement is a new exchange order: it rests only what is still unfilled.
        remaining = quantity - tracked.filled
        try:
            if remaining <= 0:
                raise UnsupportedOrder(f"new quantity {quantity} is not above the filled {tracked.filled}")
            wire = wire_for_order(order, self._events.instrument(order), tracked.cloid, price=price, quantity=remaining)
        except (UnsupportedOrder, ValueError) as exc:
            self._events.modify_rejected(order, str(exc), ts)
            return None
        target: int | str = tracked.oid if tracked.oid is not None else tracked.cloid  # type: ignore[assignment]
        return order, tracked, modify_wire(target, wire), tracked.oid, quantity, wire["p"]

    # -- cancel --------------------------------------------------------------------------------------

    async def cancel_order(self, command: CancelOrder) -> None:
        order = self._cache.order(command.client_order_id)
        if order is None:
            self._log.error(f"cannot cancel {command.client_order_id}: not in cache")
            return
        await self.cancel([order])

    async def batch_cancel(self, command: BatchCancelOrders) -> None:
        orders = [self._cache.order(c.client_order_id) for c in command.cancels]
        await self.cancel([o for o in orders if o is not None])

    async def cancel(self, orders: list[Order]) -> None:
        """Cancel by oid (by cloid those whose oid is not known yet): at most one action of each,
        sent together, the one holding the first of `orders` first."""
        if any(o.status == OrderStatus.INITIALIZED for o in orders):
            orders = await self._once_submitted(orders)
        by_oid: list[_CancelEntry] = []
        by_cloid: list[_CancelEntry] = []
        for order in orders:
            tracked = self._events.resolve_cached(order)
            asset = asset_of(self._events.instrument(order))
            (by_oid if tracked.oid is not None else by_cloid).append((order, tracked, asset))
        sends = []
        if by_oid:
            sends.append(self._send_cancels(cancel_action([(a, t.oid) for _, t, a in by_oid]), by_oid))  # type: ignore[misc]
        if by_cloid:
            sends.append(self._send_cancels(cancel_by_cloid_action([(a, t.cloid) for _, t, a in by_cloid]), by_cloid))  # type: ignore[misc]
            if by_oid and orders and by_cloid[0][0] is orders[0]:
                sends.reverse()  # the caller's first (most urgent) cancel leaves first
        if len(sends) == 1:
            await sends[0]  # started at once, in the command's own (eagerly started) task
            return
        # Both leave at once: the first now, the second on the next turn of the loop, not after the
        # first one's reply.
        second = asyncio.get_running_loop().create_task(sends[1])
        try:
            await sends[0]
        finally:
            await second

    async def _once_submitted(self, orders: list[Order]) -> list[Order]:
        """`orders` once the submit of each has left this client (or it closed: denied by the risk
        engine, nothing to cancel). Nautilus routes a submit through its risk engine's queue and a
        cancel straight to the execution engine, so a cancel issued in the same turn as its order's
        submit arrives first: sent at once, it would reach the exchange before the order ("never
        placed") and the order would then rest. A submit that has not come after
        `SUBMIT_AHEAD_WAIT_S` is not waited for longer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SUBMIT_AHEAD_WAIT_S
        turns = 0
        while loop.time() < deadline and any(self._submit_ahead(o) for o in orders):
            # The queues run on the next turns of the loop; past a few turns the engine is busy.
            await asyncio.sleep(0 if turns < 20 else 0.001)
            turns += 1
        return [o for o in orders if not o.is_closed]

    def _submit_ahead(self, order: Order) -> bool:
        """Whether `order`'s submit is still on its way to this client (through the risk engine)."""
        return order.status == OrderStatus.INITIALIZED and self._tracker.get(order.client_order_id) is None

    async def _send_cancels(self, action: dict[str, Any], entries: list[_CancelEntry]) -> None:
        try:
            outcomes = await self._actions.send(action, len(entries))
        except ActionFailed as exc:
            if exc.not_placed:
                for order, tracked, _ in entries:
                    self._events.cancel_rejected(order, tracked, f"cancel not sent (the exchange did not receive it): {exc}")
                return
            await asyncio.gather(*(
                self._settlement.settle_after_cancel(order, tracked, f"cancel outcome unknown: {exc}")
                for order, tracked, _ in entries
            ))
            return
        ts = self._clock.timestamp_ns()
        for (order, tracked, _), outcome in zip(entries, outcomes, strict=True):
            if outcome.ok:
                self._reconnect.confirm_cancel(tracked, ts)
            elif (outcome.text or "").startswith(ORDER_NEVER_PLACED):
                # Gone already (filled or canceled, maybe in the dark): the exchange's record decides.
                await self._settlement.settle_after_cancel(order, tracked, outcome.text or "")
            else:
                self._events.cancel_rejected(order, tracked, outcome.text or "cancel rejected")

    # -- cancel-all ----------------------------------------------------------------------------------

    async def cancel_all_on_exchange(self, coin: str | None = None, side: OrderSide = OrderSide.NO_ORDER_SIDE) -> int:
        """Cancel every open order (of `coin`, of `side`) the exchange lists; returns how many were canceled.

        What the exchange has open, not only what the cache knows (orders placed outside the node
        too), over REST with failover, else over the WS socket (the stall panic's path). An order on
        its way when this is called (its submit still in Nautilus's risk engine, or its submit or
        modify sent and not answered) may not be listed yet: it is canceled once it is answered.
        """
        on_the_way = self._orders_on_the_way(coin, side)
        listed: tuple[int, set[int]] = (0, set())
        try:
            listed = await self._cancel_listed(coin, side)
        finally:  # also when the listing failed: those orders are not the listing's to cancel
            late = await self._cancel_once_answered(on_the_way, listed[1]) if on_the_way else 0
        return listed[0] + late

    async def _cancel_listed(self, coin: str | None, side: OrderSide) -> tuple[int, set[int]]:
        """Cancel what the exchange lists as open: how many were canceled, and their oids."""
        entries: list[tuple[BasicOrder, int]] = []
        for o in await self._listed_open_orders():
            if (coin is not None and o.coin != coin) or (side != OrderSide.NO_ORDER_SIDE and side_of(o.side) != side):
                continue
            instrument = self._provider.instrument_for_coin(o.coin)
            if instrument is None:
                self._log.warning(f"open order {o.oid} on unlisted coin {o.coin} left alone")
                continue
            entries.append((o, asset_of(instrument)))
        if not entries:
            return 0, set()
        results = await cancel_listed_orders(self._actions, entries)
        ts = self._clock.timestamp_ns()
        canceled: set[int] = set()
        for o, outcome in results:
            tracked = self._events.resolve(o.oid, o.cloid)
            if not outcome.ok:
                self._log.warning(f"cancel-all: oid {o.oid} not canceled: {outcome.text}")
                if tracked is not None and (outcome.text or "").startswith(ORDER_NEVER_PLACED):
                    try:
                        await self._settlement.settle_from_exchange(tracked)  # filled or canceled just before
                    except Exception as exc:
                        self._log.warning(f"orderStatus for oid {o.oid} failed: {type(exc).__name__}: {exc}")
                continue
            canceled.add(o.oid)
            if tracked is not None:
                self._reconnect.confirm_cancel(tracked, ts)
        self._log.info(f"cancel-all canceled {len(canceled)}/{len(entries)} open orders")
        return len(canceled), canceled

    def _orders_on_the_way(self, coin: str | None, side: OrderSide) -> list[Order]:
        """This venue's orders (of `coin`, of `side`) whose submit has not reached this client yet,
        or whose submit or modify is on the wire."""
        if coin is None:
            where: dict[str, Any] = {"venue": HYPERLIQUID_VENUE}
        else:
            instrument = self._provider.instrument_for_coin(coin)
            where = {"instrument_id": instrument.id} if instrument is not None else {}
        ahead: list[Order] = []
        if where:
            cache = self._cache
            ahead = [o for cid in initialized_order_ids(cache, **where)
                     if (o := cache.order(cid)) is not None and self._submit_ahead(o)]
        wired = [o for cid in self._on_the_wire if (o := self._cache.order(cid)) is not None
                 and (coin is None or coin_of(o.instrument_id) == coin)]
        return [o for o in ahead + wired if side == OrderSide.NO_ORDER_SIDE or o.side == side]

    async def _cancel_once_answered(self, orders: list[Order], canceled_oids: set[int]) -> int:
        """Cancel those of `orders` that rest once their submit or modify is answered (the
        cancel-all's listing may have missed them); returns how many of them are closed after it."""
        orders = await self._once_submitted(orders)
        ahead = [o for o in orders if self._submit_ahead(o)]
        if ahead:
            self._log.warning(f"cancel-all: {len(ahead)} order(s) still in Nautilus's risk engine after "
                              f"{SUBMIT_AHEAD_WAIT_S:.0f} s left alone (the strategy's own cancel covers them)")
        await self._answers_for(orders)
        rest = []
        for order in orders:
            tracked = self._tracker.get(order.client_order_id)
            if tracked is None or tracked.closed or order.client_order_id in self._on_the_wire:
                continue
            if tracked.oid is not None and tracked.oid in canceled_oids:
                continue  # the listing's cancel got it (its event may wait for a catch-up)
            rest.append((order, tracked))
        if not rest:
            return 0
        self._log.info(f"cancel-all: canceling {len(rest)} order(s) placed after the listing")
        await self.cancel([order for order, _ in rest])
        return sum(1 for _, tracked in rest if tracked.closed)

    async def _answers_for(self, orders: list[Order]) -> None:
        """Until no submit or modify of `orders` is on the wire (one sent meanwhile counts too), at
        most `ON_THE_WAY_WAIT_S`; past it, those orders are left to the settlement."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ON_THE_WAY_WAIT_S
        while waits := {self._on_the_wire[o.client_order_id] for o in orders if o.client_order_id in self._on_the_wire}:
            remaining = deadline - loop.time()
            if remaining <= 0:
                self._log.warning(f"cancel-all: {len(waits)} action(s) unanswered after {ON_THE_WAY_WAIT_S:.0f} s; "
                                  "their orders are left to the settlement")
                return
            await asyncio.wait(waits, timeout=remaining)

    async def _listed_open_orders(self) -> list[BasicOrder]:
        """The exchange's open orders over REST, else (every endpoint down) as a WS info post."""
        try:
            return await self._queries.open_orders()
        except REST_ERRORS as exc:
            ws = self._actions.ws
            if ws is None or not self._actions.ws_usable:
                raise
            self._log.warning(f"openOrders over REST failed ({exc}): asking over the WS socket")
            return await self._queries.open_orders_over_ws(ws, self._actions.post_timeout_secs)
