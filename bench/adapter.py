"""Per-message cost of the adapter's market-data path on the shipped ETH capture.

For every message of the capture, times `MarketDataFeed.handle` (msgspec decode of the channel's
schema + conversion: l2Book → true deltas via the shared differ, bbo → QuoteTick, trades →
TradeTicks), in µs. Prints the figures and writes bench/results/adapter.json.

    .venv/bin/python bench/adapter.py
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

import _harness  # noqa: F401  (first: takes bench/ off sys.path)
import numpy as np

from adapters.hyperliquid.feed import MarketDataFeed
from adapters.hyperliquid.parsing.instruments import perp_instrument
from adapters.hyperliquid.parsing.recordings import iter_records
from catalog import shipped_data

ETH_SZ_DECIMALS = 4  # ETH's szDecimals in Hyperliquid's meta
ROUNDS = 3  # the capture is replayed this many times (fresh feed each time); medians over all


def measure() -> dict[str, float]:
    records = [(r.channel, bytes(r.raw), r.recv_ns or 0) for r in iter_records(shipped_data.eth_capture())]
    instrument = perp_instrument("ETH", ETH_SZ_DECIMALS)
    timings: dict[str, list[int]] = {"l2Book": [], "bbo": [], "trades": []}
    clock = time.perf_counter_ns
    for _ in range(ROUNDS):
        feed = MarketDataFeed({"ETH": instrument})
        handle = feed.handle
        for channel, data, recv_ns in records:
            t0 = clock()
            handle(channel, data, recv_ns)
            timings[channel].append(clock() - t0)
        if feed.stats.bad:
            raise SystemExit(f"{feed.stats.bad} messages of the capture were rejected: {feed.stats.bad_by_reason}")
    us = {k: np.asarray(v, dtype=np.float64) / 1000.0 for k, v in timings.items()}
    return {
        "l2book_p50_us": round(float(np.percentile(us["l2Book"], 50)), 2),
        "l2book_p99_us": round(float(np.percentile(us["l2Book"], 99)), 2),
        "bbo_p50_us": round(float(np.percentile(us["bbo"], 50)), 2),
        "trades_p50_us": round(float(np.percentile(us["trades"], 50)), 2),
        "messages": int(sum(len(v) for v in timings.values()) // ROUNDS),
    }


def main() -> None:
    figures = measure()
    result = {
        "l2book_p50_us": figures["l2book_p50_us"],
        "l2book_p99_us": figures["l2book_p99_us"],
        "bbo_p50_us": figures["bbo_p50_us"],
        "trades_p50_us": figures["trades_p50_us"],
        "command": ".venv/bin/python bench/adapter.py",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    for key, value in result.items():
        print(f"{key}: {value}")
    print(f"({figures['messages']} messages per round, {ROUNDS} rounds)", file=sys.stderr)
    out = Path(__file__).resolve().parent / "results" / "adapter.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
