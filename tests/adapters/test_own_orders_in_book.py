"""Hyperliquid's book shows our own resting orders: the MarketMaker quotes from the market's touch.

Over hlsim (whose l2Book, like the exchange's, holds every resting order) with a real TradingNode.
When the market's best ask moves away, our own asks become the book's best: a fair price taken from
them would lean on our own size, and each re-quote would move the touch it came from again."""

from __future__ import annotations

import asyncio

import pytest

from mm_strategy.market_maker import MarketMaker
from tests.node_kit import ACCOUNT
from tests.node_kit import eth_quoter
from tests.node_kit import ladder_quoted
from tests.node_kit import node_config
from tests.node_kit import run_node
from tests.node_kit import wait_for


def _requotes(mm: MarketMaker) -> int:
    """Orders moved since the first ladder: cancelled (and replaced) or modified."""
    return mm.actions["cancel"] + mm.actions["modify"]


def _prices(sim, side: str) -> list[float]:  # type: ignore[no-untyped-def]
    return sorted(float(o["limitPx"]) for o in sim.open_orders(ACCOUNT) if o["side"] == side)


@pytest.mark.parametrize("use_modify", [False, True])
def test_when_our_asks_become_the_books_best_the_quotes_center_on_the_markets_touch_and_stay(
    sim, use_modify: bool,
) -> None:
    mm = eth_quoter(use_modify=use_modify)

    async def scenario(node, rec) -> None:
        await ladder_quoted(sim, mm)
        first_asks = _prices(sim, "A")
        # The market's asks leave for 3003: the book's best ask is now our own 3001.2 (0.0066 ETH),
        # the market's touch 3000.0 / 3003.0 (mid 3001.5).
        sim.set_book("ETH", bids=[(3000.0, 5), (2999.0, 5)], asks=[(3003.0, 5), (3004.0, 5)])
        await wait_for(lambda: len(sim.open_orders(ACCOUNT)) == 6 and _prices(sim, "A") != first_asks,
                       timeout=10.0, what="re-quoted")
        await wait_for(lambda: not any(s.busy for s in mm._slots.values()), what="re-quote settled")
        await asyncio.sleep(0.5)  # room for a chase: each re-quote changes the book and brings an event
        bids, asks = _prices(sim, "B"), _prices(sim, "A")
        assert abs((bids[-1] + asks[0]) / 2 - 3001.5) <= 0.05  # around the market's mid, not our own ask
        assert _requotes(mm) == 6  # one re-quote, no chase

    run_node(node_config(sim), scenario, strategies=[mm])


@pytest.mark.parametrize("use_modify", [False, True])
def test_a_late_book_that_still_shows_our_old_asks_does_not_re_quote(sim, use_modify: bool) -> None:
    """The book comes late (market data lags the user stream): a book stamped before our cancels
    (or modifies) arrives after them, still showing the old asks as its best. They are ours."""
    mm = eth_quoter(use_modify=use_modify)

    async def scenario(node, rec) -> None:
        await ladder_quoted(sim, mm)
        first_asks = _prices(sim, "A")
        sim.faults.delay_market_data(300)
        # The book 1.0 up, through our asks; 0.1 s later a deeper level changes: that second book is
        # stamped before our cancels and, held 0.3 s, comes after them.
        sim.set_book("ETH", bids=[(3001.0, 5), (3000.0, 5)], asks=[(3002.0, 5), (3003.0, 5)])
        await asyncio.sleep(0.1)
        sim.set_book("ETH", bids=[(3001.0, 5), (3000.0, 5)], asks=[(3002.0, 5), (3003.0, 6)])
        await wait_for(lambda: len(sim.open_orders(ACCOUNT)) == 6 and _prices(sim, "A") != first_asks,
                       timeout=10.0, what="re-quoted")
        await wait_for(lambda: not any(s.busy for s in mm._slots.values()), what="re-quote settled")
        await asyncio.sleep(1.0)  # every held book delivered
        assert _requotes(mm) == 6  # one re-quote
        bids, asks = _prices(sim, "B"), _prices(sim, "A")
        assert abs((bids[-1] + asks[0]) / 2 - 3001.5) <= 0.05

    run_node(node_config(sim), scenario, strategies=[mm])


@pytest.mark.parametrize("use_modify", [False, True])
def test_a_wide_market_spread_moves_both_sides_without_our_bids_crossing_our_own_asks(sim, use_modify: bool) -> None:
    """The market's asks leave for 3010: the fair price rises past our own asks. The new bids stay
    below the asks still resting (a post-only bid through them would be refused, and with a modify,
    Hyperliquid has already cancelled the original)."""
    mm = eth_quoter(use_modify=use_modify)

    async def scenario(node, rec) -> None:
        await ladder_quoted(sim, mm)
        sim.set_book("ETH", bids=[(3000.0, 5), (2999.0, 5)], asks=[(3010.0, 5), (3011.0, 5)])
        await asyncio.sleep(1.5)
        await wait_for(lambda: not any(s.busy for s in mm._slots.values()), what="re-quotes settled")
        assert len(_prices(sim, "B")) == 3 and len(_prices(sim, "A")) == 3
        assert mm.post_only_rejects == 0
        assert _prices(sim, "B")[-1] < _prices(sim, "A")[0]

    run_node(node_config(sim), scenario, strategies=[mm])


def test_when_a_side_of_the_book_is_only_our_orders_the_quotes_stand(sim) -> None:
    mm = eth_quoter()

    async def scenario(node, rec) -> None:
        await ladder_quoted(sim, mm)
        before = sorted(float(o["limitPx"]) for o in sim.open_orders(ACCOUNT))
        # Every market ask gone: the market shows no ask price, only ours.
        sim.set_book("ETH", bids=[(3000.0, 5), (2999.0, 5)], asks=[])
        await asyncio.sleep(0.5)
        assert sorted(float(o["limitPx"]) for o in sim.open_orders(ACCOUNT)) == before
        assert mm.actions["cancel"] == 0

    run_node(node_config(sim), scenario, strategies=[mm])


def test_while_a_side_shows_only_our_orders_the_quotes_follow_the_other_side(sim) -> None:
    """The market's asks are gone, the last one seen stands in: a rising bid still moves the quotes."""
    mm = eth_quoter()

    async def scenario(node, rec) -> None:
        await ladder_quoted(sim, mm)
        first_bid = _prices(sim, "B")[-1]
        # The market now: bid 3000.6, no ask (ours only); its last ask was 3001.0: mid 3000.8.
        sim.set_book("ETH", bids=[(3000.6, 5), (2999.0, 5)], asks=[])
        await wait_for(lambda: len(_prices(sim, "B")) == 3 and _prices(sim, "B")[-1] > first_bid,
                       timeout=10.0, what="the bids re-quoted up")
        await wait_for(lambda: not any(s.busy for s in mm._slots.values()), what="re-quote settled")
        bids, asks = _prices(sim, "B"), _prices(sim, "A")
        assert abs((bids[-1] + asks[0]) / 2 - 3000.8) <= 0.05

    run_node(node_config(sim), scenario, strategies=[mm])
