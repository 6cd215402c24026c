"""The user stream drops: fills and cancels that happen in the dark are recovered exactly once."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus

from adapters.hyperliquid.types import TOPIC_VENUE_HALT
from adapters.hyperliquid.types import TOPIC_VENUE_RESUME
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import RecorderConfig
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import place_outside_order
from tests.node_kit import record_topic
from tests.node_kit import run_node
from tests.node_kit import wait_for


def test_dark_fills_and_cancels_are_emitted_once_after_reconnect(sim) -> None:
    async def scenario(node, rec) -> None:
        halts = record_topic(node, TOPIC_VENUE_HALT)
        resumes = record_topic(node, TOPIC_VENUE_RESUME)
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        a = rec.limit(OrderSide.BUY, "2990.0", "0.02")
        b = rec.limit(OrderSide.BUY, "2985.0", "0.03")
        c = rec.limit(OrderSide.SELL, "3010.0", "0.01")
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in (a, b, c)), what="3 accepted")

        # In the dark: the user stream is cut, two orders fill (one in two parts), one is canceled.
        assert sim.faults.drop_user_ws(ACCOUNT) >= 1
        sim.fill_order(ACCOUNT, int(a.venue_order_id.value))
        sim.fill_order(ACCOUNT, int(b.venue_order_id.value), sz="0.01")
        sim.fill_order(ACCOUNT, int(b.venue_order_id.value))
        sim.cancel_order(ACCOUNT, int(c.venue_order_id.value))

        await wait_for(lambda: halts, what="VenueHalt")
        await wait_for(lambda: resumes, timeout=10.0, what="VenueResume")
        await wait_for(lambda: a.status == OrderStatus.FILLED and b.status == OrderStatus.FILLED, what="fills applied")
        await wait_for(lambda: c.status == OrderStatus.CANCELED, what="cancel applied")

        assert client.dark_fills_recovered == 3 and client.dark_cancels_recovered == 1
        sim_fills = sim.fills(ACCOUNT)
        assert len(sim_fills) == 3
        cache_trade_ids = [str(t) for o in (a, b, c) for t in o.trade_ids]
        assert sorted(cache_trade_ids) == sorted(str(f["tid"]) for f in sim_fills)  # each fill exactly once
        assert len(rec.events_of("OrderFilled")) == 3
        assert halts[0].ts_ns <= resumes[0].ts_ns

        position = rec.cache.positions_open(instrument_id=ETH_ID)
        await wait_for(lambda: rec.cache.positions_open(instrument_id=ETH_ID), what="position")
        position = rec.cache.positions_open(instrument_id=ETH_ID)[0]
        assert Decimal(str(position.signed_decimal_qty())) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.05")

        await asyncio.sleep(0.6)  # the client's own check runs 0.5 s after reconciling
        assert client.position_mismatches == 0

        # The user stream works again after the reconnect.
        d = rec.limit(OrderSide.BUY, "2980.0", "0.01")
        await wait_for(lambda: d.status == OrderStatus.ACCEPTED, what="accepted after reconnect")
        sim.fill_order(ACCOUNT, int(d.venue_order_id.value))
        await wait_for(lambda: d.status == OrderStatus.FILLED, what="live fill after reconnect")
        assert len(rec.events_of("OrderFilled")) == 4

    run_node(node_config(sim, reconnect_backoff_initial_secs=1.0), scenario)


def test_a_dark_window_longer_than_the_backoff_ends_in_one_state_with_every_fill_once(sim) -> None:
    async def scenario(node, rec) -> None:
        halts = record_topic(node, TOPIC_VENUE_HALT)
        resumes = record_topic(node, TOPIC_VENUE_RESUME)
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        a = rec.limit(OrderSide.BUY, "2990.0", "0.02")
        b = rec.limit(OrderSide.SELL, "3010.0", "0.01")
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in (a, b)), what="accepted")

        # hlsim keeps the user dark for 1.5 s: every reconnect inside the window is cut at its subscribe.
        window_end = time.time_ns() + 1_500_000_000
        assert sim.faults.drop_user_ws(ACCOUNT, refuse_for_s=1.5) >= 1
        sim.fill_order(ACCOUNT, int(a.venue_order_id.value))
        await asyncio.sleep(0.8)  # a reconnect attempt has been cut by now
        sim.fill_order(ACCOUNT, int(b.venue_order_id.value), sz="0.004")

        await wait_for(lambda: resumes and resumes[-1].ts_ns >= window_end, timeout=10.0, what="resume after the window")
        await wait_for(lambda: a.status == OrderStatus.FILLED and b.status == OrderStatus.PARTIALLY_FILLED,
                       what="dark fills applied")
        # Reconnects cut during the window do not count as returns: one halt, one resume.
        assert len(halts) == 1 and len(resumes) == 1
        assert halts[-1].ts_ns <= resumes[-1].ts_ns  # the last word is a resume
        assert client.dark_fills_recovered == 2
        cache_trade_ids = sorted(str(t) for o in (a, b) for t in o.trade_ids)
        assert cache_trade_ids == sorted(str(f["tid"]) for f in sim.fills(ACCOUNT))  # each fill once
        assert len(rec.events_of("OrderFilled")) == 2

        # The stream is live after the window.
        sim.fill_order(ACCOUNT, int(b.venue_order_id.value))
        await wait_for(lambda: b.status == OrderStatus.FILLED, what="live fill after the window")
        assert len(rec.events_of("OrderFilled")) == 3

    run_node(node_config(sim, reconnect_backoff_initial_secs=0.2, reconnect_backoff_max_secs=0.4), scenario)


def test_a_fill_of_an_outside_order_in_the_dark_is_adopted_once_after_reconnect(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        resumes = record_topic(node, TOPIC_VENUE_RESUME)
        assert sim.faults.drop_user_ws(ACCOUNT) >= 1
        oid = await asyncio.to_thread(place_outside_order, sim, True, 0.02, 2990.0)
        assert sim.fill_order(ACCOUNT, oid)
        # Slow replies: the adoption's orderStatus outlasts the 0.5 s before the client's own
        # position check, which must wait for it rather than report a mismatch.
        sim.faults.delay_replies(700)

        await wait_for(lambda: resumes, timeout=10.0, what="VenueResume")
        await wait_for(lambda: rec.cache.positions_open(instrument_id=ETH_ID), timeout=10.0, what="position")
        await wait_for(lambda: not client.adoption.orders_pending, what="adoption done")
        await asyncio.sleep(1.0)  # the stream's snapshot repeats the fill: it must not count twice
        sim.faults.delay_replies(0)
        (position,) = rec.cache.positions_open(instrument_id=ETH_ID)
        assert Decimal(str(position.signed_decimal_qty())) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.02")
        (adopted,) = rec.cache.orders(instrument_id=ETH_ID)
        assert (adopted.venue_order_id.value, adopted.status) == (str(oid), OrderStatus.FILLED)
        assert client.external_fills_adopted == 1 and client.position_mismatches == 0

    run_node(node_config(sim, reconnect_backoff_initial_secs=1.0), scenario, strategy_config=RecorderConfig(subscribe=False))
