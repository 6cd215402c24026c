"""The garbage collector on a timer between events (live/gc_schedule.py), not inside a book handler."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path

import pytest

import run_live
from live.gc_schedule import CollectionSchedule
from live.gc_schedule import generation_due
from tests.live.test_run_live_config import ACCOUNT
from tests.live.test_run_live_config import args
from tests.live.test_run_live_config import edited_live_config
from tests.live.test_run_live_e2e import quoting
from tests.node_kit import BookTicker
from tests.node_kit import NodeProcess
from tests.node_kit import eth_config


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


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ({"gc_interval_secs": -1}, "gc_interval_secs"),
        ({"gc_interval_secs": 61}, "gc_interval_secs"),
        ({"gc_interval_secs": "often"}, "gc_interval_secs"),
        ({"gc_interval_secs": 5, "gc_full_interval_secs": 1}, "gc_full_interval_secs"),
    ],
)
def test_a_bad_collection_schedule_in_the_run_section_is_refused_with_what_is_wrong(
    tmp_path: Path, run: dict, message: str,
) -> None:
    path = edited_live_config(tmp_path, lambda raw: raw["run"].update(run))
    with pytest.raises(run_live.ConfigError, match=message):
        run_live.prepare(args("--account", ACCOUNT, config=path))


def test_the_shipped_config_collects_on_a_one_second_timer_and_zero_leaves_it_to_python(tmp_path: Path) -> None:
    _, options, _ = run_live.prepare(args("--account", ACCOUNT))
    assert (options.gc_interval_secs, options.gc_full_interval_secs) == (1.0, 600.0)
    path = edited_live_config(tmp_path, lambda raw: raw["run"].update({"gc_interval_secs": 0}))
    _, options, _ = run_live.prepare(args("--account", ACCOUNT, config=path))
    assert options.gc_interval_secs == 0


@pytest.mark.slow
def test_a_running_node_collects_on_its_timer_and_shows_the_pauses_in_the_state_file(
    tmp_path: Path, sim, book: BookTicker,
) -> None:
    config = eth_config(run={"gc_interval_secs": 0.2, "gc_full_interval_secs": 0.6})
    node = NodeProcess(tmp_path, config, sim.rest_url)
    sim.fund(node.address, 100_000)
    try:
        node.start()
        node.wait_for("quotes", quoting)
        state = node.wait_for(
            "a full collection", lambda s: (s["garbage_collection"] or {}).get("full_collections", 0) >= 1, timeout=10,
        )
        figures = state["garbage_collection"]
        assert figures["collections"] >= 3 and figures["max_pause_us"] > 0
        assert node.stop() == 0
    finally:
        node.ensure_dead()


def test_a_full_collection_freezes_its_survivors_so_the_next_one_does_not_scan_them_again() -> None:
    survivors = [[] for _ in range(50_000)]  # tracked containers, like a cache full of orders
    before = gc.get_freeze_count()
    CollectionSchedule(interval_secs=1.0, full_interval_secs=1.0).collect(2)
    assert gc.get_freeze_count() >= before + len(survivors)
