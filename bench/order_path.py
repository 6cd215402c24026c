"""Nautilus's own cost per order, warm (back-to-back in one process, after a backtest run), for
the hot-path shortfall in issue 5: what a strategy pays in Nautilus 1.231 before any exchange work.

- `order_factory_limit_us`: `Strategy.order_factory.limit(...)` for a post-only GTC limit order
  (with our own client order id, as the MarketMaker does).
- `add_order_debug_format_us`: `f"Added {order}"`, which `Cache.add_order` formats for a debug line
  even with logging off.
- `add_order_list_debug_format_us`: the same for a 3-order `OrderList` (`Cache.add_order_list`).
- `add_brief_order_list_format_us`: the same for the MarketMaker's `BriefOrderList`
  (mm_strategy/order_list.py), whose repr names the orders instead of formatting them.

Medians of 5 rounds of 2,000 (lists: 300).

What the strategy's own-orders check (live: Hyperliquid's book shows our orders) pays to read one
side of the book, on the ETH capture's last book (20 levels a side), our orders on its best three
bid levels, the market's touch found by `market_touch` from: `book_side_levels_us`, the whole side
built by `OrderBook.bids()` (the check before git 6336eb2), against `book_levels_near_touch_us`, the
MarketMaker's `_levels_near_touch` (the levels down to our deepest order, `get_all_crossed_levels`,
and no more when the market's touch is among them). Medians of 5 rounds of 2,000.

What a pause costs the code that runs after it (issue 18: the hot path's events arrive spaced out,
and the same instructions then take several times longer): `order_factory_limit_after_<N>ms_us`,
one `limit(...)` timed right after sleeping N ms (medians of PAUSED_CALLS); while this process
sleeps, other work on the machine (other processes, other guests of the host) takes its caches.
`order_factory_limit_after_flush_us`: after this process itself overwrote 64 MB (no cache holds any
of the call's code or data). `order_factory_limit_after_10ms_spin_us`: after 10 ms of busy-waiting
instead of sleeping (the core never idles): whether a busy-polling loop would keep the caches;
`order_factory_limit_after_10ms_poll_us`: after 10 ms of asking a selector for ready sockets with a
zero timeout, as a busy-polling event loop does (`bench/hot_path.py --busy-poll`). On a host whose
other guests take the shared caches, neither keeps them (stop 33: 344 µs spun, 318 polled, 353
slept, 37 back to back).

What a cancel-all pays to find the orders whose submit has not reached the client yet, in a cache
of SCAN_ORDERS orders (a long-running node's cache keeps every order it had; the orders added here
are all initialized, the worst case): `initialized_ids_scan_ms` (the adapter's
`initialized_order_ids`, set differences of the cache's id indexes) against
`cached_orders_scan_ms` (building every cached order to read its status). Medians of 3.

What the live node's status write costs on the event loop (every `run.status_interval_secs`, 1 s
by default) with the same cache: `status_snapshot_ms`, `StatusBoard.snapshot()` (live/status.py:
fills kept from the fill topic, the open orders from the cache's index), against
`status_snapshot_by_scan_ms`, what that snapshot did before (git 8353fe1): the fills and the first
order time read from every cached order and its events. Medians of 3.

What a full garbage collection costs with that cache (live/gc_schedule.py runs one every
`run.gc_full_interval_secs`, on the event loop): `full_collection_ms`, `gc.collect()` with the
SCAN_ORDERS orders cached (everything before them frozen, as the live node freezes start-up), and
`full_collection_after_freeze_ms`, the schedule's own full collection (`CollectionSchedule.collect`)
once its first one has frozen what survived (the longest of 3).

Writes bench/results/order_path.json.

    .venv/bin/python bench/order_path.py
"""

from __future__ import annotations

import gc
import json
import selectors
import statistics
import sys
import time
from datetime import UTC
from datetime import datetime
from pathlib import Path

import _harness  # noqa: F401  (first: takes bench/ off sys.path)
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import TimeInForce
from nautilus_trader.model.orders import OrderList
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from adapters.hyperliquid.execution.commands import initialized_order_ids
from backtest.runner import load_settings
from backtest.runner import run_session
from catalog.ingest import ensure_shipped_catalog
from catalog.shipped_data import PROJECT_ROOT
from live.gc_schedule import CollectionSchedule
from live.status import StatusBoard
from mm_strategy.market_maker import _levels
from mm_strategy.market_maker import _levels_near_touch
from mm_strategy.order_list import BriefOrderList
from mm_strategy.quoting.market_touch import market_touch

