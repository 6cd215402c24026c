"""Market-data messages → Nautilus data: the real capture, bad input, and a fuzz of both."""

from __future__ import annotations

import json
import logging
import os
import random
from decimal import Decimal

import pytest
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from nautilus_trader.model.book import OrderBook
from nautilus_trader.model.data import FundingRateUpdate
from nautilus_trader.model.data import MarkPriceUpdate
from nautilus_trader.model.data import OrderBookDeltas
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import BookType
from nautilus_trader.model.enums import RecordFlag

from adapters.hyperliquid.feed import MarketDataFeed
from adapters.hyperliquid.parsing.instruments import perp_instrument
from adapters.hyperliquid.parsing.recordings import iter_records
from catalog import shipped_data

ETH = perp_instrument("ETH", 4, asset_index=1)
F_LAST = int(RecordFlag.F_LAST)
F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)


@pytest.fixture(scope="module")
def eth_messages() -> list[tuple[str, bytes, int]]:
    return [(r.channel, bytes(r.raw), r.recv_ns or 0) for r in iter_records(shipped_data.eth_capture())]


def _book_levels(book: OrderBook) -> tuple[dict[float, float], dict[float, float]]:
    # Rounded: `as_double` of a fixed-point price can be 51050.700000000004 for 51050.7.
    px = ETH.price_precision
    bids = {round(lvl.price.as_double(), px): round(lvl.size(), ETH.size_precision) for lvl in book.bids()}
    asks = {round(lvl.price.as_double(), px): round(lvl.size(), ETH.size_precision) for lvl in book.asks()}
    return bids, asks


def _differ_levels(feed: MarketDataFeed) -> tuple[dict[float, float], dict[float, float]]:
    bids, asks = feed.differ("ETH").levels()
    return ({float(p): float(s) for p, s in bids.items()}, {float(p): float(s) for p, s in asks.items()})


def test_eth_capture_yields_quotes_trades_and_true_deltas_that_rebuild_every_snapshot(eth_messages) -> None:
    feed = MarketDataFeed({"ETH": ETH})
    book = OrderBook(ETH.id, BookType.L2_MBP)
    counts = {"deltas": 0, "quotes": 0, "trades": 0, "clears": 0}
    for channel, data, recv_ns in eth_messages:
        for item in feed.handle(channel, data, recv_ns):
            if isinstance(item, OrderBookDeltas):
                assert item.deltas[-1].flags & F_LAST
                assert all(not d.flags & F_LAST for d in item.deltas[:-1])
                counts["clears"] += sum(1 for d in item.deltas if d.action.name == "CLEAR")
                book.apply_deltas(item)
                counts["deltas"] += 1
                assert _book_levels(book) == _differ_levels(feed)
            elif isinstance(item, QuoteTick):
                counts["quotes"] += 1
                assert item.ts_init >= item.ts_event
            elif isinstance(item, TradeTick):
                counts["trades"] += 1
    assert feed.stats.bad == 0
    assert counts["clears"] == 1  # one snapshot, then only diffs
    assert counts["deltas"] > 1500 and counts["quotes"] > 9000 and counts["trades"] == 6385
    assert feed.stats.last_lag_ms is not None


def test_rebuild_hands_a_new_empty_book_the_current_book_whole(eth_messages) -> None:
    feed = MarketDataFeed({"ETH": ETH})
    assert feed.rebuild("ETH", 0) is None  # no book yet
    for channel, data, recv_ns in [m for m in eth_messages if m[0] == "l2Book"][:5]:
        feed.handle(channel, data, recv_ns)
    sequence = feed.differ("ETH").sequence
    rebuild = feed.rebuild("ETH", recv_ns)
    assert rebuild.sequence == sequence + 1
    assert all(d.flags & F_SNAPSHOT for d in rebuild.deltas) and rebuild.deltas[-1].flags & F_LAST
    fresh = OrderBook(ETH.id, BookType.L2_MBP)
    fresh.apply_deltas(rebuild)
    assert _book_levels(fresh) == _differ_levels(feed)


