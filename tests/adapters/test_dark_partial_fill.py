"""Orders filled in part while the user stream is down, then canceled: fill first, cancel second.

Over hlsim with a real TradingNode. The user socket is cut and kept refused for a few seconds
(an explicit dark window), an order fills in part meanwhile, and a cancel reaches the exchange
before the client has heard of the fill.
"""

from __future__ import annotations

from decimal import Decimal

from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus

from adapters.hyperliquid.types import TOPIC_VENUE_HALT
from adapters.hyperliquid.types import TOPIC_VENUE_RESUME
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import record_topic
from tests.node_kit import run_node
from tests.node_kit import wait_for

DARK_SECS = 2.0


def _event_names(rec, order) -> list[str]:  # type: ignore[no-untyped-def]
    return [type(e).__name__ for e in rec.events if getattr(e, "client_order_id", None) == order.client_order_id]


def test_cancel_all_in_the_dark_leaves_a_partly_filled_order_canceled_after_its_fill(sim) -> None:
    async def scenario(node, rec) -> None:
        halts = record_topic(node, TOPIC_VENUE_HALT)
        resumes = record_topic(node, TOPIC_VENUE_RESUME)
        await wait_for(lambda: rec.quotes, what="quotes")
        a = rec.limit(OrderSide.BUY, "2990.0", "0.02")
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="accepted")

        assert sim.faults.drop_user_ws(ACCOUNT, refuse_for_s=DARK_SECS) >= 1
        sim.fill_order(ACCOUNT, int(a.venue_order_id.value), sz="0.01")
        await wait_for(lambda: halts, what="VenueHalt")
        rec.cancel_all_orders(ETH_ID)  # what the MarketMaker does on VenueHalt
        await wait_for(lambda: not sim.open_orders(ACCOUNT), what="canceled on the exchange")

        await wait_for(lambda: resumes, timeout=DARK_SECS + 8, what="VenueResume")
        await wait_for(lambda: a.is_closed, what="order closed in the cache")
        assert a.status == OrderStatus.CANCELED
        assert a.filled_qty.as_decimal() == Decimal("0.01")
        assert [str(t) for t in a.trade_ids] == [str(f["tid"]) for f in sim.fills(ACCOUNT)]
        names = _event_names(rec, a)
        assert names.index("OrderFilled") < names.index("OrderCanceled")
        assert not rec.cache.orders_open(instrument_id=ETH_ID)
        assert not rec.cache.orders_inflight(instrument_id=ETH_ID)
        await wait_for(lambda: rec.cache.positions_open(instrument_id=ETH_ID), what="position")
        position = rec.cache.positions_open(instrument_id=ETH_ID)[0]
        assert Decimal(str(position.signed_decimal_qty())) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.01")

    run_node(node_config(sim), scenario)


def test_a_cancel_answered_already_gone_settles_an_order_filled_in_the_dark_as_filled(sim) -> None:
    async def scenario(node, rec) -> None:
        halts = record_topic(node, TOPIC_VENUE_HALT)
        resumes = record_topic(node, TOPIC_VENUE_RESUME)
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        a = rec.limit(OrderSide.BUY, "2990.0", "0.02")
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="accepted")

        assert sim.faults.drop_user_ws(ACCOUNT, refuse_for_s=DARK_SECS) >= 1
        sim.fill_order(ACCOUNT, int(a.venue_order_id.value))
        await wait_for(lambda: halts, what="VenueHalt")
        rec.cancel_order(a)  # the exchange answers "never placed, already canceled, or filled"

        # Settled from orderStatus while the stream is still dark, not left PENDING_CANCEL.
        await wait_for(lambda: a.status == OrderStatus.FILLED, what="filled from the exchange's record")
        assert not resumes and client.halted
        assert client.settled_by_order_status >= 1
        await wait_for(lambda: resumes, timeout=DARK_SECS + 8, what="VenueResume")
        assert [str(t) for t in a.trade_ids] == [str(f["tid"]) for f in sim.fills(ACCOUNT)]  # once
        assert not rec.events_of("OrderCancelRejected")

    run_node(node_config(sim), scenario)


def test_a_cancel_answered_already_gone_settles_an_order_canceled_in_the_dark_after_its_part_fill(sim) -> None:
    async def scenario(node, rec) -> None:
        halts = record_topic(node, TOPIC_VENUE_HALT)
        resumes = record_topic(node, TOPIC_VENUE_RESUME)
        await wait_for(lambda: rec.quotes, what="quotes")
        a = rec.limit(OrderSide.SELL, "3010.0", "0.03")
        await wait_for(lambda: a.status == OrderStatus.ACCEPTED, what="accepted")

        assert sim.faults.drop_user_ws(ACCOUNT, refuse_for_s=DARK_SECS) >= 1
        oid = int(a.venue_order_id.value)
        sim.fill_order(ACCOUNT, oid, sz="0.01")
        sim.cancel_order(ACCOUNT, oid)
        await wait_for(lambda: halts, what="VenueHalt")
        rec.cancel_order(a)

        await wait_for(lambda: a.status == OrderStatus.CANCELED, what="canceled from the exchange's record")
        assert not resumes
        assert a.filled_qty.as_decimal() == Decimal("0.01")
        names = _event_names(rec, a)
        assert names.index("OrderFilled") < names.index("OrderCanceled")
        await wait_for(lambda: resumes, timeout=DARK_SECS + 8, what="VenueResume")
        assert len(a.trade_ids) == 1 and not rec.events_of("OrderCancelRejected")

    run_node(node_config(sim), scenario)
