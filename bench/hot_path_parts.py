"""Where the hot path's time goes, without a profiler: wall time per part of the book handler.

cProfile inflates pure-Python code several times against Nautilus's Cython calls (build_side:
~6 µs per call warm in a loop, ~40 µs under the profiler), so it misleads on the split between our
planning and Nautilus's order work. This runs bench/hot_path.py's live part once (one pass, 60×)
with perf_counter wrappers (~0.2 µs each) around the MarketMaker's planning steps, its Nautilus
order commands and the RiskGuard's book handler, and prints µs per call and per book event.

    .venv/bin/python bench/hot_path_parts.py [--baseline]

Writes bench/results/hot_path_parts.json: the run's p50/p99, and per part `<part>_us_per_call`,
`<part>_us_per_event` and `<part>_calls` (parts named as printed, in lower case, dots as underscores).
"""

from __future__ import annotations

import importlib.util
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import _harness  # first: takes bench/ off sys.path

from mm_strategy.market_maker import MarketMaker
from mm_strategy.risk_guard import RiskGuard

_acc: dict[str, list[int]] = {}


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
    _wrap(RiskGuard, "on_order_book_deltas", "RiskGuard.on_order_book_deltas")
    hot_path._BATCH[0] = "--baseline" not in sys.argv[1:]
    result = hot_path.run_live(1, hot_path.DEFAULT_SPEED)
    events = _acc["MarketMaker.update_quotes"][0]
    figures: dict[str, object] = {k: result[k] for k in ("p50_us", "p99_us", "first_command_p99_us")}
    print(json.dumps(figures))
    for label, (calls, ns) in sorted(_acc.items(), key=lambda kv: -kv[1][1]):
        print(f"{label:36s} calls {calls:5d} {ns / calls / 1e3:7.1f} µs/call {ns / events / 1e3:6.1f} µs/book event")
        key = label.replace("._", "_").replace(".", "_").lower()
        figures |= {f"{key}_calls": calls, f"{key}_us_per_call": round(ns / calls / 1e3, 1),
                    f"{key}_us_per_event": round(ns / events / 1e3, 1)}
    baseline = " --baseline" if not hot_path._BATCH[0] else ""
    figures |= {"book_events": events, "batch_actions": hot_path._BATCH[0],
                "command": f".venv/bin/python bench/hot_path_parts.py{baseline}",
                "date": datetime.now(UTC).isoformat(timespec="seconds")}
    _harness.write_results("hot_path_parts", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