def test_reset_makes_the_next_book_a_flagged_snapshot(eth_messages) -> None:
    feed = MarketDataFeed({"ETH": ETH})
    books = [(c, d, t) for c, d, t in eth_messages if c == "l2Book"][:3]
    feed.handle(*books[0])
    feed.reset_books()
    (deltas,) = feed.handle(*books[1])
    assert deltas.deltas[0].action.name == "CLEAR"
    assert all(d.flags & F_SNAPSHOT for d in deltas.deltas)


def test_bad_messages_are_counted_logged_and_leave_the_book_alone(eth_messages, caplog) -> None:
    log = logging.getLogger("test.feed")
    feed = MarketDataFeed({"ETH": ETH}, logger=log)
    first_book = next((c, d, t) for c, d, t in eth_messages if c == "l2Book")
    feed.handle(*first_book)
    before = feed.differ("ETH").levels()
    bad = [
        ("l2Book", b'{"coin":"ETH","time":1,"levels":[[{"px":"1.123456789","sz":"1"}],[]]}'),  # precision
        ("l2Book", b'{"coin":"DOGE","time":1,"levels":[[],[]]}'),  # unknown coin
        ("l2Book", b'{"coin":"ETH","time":"x"}'),  # schema
        ("bbo", b"not json"),
        ("trades", b'[{"coin":"ETH","side":"Z","px":"1","sz":"1","time":1,"tid":1}]'),
    ]
    with caplog.at_level(logging.WARNING, logger="test.feed"):
        for channel, data in bad:
            assert feed.handle(channel, data, 0) == []
    assert feed.stats.bad == len(bad)
    assert feed.stats.bad_by_reason == {"value": 1, "unknown_coin": 1, "schema": 3}
    assert feed.differ("ETH").levels() == before
    assert sum("dropped bad" in r.message for r in caplog.records) == len(bad)


# -- fuzz -------------------------------------------------------------------------------------------

_prices = st.decimals(min_value="0.1", max_value="99999", places=1).map(lambda d: format(d, "f"))
_sizes = st.one_of(
    st.decimals(min_value="0.0001", max_value="5000", places=4).map(lambda d: format(d, "f")),
    st.sampled_from(["0", "-1", "1e3", "NaN", "", "1.00001", "abc"]),
)
_level = st.fixed_dictionaries({"px": _prices, "sz": _sizes}, optional={"n": st.integers(-1, 50)})
_junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
_coin = st.sampled_from(["ETH", "ETH", "ETH", "BTC", ""])
_time = st.integers(min_value=-5, max_value=2**53)
_l2book = st.builds(
    lambda coin, t, bids, asks: ("l2Book", {"coin": coin, "time": t, "levels": [bids, asks]}),
    _coin, _time, st.lists(_level, max_size=22), st.lists(_level, max_size=22),
)
_bbo = st.builds(
    lambda coin, t, bid, ask: ("bbo", {"coin": coin, "time": t, "bbo": [bid, ask]}),
    _coin, _time, st.none() | _level, st.none() | _level,
)
_trade = st.fixed_dictionaries(
    {"coin": _coin, "side": st.sampled_from(["A", "B", "C"]), "px": _prices, "sz": _sizes, "time": _time,
     "tid": st.integers(0, 2**63)},
    optional={"hash": st.text(max_size=4), "users": st.lists(st.text(max_size=4), max_size=2)},
)
_trades = st.builds(lambda ts: ("trades", ts), st.lists(_trade, max_size=4))
_junk_msg = st.tuples(st.sampled_from(["l2Book", "bbo", "trades", "allMids"]), _junk)
_message = st.one_of(_l2book, _l2book, _bbo, _trades, _junk_msg)

FUZZ_BATCH = 25
FUZZ_EXAMPLES = int(os.environ.get("HL_FUZZ_EXAMPLES", "250"))  # 250 x (25 generated + 25 mutated real messages) = 12,500 messages


