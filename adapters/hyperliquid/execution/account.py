"""The account as the exchange states it: balance (`clearinghouseState`), the rate-limit budget,
and the check that the cache's positions are the exchange's."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

from nautilus_trader.cache.cache import Cache
from nautilus_trader.common.component import LiveClock
from nautilus_trader.common.component import MessageBus

from adapters.hyperliquid.common.log import LogLike
from adapters.hyperliquid.execution.order_events import NS_PER_MS
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.execution.tasks import StartTask
from adapters.hyperliquid.http.rate_limit import RateLimitTracker
from adapters.hyperliquid.parsing.reports import account_balance
from adapters.hyperliquid.parsing.reports import exchange_decimal
from adapters.hyperliquid.providers import HyperliquidInstrumentProvider
from adapters.hyperliquid.schemas.user import ClearinghouseState
from adapters.hyperliquid.types import TOPIC_POSITION_MISMATCH
from adapters.hyperliquid.types import TOPIC_RATE_LIMIT
from adapters.hyperliquid.types import PositionMismatch

# Emits Nautilus's `AccountState` (the client's `generate_account_state`).
EmitAccountState = Callable[..., None]
# A burst of fills is followed by one balance request, this long after the first.
_REFRESH_COALESCE_SECS = 0.2


class Account:
    def __init__(
        self,
        queries: AccountQueries,
        rate_limits: RateLimitTracker,
        provider: HyperliquidInstrumentProvider,
        cache: Cache,
        msgbus: MessageBus,
        clock: LiveClock,
        emit_account_state: EmitAccountState,
        start_task: StartTask,
        log: LogLike,
    ) -> None:
        self._queries = queries
        self._rate_limits = rate_limits
        self._provider = provider
        self._cache = cache
        self._msgbus = msgbus
        self._clock = clock
        self._emit_account_state = emit_account_state
        self._start_task = start_task
        self._log = log
        self._refresh_pending = False
        self.position_mismatches = 0

    # -- balance -------------------------------------------------------------------------------------

    async def refresh(self, state: ClearinghouseState | None = None) -> None:
        """Emit the account state from `state` (asked for when not given); a failure keeps the last one."""
        try:
            state = state or await self._queries.clearinghouse_state()
        except Exception as exc:
            self._log.warning(f"clearinghouseState unavailable: {type(exc).__name__}: {exc}")
            return
        try:
            balance = account_balance(state)
        except ValueError as exc:  # the last good account state stays in force
            self._log.error(f"clearinghouseState not applied: {exc}")
            return
        self._emit_account_state(
            balances=[balance],
            margins=[],
            reported=True,
            ts_event=(state.time or 0) * NS_PER_MS or self._clock.timestamp_ns(),
        )

    def refresh_soon(self) -> None:
        """A refresh shortly, shared by every call until it runs."""
        if self._refresh_pending:
            return
        self._refresh_pending = True

        async def refresh() -> None:
            await asyncio.sleep(_REFRESH_COALESCE_SECS)
            self._refresh_pending = False
            await self.refresh()

        self._start_task(refresh(), "account refresh")

    # -- rate limits ---------------------------------------------------------------------------------

    async def seed_rate_limits(self) -> None:
        """Start the address budget estimate from the exchange's own count."""
        try:
            limit = await self._queries.rate_limit()
        except Exception as exc:  # the budget estimate starts from the default instead
            self._log.warning(f"userRateLimit unavailable ({type(exc).__name__}: {exc}); using the default budget")
            return
        self._rate_limits.seed_address_budget(limit.nRequestsUsed, limit.nRequestsCap)
        self.publish_rate_limits()

    def publish_rate_limits(self) -> None:
        self._msgbus.publish(TOPIC_RATE_LIMIT, self._rate_limits.status(self._clock.timestamp_ns()))

    # -- positions -----------------------------------------------------------------------------------

    def check_positions(self, state: ClearinghouseState) -> list[str]:
        """Coins whose net position in the cache differs from the exchange's `szi` (logged as errors)."""
        gaps = self.position_gaps(state)
        self.report_gaps(gaps)
        return list(gaps)

    def report_gaps(self, gaps: dict[str, tuple[Decimal, Decimal]]) -> None:
        """Logs each gap of `position_gaps` as an error and counts it."""
        for coin, (cached, exchange) in gaps.items():
            self._log.error(f"position mismatch on {coin}: cache {cached} vs exchange {exchange}")
        self.position_mismatches += len(gaps)

    def position_gaps(self, state: ClearinghouseState) -> dict[str, tuple[Decimal, Decimal]]:
        """Per coin whose net position in the cache differs from the exchange's `szi`: (cache, exchange)."""
        exchange = {p.position.coin: exchange_decimal(f"{p.position.coin} szi", p.position.szi) for p in state.assetPositions}
        gaps = {}
        for coin in self._provider.coins:
            instrument = self._provider.instrument_for_coin(coin)
            if instrument is None:
                continue
            cached = sum(
                (Decimal(str(p.signed_decimal_qty())) for p in self._cache.positions_open(instrument_id=instrument.id)),
                Decimal(0),
            )
            if cached != exchange.get(coin, Decimal(0)):
                gaps[coin] = (cached, exchange.get(coin, Decimal(0)))
        return gaps

    def publish_position_mismatch(self, coin: str, cached: Decimal, exchange: Decimal) -> None:
        self._msgbus.publish(
            TOPIC_POSITION_MISMATCH, PositionMismatch(coin, str(cached), str(exchange), self._clock.timestamp_ns()),
        )
