"""Where the hot path's time goes, without a profiler: wall time per part of the book handler.

cProfile inflates pure-Python code several times against Nautilus's Cython calls (build_side:
~6 µs per call warm in a loop, ~40 µs under the profiler), so it misleads on the split between our
planning and Nautilus's order work. This runs bench/hot_path.py's live part once (one pass, 60×)
with perf_counter wrappers (~0.2 µs each) around the MarketMaker's planning steps, its Nautilus
order commands and the RiskGuard's book handler, and prints µs per call and per book event.

    .venv/bin/python bench/hot_path_parts.py [--baseline] [--python-gc] [--back-to-back]

Writes bench/results/hot_path_parts.json: the run's p50/p99, and per part `<part>_us_per_call`,
`<part>_us_per_event` and `<part>_calls` (parts named as printed, in lower case, dots as underscores).

Also, what the tail is made of:
- the garbage collector: `gc_collections_in_events` and `gc_ms_in_events`, collections that ran
  inside a timed event (from the book event's first subscriber to the strategy's handler returning),
  and `gc_collections_between_events` (the node's start-up included). The node collects on configs/live.json's timer, as run_live.py
  does (live/gc_schedule.py); `--python-gc` leaves it to Python's automatic collection instead (the
  code before that schedule), and the json goes to bench/results/hot_path_parts_python_gc.json;
- the first command of the events with commands: `first_command_kinds`, how many events began with
  each kind of command, and `slowest_tenth_first_command_kinds`, the same for the tenth of them
  whose first command came latest (`first_command_p99_us` is read among those).

`--back-to-back` replays at 100x the usual speed (6,000x market time): each event follows the last as
soon as the node's queues are empty, so the code runs on warm caches and the figures are the floor of
the work itself, what is left with no pause before the events. The live risk engine's order-rate
limits (100 a second, wall clock) are lifted for it, or that rate would deny orders. The json goes to
bench/results/hot_path_parts_back_to_back.json.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import _harness  # first: takes bench/ off sys.path

from mm_strategy.market_maker import MarketMaker
from mm_strategy.risk_guard import RiskGuard

_acc: dict[str, list[int]] = {}
_in_event = [False]
_gc_start = [0]
_gc = {"in_events": 0, "in_events_ns": 0, "between_events": 0}
_first_kinds: list[str] = []  # per event with commands, in the order of hot_path's `_decide`
_BACK_TO_BACK_FACTOR = 100  # x the usual 60x: no pause left between events


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _gc_start[0] = time.perf_counter_ns()
    elif _in_event[0]:
        _gc["in_events"] += 1
        _gc["in_events_ns"] += time.perf_counter_ns() - _gc_start[0]
    else:
        _gc["between_events"] += 1


def _note_first_kind(hot_path: Any, cls: type, name: str) -> None:
    """Wraps a command of `cls` to note its kind when it is the event's first command."""
    original: Callable[..., Any] = getattr(cls, name)

    def noted(self: Any, *args: Any, **kwargs: Any) -> Any:
        if _in_event[0] and hot_path._first[0] == 0:
            _first_kinds.append(name)
        return original(self, *args, **kwargs)

    setattr(cls, name, noted)


def _event_window(hot_path: Any) -> None:
    """Marks the timed window: from the stamping actor (the book's first subscriber) to the strategy's
    handler returning."""
    stamp = hot_path.Stamp.on_order_book_deltas
    handler = hot_path.TimedMarketMaker.on_order_book_deltas

    def opened(self: Any, deltas: Any) -> None:
        stamp(self, deltas)
        _in_event[0] = True

    def closed(self: Any, deltas: Any) -> None:
        try:
            handler(self, deltas)
        finally:
            _in_event[0] = False

    hot_path.Stamp.on_order_book_deltas = opened
    hot_path.TimedMarketMaker.on_order_book_deltas = closed


def _wrap(cls: type, name: str, label: str) -> None:
    original: Callable[..., Any] = getattr(cls, name)

    def timed(self: Any, *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter_ns()
        try:
            return original(self, *args, **kwargs)
        finally:
            entry = _acc.setdefault(label, [0, 0])
            entry[0] += 1
            entry[1] += time.perf_counter_ns() - t0

    setattr(cls, name, timed)


def main() -> int:
    spec = importlib.util.spec_from_file_location("hot_path", Path(__file__).with_name("hot_path.py"))
    assert spec is not None and spec.loader is not None
    hot_path = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hot_path)
    for name in ("update_quotes", "_targets", "_apply", "_new_order", "_position", "_submit"):
        _wrap(MarketMaker, name, f"MarketMaker.{name}")
    for name in ("modify_order", "submit_order_list", "cancel_orders", "cancel_order", "submit_order"):
        _wrap(hot_path.TimedMarketMaker, name, f"nautilus.{name}")
        _note_first_kind(hot_path, hot_path.TimedMarketMaker, name)
    _wrap(RiskGuard, "on_order_book_deltas", "RiskGuard.on_order_book_deltas")
    _event_window(hot_path)
    hot_path._BATCH[0] = "--baseline" not in sys.argv[1:]
    python_gc = "--python-gc" in sys.argv[1:]
    if python_gc:
        hot_path.schedule_of = None
    back_to_back = "--back-to-back" in sys.argv[1:]
    speed = hot_path.DEFAULT_SPEED * (_BACK_TO_BACK_FACTOR if back_to_back else 1)
    gc.callbacks.append(_on_gc)
    result = hot_path.run_live(1, speed, throttle=not back_to_back)
    gc.callbacks.remove(_on_gc)
    events = _acc["MarketMaker.update_quotes"][0]
    figures: dict[str, object] = {k: result[k] for k in ("p50_us", "p99_us", "first_command_p99_us")}
    decided = sorted(zip(hot_path._decide, _first_kinds, strict=True))
    figures |= {
        "replay_speed": speed,
        "gc": "python" if python_gc else f"timer {result['gc_interval_secs']:g} s",
        "gc_collections_in_events": _gc["in_events"],
        "gc_ms_in_events": round(_gc["in_events_ns"] / 1e6, 2),
        "gc_collections_between_events": _gc["between_events"],
        "first_command_kinds": dict(Counter(kind for _, kind in decided)),
        "slowest_tenth_first_command_kinds": dict(Counter(kind for _, kind in decided[-(len(decided) // 10):])),
    }
    print(json.dumps(figures))
    for label, (calls, ns) in sorted(_acc.items(), key=lambda kv: -kv[1][1]):
        print(f"{label:36s} calls {calls:5d} {ns / calls / 1e3:7.1f} µs/call {ns / events / 1e3:6.1f} µs/book event")
        key = label.replace("._", "_").replace(".", "_").lower()
        figures |= {f"{key}_calls": calls, f"{key}_us_per_call": round(ns / calls / 1e3, 1),
                    f"{key}_us_per_event": round(ns / events / 1e3, 1)}
    baseline = ((" --baseline" if not hot_path._BATCH[0] else "") + (" --python-gc" if python_gc else "")
                + (" --back-to-back" if back_to_back else ""))
    figures |= {"book_events": events, "batch_actions": hot_path._BATCH[0],
                "command": f".venv/bin/python bench/hot_path_parts.py{baseline}",
                "date": datetime.now(UTC).isoformat(timespec="seconds")}
    name = "hot_path_parts" + ("_python_gc" if python_gc else "") + ("_back_to_back" if back_to_back else "")
    _harness.write_results(name, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
