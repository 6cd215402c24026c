"""Backup REST endpoints, and a node adopting what an earlier run left on the exchange."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import msgspec
from nautilus_trader.core.uuid import UUID4
from nautilus_trader.execution.messages import GenerateOrderStatusReport
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.events import OrderFilled
from nautilus_trader.model.identifiers import VenueOrderId
from nautilus_trader.model.objects import Price

from adapters.hyperliquid.execution import HyperliquidExecutionClient
from adapters.hyperliquid.schemas.user import Fill
from tests.node_kit import ACCOUNT
from tests.node_kit import ETH_ID
from tests.node_kit import RecorderConfig
from tests.node_kit import cached_eth_position
from tests.node_kit import exec_client
from tests.node_kit import node_config
from tests.node_kit import place_outside_order
from tests.node_kit import refused_url
from tests.node_kit import run_node
from tests.node_kit import wait_for


def test_cancel_all_goes_through_the_backup_when_the_primary_is_down_from_the_start(sim) -> None:
    config = node_config(sim, base_url=refused_url(), backup_base_urls=[sim.rest_url], ws_url=sim.ws_url)
    # The data client keeps the working url: this test is about the exec client's REST.

    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        orders = [rec.limit(OrderSide.BUY, px, "0.01") for px in ("2990.0", "2980.0", "2970.0")]
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in orders), what="accepted")
        assert len(sim.open_orders(ACCOUNT)) == 3

        rec.cancel_all_orders(ETH_ID)
        await wait_for(lambda: all(o.status == OrderStatus.CANCELED for o in orders), what="all canceled")
        assert sim.open_orders(ACCOUNT) == []
        assert client.http.failovers >= 1

    run_node(config, scenario)


def test_primary_refused_mid_session_cancel_all_goes_through_the_backup_port(sim) -> None:
    # Both endpoints are real hlsim ports on one exchange; the primary stops answering while the
    # node runs (the test above covers a primary that was never up).
    primary = sim.ports[0]
    backup = sim.add_port()

    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        orders = [rec.limit(OrderSide.BUY, px, "0.01") for px in ("2990.0", "2980.0")]
        await wait_for(lambda: all(o.status == OrderStatus.ACCEPTED for o in orders), what="accepted")
        assert client.http.failovers == 0  # the primary served everything so far

        sim.faults.refuse_rest(True, port=primary)
        rec.cancel_all_orders(ETH_ID)
        await wait_for(lambda: all(o.status == OrderStatus.CANCELED for o in orders), what="all canceled")
        assert sim.open_orders(ACCOUNT) == []
        assert client.http.failovers >= 1
        sim.faults.refuse_rest(False, port=primary)

    run_node(node_config(sim, backup_base_urls=[sim.url_for(backup)]), scenario)


def test_rest_5xx_on_the_primary_fails_over_to_a_backup_port(sim) -> None:
    backup = sim.url_for(sim.add_port())

    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.01")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        sim.faults.http_status(500, count=1)  # the next request (to the primary) answers 500
        rec.cancel_all_orders(ETH_ID)
        await wait_for(lambda: order.status == OrderStatus.CANCELED, what="canceled via backup")
        assert client.http.failovers == 1
        assert sim.open_orders(ACCOUNT) == []

    run_node(node_config(sim, backup_base_urls=[backup]), scenario)


def test_node_started_on_an_account_with_orders_and_a_position_adopts_them(sim) -> None:
    # An earlier run (here the official SDK, signing with the same agent key) left state behind.
    filled = place_outside_order(sim, True, 0.02, 2990.0)
    resting = place_outside_order(sim, True, 0.03, 2985.0)
    assert sim.fill_order(ACCOUNT, filled)
    assert sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.02")

    async def scenario(node, rec) -> None:
        cache = rec.cache
        await wait_for(lambda: cache.orders_open(instrument_id=ETH_ID), what="adopted open order")
        (adopted,) = cache.orders_open(instrument_id=ETH_ID)
        assert adopted.venue_order_id.value == str(resting)
        assert (adopted.side, adopted.quantity.as_decimal(), adopted.price.as_decimal()) == (
            OrderSide.BUY, Decimal("0.0300"), Decimal("2985.00"),
        )
        assert adopted.is_post_only
        await wait_for(lambda: cache.positions_open(instrument_id=ETH_ID), what="adopted position")
        (position,) = cache.positions_open(instrument_id=ETH_ID)
        assert Decimal(str(position.signed_decimal_qty())) == Decimal("0.02")

        # The adopted order keeps being tracked: a fill after start-up reaches the cache.
        sim.fill_order(ACCOUNT, resting)
        await wait_for(lambda: adopted.status == OrderStatus.FILLED, what="fill of the adopted order")
        await wait_for(
            lambda: Decimal(str(cache.positions_open(instrument_id=ETH_ID)[0].signed_decimal_qty())) == Decimal("0.05"),
            what="position grows",
        )

    run_node(node_config(sim), scenario, strategy_config=RecorderConfig(subscribe=False))


def test_single_order_status_report_by_client_order_id_and_by_venue_order_id(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.SELL, "3010.0", "0.02")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        sim.fill_order(ACCOUNT, int(order.venue_order_id.value), sz="0.005")

        by_cloid = await client.generate_order_status_report(
            GenerateOrderStatusReport(ETH_ID, order.client_order_id, None, UUID4(), 0)
        )
        assert by_cloid.client_order_id == order.client_order_id
        assert by_cloid.venue_order_id == order.venue_order_id
        assert (by_cloid.order_status, by_cloid.filled_qty.as_decimal()) == (OrderStatus.PARTIALLY_FILLED, Decimal("0.0050"))

        rec.cancel_order(order)
        await wait_for(lambda: order.status == OrderStatus.CANCELED, what="canceled")
        by_oid = await client.generate_order_status_report(
            GenerateOrderStatusReport(ETH_ID, None, order.venue_order_id, UUID4(), 0)
        )
        assert by_oid.order_status == OrderStatus.CANCELED
        unknown = await client.generate_order_status_report(
            GenerateOrderStatusReport(ETH_ID, None, VenueOrderId("123456789"), UUID4(), 0)
        )
        assert unknown is None

    run_node(node_config(sim), scenario)


def test_without_reconciliation_a_position_left_on_the_exchange_is_flagged_as_a_mismatch(sim) -> None:
    oid = place_outside_order(sim, False, 0.04, 3020.0)
    sim.fill_order(ACCOUNT, oid)

    async def scenario(node, rec) -> None:
        client = exec_client(node)
        state = await client.fetch_clearinghouse_state()
        assert client.check_positions(state) == ["ETH"]  # exchange short 0.04, cache flat
        assert client.position_mismatches == 1

    run_node(node_config(sim, reconciliation=False), scenario, strategy_config=RecorderConfig(subscribe=False))



def test_a_fill_of_an_order_placed_outside_the_node_while_it_runs_reaches_the_cache_position(sim) -> None:
    # Someone trades the same account while the node runs (the web UI, another script): the fill
    # belongs to no order of the node. The order is adopted with its fill, so the position the
    # strategy's inventory and the risk limits are computed from stays the exchange's.
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        oid = await asyncio.to_thread(place_outside_order, sim, False, 0.04, 3020.0)
        assert sim.fill_order(ACCOUNT, oid, sz="0.01")  # partly filled: the rest keeps resting
        await wait_for(lambda: cached_eth_position(rec.cache) == Decimal("-0.01"), what="external fill in the position")
        (adopted,) = [o for o in rec.cache.orders(instrument_id=ETH_ID) if o.venue_order_id.value == str(oid)]
        assert adopted.status == OrderStatus.PARTIALLY_FILLED
        assert [str(e.trade_id) for e in adopted.events if isinstance(e, OrderFilled)] == [
            str(f["tid"]) for f in sim.fills(ACCOUNT)
        ]
        # The adopted order keeps being tracked: its next fill arrives like any other.
        assert sim.fill_order(ACCOUNT, oid)
        await wait_for(lambda: cached_eth_position(rec.cache) == Decimal("-0.04"), what="second fill in the position")
        assert adopted.status == OrderStatus.FILLED
        assert client.external_fills_adopted == 1
        # The fill audit (every half second here) asks the same fills again: nothing counts twice.
        await asyncio.sleep(1.5)
        assert cached_eth_position(rec.cache) == Decimal("-0.04")
        assert [o.venue_order_id.value for o in rec.cache.orders(instrument_id=ETH_ID)] == [str(oid)]
        assert client.check_positions(await client.fetch_clearinghouse_state()) == []

    run_node(node_config(sim, fill_audit_interval_secs=0.5), scenario, strategy_config=RecorderConfig(subscribe=False))


def test_fills_the_exchange_keeps_no_order_for_are_adopted_each_as_an_order_of_its_own(sim) -> None:
    # A liquidation's fills name an oid that orderStatus does not know: each fill is the record.
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        now_ms = int(time.time() * 1000)

        def liquidation_fill(tid: int, sz: str) -> Fill:
            return Fill(coin="ETH", px="2990.5", sz=sz, side="B", time=now_ms + tid, oid=987654321, tid=tid,
                        fee="0.1", crossed=True, dir="Open Long")

        client.fills.apply([liquidation_fill(555, "0.03")])
        await wait_for(lambda: cached_eth_position(rec.cache) == Decimal("0.03"), what="liquidation fill in the position")
        client.fills.apply([liquidation_fill(556, "0.02")])  # the same oid fills again: no overfill
        await wait_for(lambda: cached_eth_position(rec.cache) == Decimal("0.05"), what="second liquidation fill")
        orders = rec.cache.orders(instrument_id=ETH_ID)
        assert sorted(o.venue_order_id.value for o in orders) == ["987654321-555", "987654321-556"]
        assert all((o.status, o.side) == (OrderStatus.FILLED, OrderSide.BUY) for o in orders)
        assert sorted(str(e.trade_id) for o in orders for e in o.events if isinstance(e, OrderFilled)) == ["555", "556"]
        assert client.external_fills_adopted == 2

    run_node(node_config(sim), scenario, strategy_config=RecorderConfig(subscribe=False))


def test_a_fill_whose_stream_messages_are_lost_is_recovered_by_the_fill_audit(sim) -> None:
    # The connection stays up but the fill's userFills and orderUpdates pushes never arrive: no
    # reconnect, so no catch-up. The adapter's fill audit finds the fill in the exchange's record.
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.02")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        sim.faults.lose_user_messages(ACCOUNT, "userFills")
        sim.faults.lose_user_messages(ACCOUNT, "orderUpdates")
        assert sim.fill_order(ACCOUNT, int(order.venue_order_id.value))
        await asyncio.sleep(0.3)
        assert order.status == OrderStatus.ACCEPTED  # the node has not heard of it
        await wait_for(lambda: order.status == OrderStatus.FILLED, timeout=10.0, what="fill recovered")
        assert [str(t) for t in order.trade_ids] == [str(f["tid"]) for f in sim.fills(ACCOUNT)]
        assert cached_eth_position(rec.cache) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.02")
        assert client.audit_fills_recovered == 1

    run_node(node_config(sim, fill_audit_interval_secs=1.0), scenario)


def test_an_outside_fill_during_start_up_is_counted_once_by_reconciliation_and_adoption(sim, monkeypatch) -> None:
    # The fill is pushed right after the stream subscribes, and start-up reconciliation (which runs
    # after the connect) reports it too; the adoption, held back here until after reconciliation,
    # must leave it to the reconciliation.
    connect = HyperliquidExecutionClient._connect

    async def connect_then_outside_fill(self) -> None:
        self.adoption.record_retry_secs = (1.5,)
        await connect(self)
        assert sim.fill_order(ACCOUNT, await asyncio.to_thread(place_outside_order, sim, True, 0.02, 2990.0))
        await asyncio.sleep(0.2)  # the push arrives before reconciliation starts

    monkeypatch.setattr(HyperliquidExecutionClient, "_connect", connect_then_outside_fill)

    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: not client.adoption.orders_pending, timeout=5.0, what="adoption settled")
        await asyncio.sleep(0.3)
        assert cached_eth_position(rec.cache) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.02")

    run_node(node_config(sim), scenario, strategy_config=RecorderConfig(subscribe=False))


def test_a_fill_orderstatus_already_counts_but_not_yet_pushed_is_applied_once(sim) -> None:
    # The second fill is in the exchange's record when the adoption asks, but its push comes late:
    # the adopted order is built from real fills only, so the late push adds nothing.
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        client.adoption.record_retry_secs = (0.5,)
        oid = await asyncio.to_thread(place_outside_order, sim, False, 0.04, 3020.0)
        assert sim.fill_order(ACCOUNT, oid, sz="0.01")
        await wait_for(lambda: client.adoption.orders_pending, what="adoption pending")
        sim.faults.lose_user_messages(ACCOUNT, "userFills")
        assert sim.fill_order(ACCOUNT, oid, sz="0.01")
        await wait_for(lambda: client.external_fills_adopted, what="adopted")
        late = msgspec.convert(
            {k: v for k, v in sim.fills(ACCOUNT)[-1].items() if k in Fill.__struct_fields__}, Fill
        )
        client.fills.apply([late])  # the late push
        await asyncio.sleep(0.3)
        (adopted,) = rec.cache.orders(instrument_id=ETH_ID)
        assert sorted(str(t) for t in adopted.trade_ids) == sorted(str(f["tid"]) for f in sim.fills(ACCOUNT))
        assert cached_eth_position(rec.cache) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("-0.02")

    run_node(node_config(sim), scenario, strategy_config=RecorderConfig(subscribe=False))


def test_the_open_order_check_infers_no_fill_the_audit_then_applies_again(sim) -> None:
    # A partial fill's pushes are lost. Nautilus's open-order check sees the exchange's filled
    # size; were it reported, Nautilus would book an inferred fill, and the real one, applied by the
    # fill audit, would count a second time.
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.02")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        await asyncio.sleep(1.0)  # past the open check's threshold for local activity
        sim.faults.lose_user_messages(ACCOUNT, "userFills")
        sim.faults.lose_user_messages(ACCOUNT, "orderUpdates")
        assert sim.fill_order(ACCOUNT, int(order.venue_order_id.value), sz="0.01")
        await wait_for(lambda: order.filled_qty.as_decimal() == Decimal("0.01"), timeout=10.0, what="fill applied")
        await asyncio.sleep(2.5)  # more open checks and audits
        fills = [e for e in order.events if isinstance(e, OrderFilled)]
        assert [str(f.trade_id) for f in fills] == [str(f["tid"]) for f in sim.fills(ACCOUNT)]
        assert (order.status, cached_eth_position(rec.cache)) == (OrderStatus.PARTIALLY_FILLED, Decimal("0.01"))

    run_node(node_config(sim, open_check=True, fill_audit_interval_secs=4.0), scenario, timeout=40)


def test_a_modified_part_filled_order_keeps_its_size_through_the_open_order_check(sim) -> None:
    # After a modify the exchange's replacement order is only the unfilled rest; the open check
    # must not shrink the order in the cache, or its last fill would be refused as an overfill.
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.04")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        assert sim.fill_order(ACCOUNT, int(order.venue_order_id.value), sz="0.01")
        await wait_for(lambda: order.filled_qty.as_decimal() == Decimal("0.01"), what="first fill")
        rec.modify_order(order, price=Price.from_str("2991.00"))
        await wait_for(lambda: order.price == Price.from_str("2991.00"), what="modified")
        await asyncio.sleep(3.0)  # open checks run
        assert order.quantity.as_decimal() == Decimal("0.0400")
        assert sim.fill_order(ACCOUNT, int(order.venue_order_id.value))
        await wait_for(lambda: order.status == OrderStatus.FILLED, what="rest filled")
        assert cached_eth_position(rec.cache) == sim.position(ACCOUNT, "ETH")["szi"] == Decimal("0.04")

    run_node(node_config(sim, open_check=True), scenario, timeout=40)


def test_an_adoption_that_fails_is_retried_by_the_fill_audit(sim) -> None:
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        real = client.adoption.order_record
        calls = []

        async def fails_once(oid, instrument):  # e.g. an orderStatus reply of a shape we do not know
            calls.append(oid)
            if len(calls) == 1:
                raise ValueError("unknown order status 'somethingNew'")
            return await real(oid, instrument)

        client.adoption.order_record = fails_once
        oid = await asyncio.to_thread(place_outside_order, sim, False, 0.04, 3020.0)
        assert sim.fill_order(ACCOUNT, oid, sz="0.01")
        await wait_for(lambda: client.external_fills_unapplied == 1, what="first adoption failed")
        await wait_for(lambda: cached_eth_position(rec.cache) == Decimal("-0.01"), timeout=10.0, what="adopted by the audit")
        assert client.external_fills_adopted == 1 and not client.adoption.orders_pending

    run_node(node_config(sim, fill_audit_interval_secs=1.0), scenario, strategy_config=RecorderConfig(subscribe=False))


def test_a_cancel_whose_push_is_lost_is_settled_by_the_fill_audit(sim) -> None:
    # The exchange cancels our order (e.g. at its open-order limit or an expiry) and the
    # orderUpdates push is lost: the audit sees the order missing from the open orders and its
    # record settles it, so the strategy does not wait on an order that no longer rests.
    async def scenario(node, rec) -> None:
        client = exec_client(node)
        await wait_for(lambda: rec.quotes, what="quotes")
        order = rec.limit(OrderSide.BUY, "2990.0", "0.02")
        await wait_for(lambda: order.status == OrderStatus.ACCEPTED, what="accepted")
        sim.faults.lose_user_messages(ACCOUNT, "orderUpdates")
        assert sim.cancel_order(ACCOUNT, int(order.venue_order_id.value))
        await asyncio.sleep(0.3)
        assert order.status == OrderStatus.ACCEPTED  # the node has not heard of it
        await wait_for(lambda: order.status == OrderStatus.CANCELED, timeout=10.0, what="cancel settled")
        assert client.audit_orders_settled == 1

    run_node(node_config(sim, fill_audit_interval_secs=1.0), scenario)