def _mutate(data: bytes, rng: random.Random) -> bytes:
    op = rng.randrange(4)
    if op == 0 and data:  # flip a byte
        i = rng.randrange(len(data))
        return data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]
    if op == 1:  # truncate
        return data[: rng.randrange(len(data) + 1)]
    if op == 2:  # change a digit (valid JSON, new values)
        digits = [i for i, b in enumerate(data) if 48 <= b <= 57]
        if digits:
            i = rng.choice(digits)
            return data[:i] + str(rng.randrange(10)).encode() + data[i + 1 :]
    return data  # unchanged: the real message itself


@pytest.mark.slow
def test_fuzzed_and_mutated_messages_never_crash_and_keep_the_book_consistent(eth_messages) -> None:
    real = eth_messages[:3000]
    seen = {"messages": 0, "bad": 0}

    @settings(
        max_examples=FUZZ_EXAMPLES, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.lists(_message, min_size=FUZZ_BATCH, max_size=FUZZ_BATCH), st.integers(0, 2**32))
    def run(generated: list[tuple[str, object]], seed: int) -> None:
        rng = random.Random(seed)
        feed = MarketDataFeed({"ETH": ETH}, logger=logging.getLogger("test.fuzz"))
        book = OrderBook(ETH.id, BookType.L2_MBP)
        start = rng.randrange(len(real) - FUZZ_BATCH)
        batch = [(c, json.dumps(d).encode()) for c, d in generated]
        batch += [(c, _mutate(d, rng)) for c, d, _ in real[start : start + FUZZ_BATCH]]
        rng.shuffle(batch)
        for channel, data in batch:
            for item in feed.handle(channel, data, 1):
                if isinstance(item, OrderBookDeltas):
                    book.apply_deltas(item)
            # The book the deltas built is exactly the differ's last accepted snapshot.
            if feed.differ("ETH").has_book:
                assert _book_levels(book) == _differ_levels(feed), (channel, data[:300])
                assert all(s > 0 for side in _differ_levels(feed) for s in side.values())
        seen["messages"] += len(batch)
        seen["bad"] += feed.stats.bad
        assert feed.stats.messages == len(batch)

    logging.getLogger("test.fuzz").setLevel(logging.ERROR)  # bad-message warnings are expected here
    run()
    assert seen["messages"] >= 10_000
    assert seen["bad"] > 1000  # the corrupt ones were seen, counted and dropped


def _ctx(**ctx: object) -> bytes:
    base = {"funding": "0.0000125", "openInterest": "10.0", "prevDayPx": "2990.0", "dayNtlVlm": "1.0",
            "premium": "0.0", "oraclePx": "3000.0", "markPx": "3000.5", "midPx": "3000.5",
            "impactPxs": ["3000.0", "3001.0"], "dayBaseVlm": "1.0"}
    return json.dumps({"coin": "ETH", "ctx": {**base, **ctx}}).encode()


def test_asset_context_becomes_a_mark_price_and_an_hourly_funding_rate() -> None:
    feed = MarketDataFeed({"ETH": ETH})
    recv_ns = 1_700_000_100 * 10**9
    mark, funding = feed.handle("activeAssetCtx", _ctx(markPx="3000.125"), recv_ns)
    assert isinstance(mark, MarkPriceUpdate) and isinstance(funding, FundingRateUpdate)
    assert (str(mark.value), mark.ts_event) == ("3000.12", recv_ns)  # rounded to the price precision
    assert (funding.rate, funding.interval) == (Decimal("0.0000125"), 60)
    assert funding.next_funding_ns == 1_700_002_800 * 10**9  # the next full hour
    assert feed.last_coin is None  # the context does not count as book/trade data for stall detection


@pytest.mark.parametrize("ctx", [{"markPx": "0"}, {"markPx": "-1"}, {"markPx": "abc"}, {"funding": "nan"},
                                 {"funding": "2.5"}, {"markPx": "1e400"}, {"markPx": None}])
def test_bad_asset_context_is_dropped_and_counted(ctx: dict) -> None:
    feed = MarketDataFeed({"ETH": ETH})
    assert feed.handle("activeAssetCtx", _ctx(**ctx), 1) == []
    assert feed.stats.bad == 1