ROUNDS = 5
PAUSES_MS = (0.1, 1, 3, 10, 50)
PAUSED_CALLS = 101
FLUSH_BYTES = 64 * 1024 * 1024
SCAN_ORDERS = 100_000


def _scan_ms(cache, venue) -> tuple[float, float]:
    """(initialized_order_ids, cache.orders + a status check) in ms, medians of 3."""
    ids_ms, orders_ms = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        initialized_order_ids(cache, venue=venue)
        ids_ms.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        [o for o in cache.orders(venue=venue) if o.status == OrderStatus.INITIALIZED]
        orders_ms.append((time.perf_counter() - t0) * 1e3)
    return round(statistics.median(ids_ms), 1), round(statistics.median(orders_ms), 1)


def _snapshot_ms(engine, venue) -> tuple[float, float]:
    """(StatusBoard.snapshot, the same plus the old scan of every order for fills) in ms, medians of 3.
    The backtest engine stands in for the node: it has the cache, message bus, trader and portfolio
    the board reads."""
    board = StatusBoard(engine)
    new_ms, old_ms = [], []
    for _ in range(3):
        t0 = time.perf_counter()
        board.snapshot()
        new_ms.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        board.snapshot()
        orders = engine.cache.orders(venue=venue)
        [e for o in orders for e in o.events if type(e).__name__ == "OrderFilled"]
        min((o.ts_init for o in orders), default=None)
        old_ms.append((time.perf_counter() - t0) * 1e3)
    return round(statistics.median(new_ms), 1), round(statistics.median(old_ms), 1)


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def _poll(seconds: float) -> None:
    with selectors.DefaultSelector() as selector:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            selector.select(0)


def _after_pause_us(fn, pause_s: float, wait=time.sleep) -> float:
    """Median wall time of `fn()` called right after `pause_s` of `wait` (sleep, or `_spin`)."""
    times = []
    for _ in range(PAUSED_CALLS):
        wait(pause_s)
        t0 = time.perf_counter_ns()
        fn(None)
        times.append(time.perf_counter_ns() - t0)
    return round(statistics.median(times) / 1e3, 1)


def _after_flush_us(fn) -> float:
    """Median wall time of `fn()` called right after overwriting FLUSH_BYTES (more than any cache)."""
    junk = bytearray(FLUSH_BYTES)
    times = []
    for i in range(PAUSED_CALLS):
        junk[:] = bytes([i & 255]) * FLUSH_BYTES
        t0 = time.perf_counter_ns()
        fn(None)
        times.append(time.perf_counter_ns() - t0)
    return round(statistics.median(times) / 1e3, 1)


def _book_side_reads_us(book, inst) -> tuple[float, float]:
    """The market's bid touch, ours on the best three bid levels: (read from the whole side, from
    `_levels_near_touch`), µs per read."""
    prices = [float(level.price) for level in book.bids()[:3]]
    own = [(p, 0.001) for p in prices]  # a sliver of each level: the market's touch is the best one
    half_tick = 0.5 * 10.0 ** -inst.price_precision

    def whole(_: object) -> object:  # the read before 6336eb2
        return market_touch(_levels(book.bids()), own, half_tick, 0.5 * 10.0 ** -inst.size_precision)

    def near(_: object) -> object:
        return market_touch(_levels_near_touch(book, True, own, half_tick, inst.price_precision, inst.size_precision),
                            own, half_tick, 0.5 * 10.0 ** -inst.size_precision)

    side = [_per_call_us(whole, range(2000)) for _ in range(ROUNDS)]
    touch = [_per_call_us(near, range(2000)) for _ in range(ROUNDS)]
    return round(statistics.median(side), 2), round(statistics.median(touch), 2)


