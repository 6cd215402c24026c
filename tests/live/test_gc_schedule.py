"""The garbage collector on a timer between events (live/gc_schedule.py), not inside a book handler."""

from __future__ import annotations

import asyncio
import gc
import weakref

import pytest

from live.gc_schedule import CollectionSchedule
from live.gc_schedule import generation_due


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def _cyclic_garbage() -> weakref.ref:
    """A weak reference to an object only a reference cycle keeps: reference counting cannot free it."""
    return weakref.ref(_Cycle())


def _run_for(schedule: CollectionSchedule, secs: float, during=None) -> object:
    """Runs the schedule for `secs`, calls `during()` halfway, then cancels it; returns what `during` returned."""
    out: list[object] = []

    async def main() -> None:
        task = asyncio.create_task(schedule.run())
        await asyncio.sleep(secs / 2)
        out.append(during() if during else None)
        await asyncio.sleep(secs / 2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    return out[0]


def test_a_full_collection_is_due_every_full_every_th_tick_and_a_young_one_otherwise() -> None:
    assert [generation_due(tick, 3) for tick in range(1, 8)] == [1, 1, 2, 1, 1, 2, 1]
    assert [generation_due(tick, 1) for tick in range(1, 4)] == [2, 2, 2]


def test_while_the_schedule_runs_python_does_not_collect_by_itself() -> None:
    schedule = CollectionSchedule(interval_secs=10.0, full_interval_secs=60.0)
    assert _run_for(schedule, 0.1, gc.isenabled) is False
    assert schedule.collections == 0


def test_the_timer_frees_cyclic_garbage_that_python_no_longer_collects_by_itself() -> None:
    schedule = CollectionSchedule(interval_secs=0.02, full_interval_secs=10.0)
    refs: list[weakref.ref] = []

    def make_garbage() -> bool:
        refs.append(_cyclic_garbage())
        return refs[0]() is not None  # alive until a collection

    assert _run_for(schedule, 0.2, make_garbage) is True
    assert refs[0]() is None
    assert schedule.collections >= 3 and schedule.full_collections == 0


def test_a_full_collection_runs_every_full_interval() -> None:
    schedule = CollectionSchedule(interval_secs=0.01, full_interval_secs=0.03)
    _run_for(schedule, 0.3)
    assert schedule.full_every == 3
    assert schedule.full_collections >= 2
    assert schedule.full_collections == schedule.collections // 3
    assert schedule.figures()["max_full_pause_us"] > 0


def test_when_the_schedule_stops_python_collects_by_itself_again() -> None:
    _run_for(CollectionSchedule(interval_secs=0.01, full_interval_secs=1.0), 0.05)
    assert gc.isenabled()


def test_a_schedule_started_with_collection_already_off_leaves_it_off() -> None:
    gc.disable()
    try:
        _run_for(CollectionSchedule(interval_secs=0.01, full_interval_secs=1.0), 0.05)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize(("interval", "full"), [(0.0, 1.0), (-1.0, 1.0), (2.0, 1.0)])
def test_a_schedule_with_a_bad_interval_is_refused(interval: float, full: float) -> None:
    with pytest.raises(ValueError, match="interval_secs"):
        CollectionSchedule(interval, full)


def test_a_full_collection_freezes_its_survivors_so_the_next_one_does_not_scan_them_again() -> None:
    survivors = [[] for _ in range(50_000)]  # tracked containers, like a cache full of orders
    before = gc.get_freeze_count()
    CollectionSchedule(interval_secs=1.0, full_interval_secs=1.0).collect(2)
    assert gc.get_freeze_count() >= before + len(survivors)
