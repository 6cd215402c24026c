"""The garbage collector's pauses kept out of the book handlers.

Python collects on its own every ~700 net new container objects, inside whatever code allocates the
700th: on a live node sometimes a book event's order commands, which then wait for the collection
(bench/hot_path_parts.py --python-gc: 8 of a pass's ~2,000 book events, ~100 µs each; enough to
reach into the p99 of its ~600 events with commands). A `CollectionSchedule` turns the automatic
collection off and runs the collections itself from a timer on the event loop, between events: a
young collection every `interval_secs`, a full one every `full_interval_secs`. An event that arrives during one waits for it
(the same work, moved), and the pauses are counted so an operator sees them (the status file).

A full collection scans every object the collector tracks, and a node's cache keeps every order it
ever made: with 100,000 orders cached one took ~130 ms here (bench/order_path.py,
`full_collection_ms`), the event loop held all that time. So
after each full collection its survivors are frozen (`gc.freeze`), as start-up's objects are: the
next full collection scans only what came since. The price: an object alive at a full collection
that later dies inside a reference cycle is never freed (most die by reference counting, which
freezing does not stop).
"""

from __future__ import annotations

import asyncio
import gc
import time
from typing import TYPE_CHECKING

from live.logs import log

if TYPE_CHECKING:
    from live.node_config import RunOptions

# A full collection longer than this is logged: the event loop stood still that long.
_SLOW_PAUSE_US = 20_000.0


def generation_due(tick: int, full_every: int) -> int:
    """The generation to collect at the `tick`-th tick (from 1): everything (2) every `full_every`th
    tick, otherwise the two young generations (1), whose survivors then age into the old one."""
    return 2 if tick % full_every == 0 else 1


class CollectionSchedule:
    """Collections on a timer instead of Python's automatic ones, while `run()` runs."""

    def __init__(self, interval_secs: float, full_interval_secs: float) -> None:
        if not interval_secs > 0:
            raise ValueError(f"interval_secs must be positive, got {interval_secs!r}")
        if not full_interval_secs >= interval_secs:
            raise ValueError(f"full_interval_secs must be at least interval_secs, got {full_interval_secs!r}")
        self.interval_secs = interval_secs
        self.full_every = max(1, round(full_interval_secs / interval_secs))
        self.collections = 0
        self.full_collections = 0
        self.max_pause_us = 0.0
        self.max_full_pause_us = 0.0

    async def run(self) -> None:
        """Until cancelled: Python's automatic collection is off, and collections run here. On the
        way out (cancelled, or an error) the automatic collection is back on, as it was."""
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            tick = 0
            while True:
                await asyncio.sleep(self.interval_secs)
                tick += 1
                self.collect(generation_due(tick, self.full_every))
        finally:
            if was_enabled:
                gc.enable()

    def collect(self, generation: int) -> None:
        t0 = time.perf_counter_ns()
        gc.collect(generation)
        full = generation == 2
        if full:
            gc.freeze()
        pause_us = (time.perf_counter_ns() - t0) / 1e3
        self.collections += 1
        self.max_pause_us = max(self.max_pause_us, pause_us)
        if full:
            self.full_collections += 1
            self.max_full_pause_us = max(self.max_full_pause_us, pause_us)
            if pause_us > _SLOW_PAUSE_US:
                log.warning(f"a full garbage collection held the event loop for {pause_us / 1e3:.1f} ms")

    def figures(self) -> dict[str, float | int]:
        """For the status file."""
        return {
            "collections": self.collections,
            "full_collections": self.full_collections,
            "max_pause_us": round(self.max_pause_us, 1),
            "max_full_pause_us": round(self.max_full_pause_us, 1),
        }


def schedule_of(options: RunOptions) -> CollectionSchedule | None:
    """The run section's schedule; None when `gc_interval_secs` is 0 (Python's own collection)."""
    if not options.gc_interval_secs:
        return None
    return CollectionSchedule(options.gc_interval_secs, options.gc_full_interval_secs)