def _full_collection_ms() -> tuple[float, float]:
    """A full collection's time over what is not frozen (Python's own, medians of 3), then the
    schedule's full collection after one of them has frozen what survived (the longest of 3)."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        gc.collect()
        times.append((time.perf_counter() - t0) * 1e3)
    schedule = CollectionSchedule(interval_secs=1.0, full_interval_secs=1.0)
    schedule.collect(2)  # the first: scans everything, then freezes it
    schedule.max_full_pause_us = 0.0
    for _ in range(3):
        schedule.collect(2)
    gc.unfreeze()
    return round(statistics.median(times), 1), round(schedule.max_full_pause_us / 1e3, 1)


def _per_call_us(fn, items: list) -> float:
    t0 = time.perf_counter_ns()
    for item in items:
        fn(item)
    return (time.perf_counter_ns() - t0) / len(items) / 1e3


def main() -> int:
    settings = load_settings(PROJECT_ROOT / "configs" / "backtest.json")
    spec = settings.runs[0]
    catalog = ParquetDataCatalog(str(ensure_shipped_catalog(PROJECT_ROOT / "data" / "catalog")))
    session = run_session(settings, spec, catalog, log_level="OFF")
    mm, inst = session.strategy, session.instrument

    def limit(_: object):
        return mm.order_factory.limit(
            instrument_id=mm.instrument_id, order_side=OrderSide.BUY, quantity=inst.make_qty(0.01),
            price=inst.make_price(2000.0), time_in_force=TimeInForce.GTC, post_only=True, tags=["L1"],
            client_order_id=mm._ids.next_order(),
        )

    side_us, near_us = _book_side_reads_us(session.engine.kernel.cache.order_book(mm.instrument_id), inst)
    create, order_fmt, list_fmt, brief_fmt = [], [], [], []
    for _ in range(ROUNDS):
        create.append(_per_call_us(limit, range(2000)))
        orders = [limit(None) for _ in range(2000)]
        order_fmt.append(_per_call_us(lambda o: f"Added {o}", orders))
        lists = [OrderList(mm._ids.next_list(), orders[i : i + 3]) for i in range(0, 900, 3)]
        list_fmt.append(_per_call_us(lambda lst: f"Added {lst}", lists))
        briefs = [BriefOrderList(mm._ids.next_list(), orders[i : i + 3]) for i in range(0, 900, 3)]
        brief_fmt.append(_per_call_us(lambda lst: f"Added {lst}", briefs))
    paused = {f"order_factory_limit_after_{ms:g}ms_us".replace(".", "_"): _after_pause_us(limit, ms / 1e3)
              for ms in PAUSES_MS}
    spun = _after_pause_us(limit, 0.010, wait=_spin)
    polled = _after_pause_us(limit, 0.010, wait=_poll)
    flushed = _after_flush_us(limit)
    cache = session.engine.kernel.cache
    gc.collect()
    gc.freeze()  # as the live node does once trading runs: only the orders below are in the collector's sight
    for _ in range(SCAN_ORDERS):
        cache.add_order(limit(None))
    ids_ms, orders_ms = _scan_ms(cache, mm.instrument_id.venue)
    snapshot_ms, snapshot_by_scan_ms = _snapshot_ms(session.engine, mm.instrument_id.venue)
    full_ms, refrozen_ms = _full_collection_ms()
    session.engine.dispose()
    result = {
        "order_factory_limit_us": round(statistics.median(create), 1),
        **paused,
        "order_factory_limit_after_10ms_spin_us": spun,
        "order_factory_limit_after_10ms_poll_us": polled,
        "order_factory_limit_after_flush_us": flushed,
        "scan_cached_orders": SCAN_ORDERS,
        "initialized_ids_scan_ms": ids_ms,
        "cached_orders_scan_ms": orders_ms,
        "status_snapshot_ms": snapshot_ms,
        "status_snapshot_by_scan_ms": snapshot_by_scan_ms,
        "full_collection_ms": full_ms,
        "full_collection_after_freeze_ms": refrozen_ms,
        "add_order_debug_format_us": round(statistics.median(order_fmt), 1),
        "add_order_list_debug_format_us": round(statistics.median(list_fmt), 1),
        "add_brief_order_list_format_us": round(statistics.median(brief_fmt), 1),
        "book_side_levels_us": side_us,
        "book_levels_near_touch_us": near_us,
        "command": ".venv/bin/python bench/order_path.py",
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }
    print(json.dumps(result, indent=2))
    (Path(__file__).resolve().parent / "results" / "order_path.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
