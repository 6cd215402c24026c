"""`userFillsByTime` answers at most 2000 fills: the adapter pages by time until the window is covered
(the queries, the fill reports Nautilus reconciles from, and the fill audit), against hlsim."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from decimal import Decimal

from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GenerateFillReports
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus

from adapters.hyperliquid.execution.queries import FILLS_PER_REPLY
from adapters.hyperliquid.execution.queries import AccountQueries
from adapters.hyperliquid.http.client import HyperliquidHttpClient
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import place_outside_order
from tests.node_kit import run_node
from tests.node_kit import wait_for

N_FILLS = 2500  # more than one reply holds
FILL_SZ = Decimal("0.01")


def fill_many(sim, px: Decimal, n: int = N_FILLS) -> None:
    """`n` market trades at `px`, each filling a slice of our resting order there; pushed as one block."""
    engine = sim.engine

    def trades() -> None:
        for _ in range(n):
            engine.market_trade("ETH", "A", px, FILL_SZ, flush=False)
        engine.flush()

    sim.call(trades)


def test_fills_since_pages_through_a_window_of_more_fills_than_one_reply_holds(sim) -> None:
    start_ms = int(time.time() * 1000) - 1
    place_outside_order(sim, True, float(FILL_SZ * N_FILLS), 2990.0)
    fill_many(sim, Decimal("2990"))
    assert N_FILLS > FILLS_PER_REPLY

    async def main() -> list:
        http = HyperliquidHttpClient([sim.rest_url], timeout_secs=5.0)
        try:
            return await AccountQueries(http, ACCOUNT).fills_since(start_ms)
        finally:
            await http.close()

    fills = asyncio.run(main())
    assert sorted(f.tid for f in fills) == sorted(f["tid"] for f in sim.fills(ACCOUNT))
    assert len({f.tid for f in fills}) == N_FILLS
    assert [(f.time, f.tid) for f in fills] == sorted((f.time, f.tid) for f in fills)


def test_fill_reports_cover_a_window_of_more_fills_than_one_reply_holds(sim) -> None:
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        await asyncio.to_thread(place_outside_order, sim, True, float(FILL_SZ * N_FILLS), 2990.0)
        fill_many(sim, Decimal("2990"))
        command = GenerateFillReports(
            instrument_id=ETH_ID, venue_order_id=None, start=start, end=None, command_id=UUID4(),
            ts_init=node.kernel.clock.timestamp_ns(),
        )
        reports = await exec_client(node).generate_fill_reports(command)
        assert len({r.trade_id for r in reports}) == N_FILLS

    run_node(node_config(sim), scenario)


def test_the_fill_audit_recovers_more_fills_than_one_reply_holds_when_their_push_is_lost(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", str(FILL_SZ * N_FILLS))
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        sim.faults.lose_user_messages(ACCOUNT, "userFills")  # the one push with every fill never arrives
        fill_many(sim, Decimal("2990"))
        await wait_for(lambda: order.status == OrderStatus.FILLED, timeout=20.0, what="every fill applied")
        assert len(rec.events_of("OrderFilled")) == N_FILLS
        assert client.audit_fills_recovered == N_FILLS

    run_node(node_config(sim, fill_audit_interval_secs=1.0), scenario, timeout=60.0)
