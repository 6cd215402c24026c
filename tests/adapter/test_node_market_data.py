"""The data client on hlsim: stall detection and book rebuild after a reconnect."""

from __future__ import annotations

import asyncio

from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import RecordFlag

from adapters.hyperliquid.venue_events import TOPIC_MARKET_DATA_STALL
from tests.adapter.node_kit import RecorderConfig
from tests.adapter.node_kit import data_client
from tests.adapter.node_kit import node_config
from tests.adapter.node_kit import record_topic
from tests.adapter.node_kit import run_node
from tests.adapter.node_kit import wait_for

F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)


async def _move_book(sim, steps: int, start: float = 3000.0) -> None:
    """A live market: the ETH book changes every 50 ms (hlsim pushes on every change)."""
    for i in range(steps):
        bid = start + (i % 2)
        await asyncio.to_thread(sim.set_book, "ETH", bids=[(bid, 5)], asks=[(bid + 1, 5)])
        await asyncio.sleep(0.05)


def test_silence_on_an_open_socket_publishes_a_stall_per_coin_and_for_all(sim) -> None:
    async def scenario(node, rec) -> None:
        stalls = record_topic(node, TOPIC_MARKET_DATA_STALL)
        await wait_for(lambda: rec.quotes, what="quotes")
        await _move_book(sim, 12)  # 0.6 s of data: longer than the timeout, yet no stall
        assert stalls == []

        sim.faults.stall_market_data(True)
        await _move_book(sim, 12)  # the book moves but nothing is pushed
        assert {s.coin for s in stalls} == {"ETH", None}
        assert all(s.silent_ms >= 400 for s in stalls)
        assert data_client(node).ws.is_connected

        sim.faults.stall_market_data(False)
        n_quotes = len(rec.quotes)
        await _move_book(sim, 4)
        await wait_for(lambda: len(rec.quotes) > n_quotes, what="data again")

    run_node(node_config(sim, data_overrides={"stall_timeout_secs": 0.4, "stall_check_interval_secs": 0.05}), scenario)


def test_after_a_reconnect_the_book_is_rebuilt_from_a_flagged_snapshot(sim) -> None:
    async def scenario(node, rec) -> None:
        client = data_client(node)
        await wait_for(lambda: rec.deltas, what="book")
        await _move_book(sim, 3)
        await wait_for(lambda: len(rec.deltas) >= 3, what="diffs")
        assert all(d.action != BookAction.CLEAR for batch in rec.deltas[1:] for d in batch.deltas)

        n_batches = len(rec.deltas)
        await client.ws.drop_for_test()
        await wait_for(lambda: client.ws.reconnects == 1, timeout=5.0, what="reconnected")
        await _move_book(sim, 2, start=3005.0)
        await wait_for(lambda: len(rec.deltas) > n_batches, what="book after reconnect")
        first = rec.deltas[n_batches].deltas
        assert first[0].action == BookAction.CLEAR and all(d.flags & F_SNAPSHOT for d in first)
        book = rec.cache.order_book(rec.instrument_id)
        await wait_for(lambda: book.best_bid_price() is not None and book.best_bid_price().as_double() >= 3005.0,
                       what="book follows the market")

    run_node(node_config(sim), scenario)


def test_instrument_requests_are_answered_from_the_meta_loaded_provider(sim) -> None:
    async def scenario(node, rec) -> None:
        answered: list[object] = []
        rec.request_instrument(rec.instrument_id, callback=answered.append)
        rec.request_instruments(rec.instrument_id.venue, callback=answered.append)
        await wait_for(lambda: len(answered) == 2, what="both requests answered")
        instrument = rec.cache.instrument(rec.instrument_id)
        assert (instrument.size_precision, instrument.price_precision, instrument.info["asset"]) == (4, 2, 1)
        assert instrument.min_notional.as_double() == 10.0 and float(instrument.maker_fee) == 0.00015

    run_node(node_config(sim), scenario, strategy_config=RecorderConfig(subscribe=False))
