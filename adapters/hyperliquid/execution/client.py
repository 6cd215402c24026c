"""Nautilus live execution client for Hyperliquid perps (ALO/GTC/IOC limit orders, agent-key signing).

This class is the wiring: Nautilus's commands, report requests and connection hooks go to the
parts of this package, each with one concern and narrow collaborators:

- `commands`: submit / modify / cancel / cancel-all as signed actions (`actions`);
- `settlement`: orders whose action got no usable reply, settled from the exchange's record;
- `stream` and `fills`: the user stream's order updates and fills, each event emitted once
  (`OrderEvents` over the `OrderTracker`);
- `adoption`: orders placed outside this node, adopted with their fills;
- `reconnect` and `audit`: catching up with what the stream did not deliver (after a drop;
  a lost push);
- `switch`: the dead man's switch (`scheduleCancel`);
- `rejections`: repeated rejections become venue events (`OrderRejections`, `TradingRefused`);
- `stall_panic`: a market-data stall cancels every order of the account on the stalled coin;
- `reports`: the reports Nautilus reconciles from; `account`: balance, rate limits, positions.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Coroutine
from typing import Any

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
from nautilus_trader.model.enums import OmsType
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.identifiers import AccountId
from nautilus_trader.model.identifiers import ClientId

from adapters.hyperliquid.common.backoff import Backoff
from adapters.hyperliquid.common.constants import HYPERLIQUID
from adapters.hyperliquid.common.constants import HYPERLIQUID_VENUE
from adapters.hyperliquid.config import HyperliquidExecClientConfig
from adapters.hyperliquid.config import resolve_endpoints
from adapters.hyperliquid.execution.account import Account
from adapters.hyperliquid.execution.actions import ExchangeActions
from adapters.hyperliquid.execution.adoption import Adoption
from adapters.hyperliquid.execution.batching import ActionBatch
from adapters.hyperliquid.execution.commands import Commands
from adapters.hyperliquid.execution.dead_mans_switch import DeadMansSwitch
from adapters.hyperliquid.execution.fills import FillIntake
from adapters.hyperliquid.execution.order_events import NS_PER_MS
from adapters.hyperliquid.execution.order_events import OrderEvents
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.execution.recovery import FillAudit
from adapters.hyperliquid.execution.recovery import ReconnectRecovery
from adapters.hyperliquid.execution.rejections import RejectionMonitor
from adapters.hyperliquid.execution.reports import Reports
from adapters.hyperliquid.execution.settlement import Settlement
from adapters.hyperliquid.execution.stall_panic import StallPanic
from adapters.hyperliquid.execution.tasks import stop_task
from adapters.hyperliquid.execution.tracking import AuditWindow
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.execution.user_stream import UserStream
from adapters.hyperliquid.execution.user_stream import user_subscriptions
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from adapters.hyperliquid.parsing.instruments import coin_of
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import ClearinghouseState
from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.types import TOPIC_MARKET_DATA_STALL
from adapters.hyperliquid.websocket.client import HyperliquidWebSocketClient
from adapters.hyperliquid.websocket.factory import ws_client_for


def _read_through(part: str, name: str) -> property:
    """A read-only attribute of the client that is `name` of its part `part`."""
    return property(lambda self: getattr(getattr(self, part), name), doc=f"`{part}.{name}`")


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
        self._provider = instrument_provider
        self._address = config.account_address.lower()
        self._set_account_id(AccountId(f"{HYPERLIQUID}-{self._address}"))
        endpoints = resolve_endpoints(config)
        self._ws = ws_client_for(
            config, endpoints, self._on_user_message,
            on_disconnect=self._on_user_ws_lost,
            on_reconnect=self._on_user_ws_back,
            # The stream counts as back only once the exchange acknowledged every user
            # subscription: a socket cut again at its subscribe must not resume quoting.
            confirm_subscriptions=True,
            logger=self._log,
            name="user-ws",
        )
        log, provider = self._log, instrument_provider
        self._queries = queries = AccountQueries(http, self._address)
        self._tracker = tracker = OrderTracker()
        self._window = window = AuditWindow()
        self.account = Account(
            queries, http.rate_limits, provider, cache, msgbus, clock,
            emit_account_state=self.generate_account_state, start_task=self._start_task, log=log,
        )
        self.rejections = RejectionMonitor(
            msgbus, clock, alarm_count=config.rejection_alarm_count, stop_count=config.refusal_stop_count,
            window_secs=config.rejection_window_secs, log=log, agent_address=signer.address,
        )
        events = OrderEvents(self, tracker, cache, provider, clock, log, on_rejected=self.rejections.on_order_rejected)
        self.adoption = Adoption(
            queries, provider, tracker, window, self.account_id, clock,
            is_reconciling=self._is_reconciling, send_reports=self._send_adoption_reports,
            on_adopted=self.account.refresh_soon, start_task=self._start_task, log=log,
        )
        self.fills = FillIntake(
            provider, tracker, events,
            on_outside_fill=self.adoption.on_outside_fill, on_applied=self.account.refresh_soon, log=log,
        )
        self.settlement = Settlement(queries, tracker, events, self.fills, log)
        self.reconnect = ReconnectRecovery(
            queries, tracker, events, self.fills, self.settlement, self.account,
            outside_orders_pending=lambda: self.adoption.orders_pending,
            backoff=Backoff(config.reconnect_backoff_initial_secs, config.reconnect_backoff_max_secs),
            msgbus=msgbus, clock=clock, start_task=self._start_task, log=log,
        )
        self.actions = ExchangeActions(
            http, signer, is_mainnet=endpoints.is_mainnet, ws=self._ws, prefer_ws=config.use_ws_post,
            # While halted the socket's reader is busy catching up: its post replies would wait.
            ws_ready=lambda: not self.reconnect.halted,
            post_timeout_secs=config.post_timeout_secs, on_reply=self.account.publish_rate_limits,
            on_refused=self.rejections.on_action_refused, logger=log,
        )
        self.commands = Commands(
            self.actions, queries, tracker, events, self.settlement, self.reconnect, provider, cache, clock, log,
        )
        self.stream = UserStream(tracker, events, self.fills, self.actions, provider, self._start_task, log)
        self.audit = FillAudit(
            queries, tracker, self.fills, self.settlement, window,
            # The reconnect's own catch-up (or start-up reconciliation) covers these times.
            paused=lambda: self.reconnect.halted or self._is_reconciling(), start_task=self._start_task, log=log,
        )
        self.switch = DeadMansSwitch(self.actions, config.schedule_cancel_horizon_secs, log)
        self.reports = Reports(
            queries, cache, provider, tracker, events, self.adoption, self.account_id, clock,
            is_reconciling=self._is_reconciling, audit_soon=self.audit.audit_soon,
            fills_lookback_mins=config.fills_lookback_mins, log=log,
        )
        self.stall_panic = StallPanic(self.cancel_all_on_exchange, self._start_task, log)
        if config.cancel_all_on_stall:
            msgbus.subscribe(TOPIC_MARKET_DATA_STALL, self.stall_panic.on_stall)
        # One book event's modifies as one batchModify (None: each modify its own request).
        self._batch = ActionBatch(loop, self._send_modifies) if config.batch_actions else None
        # The command lines are formatted before Nautilus applies the log level (an order's text
        # is ~10 µs): only when asked for, off the quote path otherwise.
        self._log_commands = config.log_commands
        self._loop_tasks: list[asyncio.Task] = []
        self._log.info(
            f"account={self._address} agent={signer.address} rest={list(endpoints.rest_urls)} "
            f"ws={endpoints.ws_url} mainnet_signing={endpoints.is_mainnet}"
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

    # What the client has done and seen, for status displays and tests.
    halted = _read_through("reconnect", "halted")
    actions_sent = _read_through("actions", "actions_sent")
    settled_by_order_status = _read_through("settlement", "settled_by_order_status")
    dark_fills_recovered = _read_through("reconnect", "dark_fills_recovered")
    dark_cancels_recovered = _read_through("reconnect", "dark_cancels_recovered")
    position_mismatches = _read_through("account", "position_mismatches")
    external_fills_adopted = _read_through("adoption", "fills_adopted")
    external_fills_unapplied = _read_through("adoption", "fills_unapplied")
    audit_fills_recovered = _read_through("audit", "fills_recovered")
    audit_orders_settled = _read_through("audit", "orders_settled")
    schedule_cancel_refused = _read_through("switch", "refused")

    # -- connection ----------------------------------------------------------------------------------

    async def _connect(self) -> None:
        # Fills of other orders from before this moment belong to the start-up reconciliation (or,
        # with it off, to nobody): the stream's snapshot replays history that must not be adopted.
        self._window.start_session(time.time_ns() // NS_PER_MS)
        await self._provider.initialize()
        for instrument in self._provider.list_all():
            if self._cache.instrument(instrument.id) is None:
                self._cache.add_instrument(instrument)
        self.fills.seed_seen(self._cache.orders(venue=HYPERLIQUID_VENUE))
        await self.account.seed_rate_limits()
        await self.account.refresh()
        self._tracker.last_fill_ms = self._tracker.last_fill_ms or (time.time_ns() // NS_PER_MS)
        for subscription in user_subscriptions(self._address):
            await self._ws.subscribe(subscription)
        await self._ws.connect()
        # Loop tasks of their own (not `create_task`): cancelling them at disconnect is normal.
        if self._config.schedule_cancel:
            self._loop_tasks.append(self._loop.create_task(
                self.switch.run_every(self._config.schedule_cancel_interval_secs), name="hl-schedule-cancel",
            ))
        if self._config.fill_audit_interval_secs > 0:
            self._loop_tasks.append(self._loop.create_task(
                self.audit.run_every(self._config.fill_audit_interval_secs), name="hl-fill-audit",
            ))

    async def _disconnect(self) -> None:
        self._flush_batch()
        tasks, self._loop_tasks = self._loop_tasks, []
        for task in tasks:
            await stop_task(task)
        await self._ws.close()
        await self._http.close()

    def _on_user_message(self, channel: str, data: bytes, recv_ns: int) -> None:
        self.stream.on_message(channel, data, recv_ns)

    async def _on_user_ws_lost(self) -> None:
        await self.reconnect.on_stream_lost()

    async def _on_user_ws_back(self) -> None:
        await self.reconnect.on_stream_back()

    # -- commands: started eagerly -------------------------------------------------------------------
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
        self._flush_batch()
        if self._log_commands:
            self._log.info(f"Submit {command.order}", LogColor.BLUE)
        self._start_command(self.commands.submit([command.order]), "submit_order")

    def submit_order_list(self, command: SubmitOrderList) -> None:
        self._flush_batch()
        if self._log_commands:
            self._log.info(f"Submit {command.order_list}", LogColor.BLUE)
        self._start_command(self.commands.submit(list(command.order_list.orders)), "submit_order_list")

    def modify_order(self, command: ModifyOrder) -> None:
        if self._log_commands:
            self._log.info(f"Modify {command.client_order_id!r}", LogColor.BLUE)
        if self._batch is not None:
            self._batch.add_modify(command)  # leaves with the event's other modifies, one batchModify
        else:
            self._start_command(self.commands.modify(command), "modify_order")

    def cancel_order(self, command: CancelOrder) -> None:
        self._flush_batch()
        if self._log_commands:
            self._log.info(f"Cancel {command.client_order_id!r}", LogColor.BLUE)
        self._start_command(self.commands.cancel_order(command), "cancel_order")

    def batch_cancel_orders(self, command: BatchCancelOrders) -> None:
        self._flush_batch()
        if self._log_commands:
            self._log.info(f"Batch cancel {len(command.cancels)} orders", LogColor.BLUE)
        self._start_command(self.commands.batch_cancel(command), "batch_cancel_orders")

    def _flush_batch(self) -> None:
        # Modifies issued before this command leave before it: the exchange sees the strategy's order.
        if self._batch is not None:
            self._batch.flush()  # a no-op when nothing waits

    def _send_modifies(self, commands: list[ModifyOrder]) -> None:
        self._start_command(self.commands.modify_many(commands), "batch_modify")

    def cancel_all_orders(self, command: CancelAllOrders) -> None:
        self._flush_batch()  # like every other order command: a modify issued before it leaves first
        super().cancel_all_orders(command)

    async def _cancel_all_orders(self, command: CancelAllOrders) -> None:
        """Cancel what the exchange has open (not only what the cache knows), over REST with failover."""
        coin = coin_of(command.instrument_id) if command.instrument_id is not None else None
        await self.commands.cancel_all_on_exchange(coin, command.order_side)

    async def cancel_all_on_exchange(self, coin: str | None = None, side: OrderSide = OrderSide.NO_ORDER_SIDE) -> int:
        self._flush_batch()
        return await self.commands.cancel_all_on_exchange(coin, side)

    async def _query_account(self, command: QueryAccount) -> None:
        await self.account.refresh()

    # -- reports for reconciliation ------------------------------------------------------------------

    async def generate_order_status_report(self, command: GenerateOrderStatusReport) -> OrderStatusReport | None:
        return await self.reports.order_status_report(command)

    async def generate_order_status_reports(self, command: GenerateOrderStatusReports) -> list[OrderStatusReport]:
        return await self.reports.order_status_reports(command)

    async def generate_fill_reports(self, command: GenerateFillReports) -> list[FillReport]:
        return await self.reports.fill_reports(command)

    async def generate_position_status_reports(
        self, command: GeneratePositionStatusReports,
    ) -> list[PositionStatusReport]:
        return await self.reports.position_status_reports(command)

    # -- catching up, the account, the switch --------------------------------------------------------

    async def reconcile_with_exchange(self) -> tuple[int, int]:
        return await self.reconnect.reconcile_with_exchange()

    async def audit_fills(self) -> int:
        return await self.audit.audit_fills()

    async def fetch_clearinghouse_state(self) -> ClearinghouseState:
        return await self._queries.clearinghouse_state()

    def check_positions(self, state: ClearinghouseState) -> list[str]:
        return self.account.check_positions(state)

    async def refresh_schedule_cancel(self) -> bool:
        return await self.switch.refresh()

    # -- what the parts need of the client -----------------------------------------------------------

    def _start_task(self, coro: Coroutine[Any, Any, Any], what: str) -> asyncio.Task:
        return self.create_task(coro, log_msg=what)

    def _is_reconciling(self) -> bool:
        return self.reconciliation_active

    def _send_adoption_reports(self, reports: list[tuple[OrderStatusReport, list[FillReport]]]) -> None:
        ts = self._clock.timestamp_ns()
        mass_status = ExecutionMassStatus(self.id, self.account_id, self.venue, UUID4(), ts)
        for order_report, fill_reports in reports:
            mass_status.add_order_reports([order_report])
            mass_status.add_fill_reports(fill_reports)
        self._send_mass_status_report(mass_status)
