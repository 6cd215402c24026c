"""The data client on hlsim: stall detection, its end (`MarketDataResumed`), a dropped market-data
socket reported as a stall, and the book rebuild after a reconnect."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import RecordFlag

from adapters.hyperliquid.types import TOPIC_MARKET_DATA_RESUMED
from adapters.hyperliquid.types import TOPIC_MARKET_DATA_STALL
from mm_strategy import messages as msg
from mm_strategy.risk_guard import RiskGuard
from mm_strategy.risk_guard import RiskGuardConfig
from tests.node_kit import ETH_ID
from tests.node_kit import RecorderConfig
from tests.node_kit import data_client
from tests.node_kit import node_config
from tests.node_kit import record_topic
from tests.node_kit import run_node
from tests.node_kit import wait_for

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


def test_a_stall_ends_with_market_data_resumed_once_a_fresh_book_arrived(sim) -> None:
    async def scenario(node, rec) -> None:
        client = data_client(node)
        stalls = record_topic(node, TOPIC_MARKET_DATA_STALL)
        resumed = record_topic(node, TOPIC_MARKET_DATA_RESUMED)
        book_when_resumed: list[float] = []
        await wait_for(lambda: rec.deltas, what="book")
        # Looked up when the all-clear comes: the cache's book is the one the strategy quotes from.
        node.kernel.msgbus.subscribe(
            TOPIC_MARKET_DATA_RESUMED,
            lambda e: book_when_resumed.append(rec.cache.order_book(rec.instrument_id).best_bid_price().as_double()),
        )

        sim.faults.stall_market_data(True)
        await asyncio.to_thread(sim.set_book, "ETH", bids=[(3010.0, 5)], asks=[(3011.0, 5)])  # not pushed
        await wait_for(lambda: {s.coin for s in stalls} == {"ETH", None}, what="stall")
        assert client.stalled_coins == {"ETH"}
        await asyncio.sleep(0.3)
        assert resumed == []  # still nothing: the stall lasts

        sim.faults.stall_market_data(False)  # pushes resume with a fresh book
        await wait_for(lambda: len(resumed) == 2, what="resumed")
        assert [e.coin for e in resumed] == ["ETH", None]
        assert book_when_resumed[0] == 3010.0  # the fresh book was in the cache before the all-clear
        assert client.stalled_coins == frozenset()
        assert len(stalls) == 2  # one spell, reported once

    run_node(node_config(sim, data_overrides={"stall_timeout_secs": 0.4, "stall_check_interval_secs": 0.05}), scenario)


def test_a_dropped_market_data_socket_is_a_stall_until_the_rebuilt_book_arrives(sim) -> None:
    async def scenario(node, rec) -> None:
        client = data_client(node)
        stalls = record_topic(node, TOPIC_MARKET_DATA_STALL)
        resumed = record_topic(node, TOPIC_MARKET_DATA_RESUMED)
        await wait_for(lambda: rec.deltas, what="book")
        n_batches = len(rec.deltas)

        dropped_at = time.monotonic()
        assert sim.faults.drop_market_ws(refuse_for_s=1.0) == 1  # dark for 1 s, reconnects are cut meanwhile
        await wait_for(lambda: stalls, timeout=2.0, what="stall on the drop")
        assert time.monotonic() - dropped_at < 1.0  # at once, not after the 30 s silence timeout
        assert [(s.coin, client.ws.is_connected) for s in stalls] == [(None, False)]
        await asyncio.to_thread(sim.set_book, "ETH", bids=[(3005.0, 5)], asks=[(3006.0, 5)])

        await wait_for(lambda: len(resumed) == 2, timeout=6.0, what="resumed after the reconnect")
        assert time.monotonic() - dropped_at >= 1.0  # not while the market data was dark
        assert [e.coin for e in resumed] == ["ETH", None]
        assert len(stalls) == 1  # cut reconnects inside the window are the same spell
        first = rec.deltas[n_batches].deltas  # the book arrived before the resume, rebuilt from scratch
        assert first[0].action == BookAction.CLEAR and all(d.flags & F_SNAPSHOT for d in first)
        assert rec.cache.order_book(rec.instrument_id).best_bid_price().as_double() == 3005.0

    overrides = {"reconnect_backoff_initial_secs": 0.2, "reconnect_backoff_max_secs": 0.4}
    run_node(node_config(sim, data_overrides=overrides), scenario)


def test_a_risk_guard_on_the_node_halts_on_stalls_and_drops_and_resumes_when_data_flows(sim) -> None:
    guard = RiskGuard(RiskGuardConfig(
        instrument_ids=(str(ETH_ID),), micro_move_bps=1_000.0, ofi_threshold=1.01, tfi_threshold=1.01,
    ))

    def stall_controls(seen: list) -> list[str]:
        """Halt/Resume from the stall guard, repeats folded (a coin's and the all-coins event both land here)."""
        names = [type(m).__name__ for m in seen if getattr(m, "source", None) == "stall"]
        return [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]

    async def scenario(node, rec) -> None:
        controls = record_topic(node, msg.control_topic(str(ETH_ID)))
        await wait_for(lambda: rec.deltas, what="book")

        sim.faults.stall_market_data(True)  # chain stopped: silence on an open socket
        await wait_for(lambda: stall_controls(controls) == ["Halt"], what="halt on the stall")
        sim.faults.stall_market_data(False)
        await wait_for(lambda: stall_controls(controls) == ["Halt", "Resume"], what="resume when data flows")

        sim.faults.drop_market_ws(refuse_for_s=0.5)  # the market-data socket goes away
        await wait_for(lambda: stall_controls(controls) == ["Halt", "Resume", "Halt"], what="halt on the drop")
        await wait_for(lambda: len(stall_controls(controls)) == 4, timeout=5.0, what="resume after the reconnect")
        assert stall_controls(controls)[-1] == "Resume"
        # Silence: ETH and all-coins stalls, then both resumes; the drop: one all-coins stall, then both resumes.
        assert (guard.firings["stall"], guard.firings["stall_resume"]) == (3, 4)

    data = {"stall_timeout_secs": 0.4, "stall_check_interval_secs": 0.05,
            "reconnect_backoff_initial_secs": 0.2, "reconnect_backoff_max_secs": 0.4}
    run_node(node_config(sim, data_overrides=data), scenario, actors=[guard])


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


def test_mark_prices_and_funding_rates_come_from_the_asset_context_channel(sim) -> None:
    async def scenario(node, rec) -> None:
        client = data_client(node)
        await wait_for(lambda: rec.marks and rec.funding, what="mark price and funding rate")
        assert rec.marks[0].value.as_double() == 3000.5  # hlsim's mark is the book's mid
        funding = rec.funding[0]
        assert (funding.rate, funding.interval) == (Decimal("0.0"), 60)
        assert funding.next_funding_ns % (3_600 * 10**9) == 0 and funding.next_funding_ns > funding.ts_event

        await asyncio.to_thread(sim.set_book, "ETH", bids=[(3010.0, 5)], asks=[(3012.0, 5)])
        await wait_for(lambda: rec.marks[-1].value.as_double() == 3011.0, what="mark follows the market")
        assert {"type": "activeAssetCtx", "coin": "ETH"} in client.ws.subscriptions

        rec.unsubscribe_mark_prices(rec.instrument_id)
        await asyncio.sleep(0.2)
        assert {"type": "activeAssetCtx", "coin": "ETH"} in client.ws.subscriptions  # funding still wanted
        n_marks = len(rec.marks)
        await asyncio.to_thread(sim.set_book, "ETH", bids=[(3020.0, 5)], asks=[(3022.0, 5)])
        await asyncio.sleep(0.3)
        assert len(rec.marks) == n_marks
        rec.unsubscribe_funding_rates(rec.instrument_id)
        await wait_for(lambda: {"type": "activeAssetCtx", "coin": "ETH"} not in client.ws.subscriptions,
                       what="channel unsubscribed")

    run_node(node_config(sim), scenario, strategy_config=RecorderConfig(subscribe=False, subscribe_asset_ctx=True))


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


def test_a_book_subscriber_that_comes_later_gets_the_whole_book_in_the_cache(sim) -> None:
    # Every managed book subscription gives the cache a new, empty book (Nautilus 1.231): a strategy
    # or actor subscribing after the first snapshot must not leave the others quoting off a book
    # that only the following diffs fill.
    async def scenario(node, rec) -> None:
        await wait_for(lambda: rec.deltas, what="the first book")
        first_book = rec.cache.order_book(ETH_ID)
        rec.subscribe_order_book_deltas(ETH_ID)  # a second subscription: the cache's book is replaced
        await wait_for(lambda: rec.cache.order_book(ETH_ID) is not first_book, what="the new book")
        await asyncio.to_thread(sim.set_book, "ETH", bids=[(3000.0, 7), (2999.0, 5)], asks=[(3001.0, 5), (3002.0, 5)])
        book = rec.cache.order_book(ETH_ID)

        def whole() -> bool:
            bids, asks = book.bids(), book.asks()
            return [(lv.price.as_double(), lv.size()) for lv in bids] == [(3000.0, 7.0), (2999.0, 5.0)] and [
                lv.price.as_double() for lv in asks
            ] == [3001.0, 3002.0]

        await wait_for(whole, what="the whole book in the new cache book")

    run_node(node_config(sim), scenario)


def test_a_market_data_socket_cut_at_its_subscribe_is_a_failed_attempt_not_a_return(sim) -> None:
    # Without the subscriptions acknowledged, every attempt inside the window would count as back
    # (books reset, "reconnected") and the backoff would start again from its shortest wait.
    async def scenario(node, rec) -> None:
        ws = data_client(node)._ws
        await wait_for(lambda: rec.deltas, what="book")
        window_end = time.monotonic() + 1.0
        assert sim.faults.drop_market_ws(refuse_for_s=1.0) >= 1
        await wait_for(lambda: ws.reconnects >= 1 and ws.is_connected, timeout=6.0, what="back after the window")
        assert time.monotonic() >= window_end - 0.05
        await asyncio.sleep(0.3)
        assert ws.reconnects == 1

    data = {"reconnect_backoff_initial_secs": 0.1, "reconnect_backoff_max_secs": 0.2}
    run_node(node_config(sim, data_overrides=data), scenario)
