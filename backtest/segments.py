"""Runs for everything a catalog holds: one per instrument and recorded segment (`run_backtest.py --all`).

Why one run per segment rather than one over an instrument's whole span: the engine cannot jump
a gap. Every timer of the components fires through it (the governor evaluates every second), so a
catalog holding ETH of September and of December would be a three-month walk of timers. A
segment ends where no book delta, trade or quote arrived for longer than `max_gap_s` (default
10 minutes: a shorter hole, like the 5 minutes missing from the shipped ETH capture, is walked in
well under a second, and the recorded book carries across it as it does in a single run).

Each run reads its segment from the start, quotes from the segment's start plus the warm-up, to
the segment's end; a segment no longer than the warm-up has nothing to quote and is skipped (and
said so). The runs use the settings they are given, i.e. the default config's unless another is
named.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime

from nautilus_trader.persistence.catalog import ParquetDataCatalog

from backtest.runner import RunSpec
from catalog.reader import book_instruments
from catalog.reader import recorded_spans

DEFAULT_MAX_GAP_S = 600.0
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def segment_runs(
    catalog: ParquetDataCatalog,
    warmup_s: float,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
    start_ns: int | None = None,
    end_ns: int | None = None,
) -> tuple[list[RunSpec], list[str]]:
    """The runs (one per instrument and segment, clipped to [start_ns, end_ns] when given) and one
    line per segment left out, saying why."""
    runs: list[RunSpec] = []
    skipped: list[str] = []
    warmup_ns = round(warmup_s * 1e9)
    for instrument_id in book_instruments(catalog):
        coin = instrument_id.split("-")[0]
        for first, last in recorded_spans(catalog, instrument_id, round(max_gap_s * 1e9)):
            quote_from = _ceil_s(first + warmup_ns)
            if start_ns is not None:
                quote_from = max(quote_from, start_ns)
            until = _ceil_s(last) if end_ns is None else min(_ceil_s(last), end_ns)
            if quote_from >= until:
                why = "outside --start/--end" if start_ns or end_ns else f"not longer than the {warmup_s:g} s warm-up"
                skipped.append(f"{instrument_id} {_iso(first)} .. {_iso(last)} ({(last - first) / 1e9:,.0f} s): {why}")
                continue
            name = f"{_NOT_IN_NAME.sub('_', coin)}_{datetime.fromtimestamp(first / 1e9, tz=UTC):%Y%m%dT%H%M%S}"
            runs.append(RunSpec(name=name, instrument=instrument_id, start=_iso(quote_from), end=_iso(until)))
    return runs, skipped


def _ceil_s(ns: int) -> int:
    """Up to the whole second: run times are ISO strings, and the last event must stay inside."""
    return -(-ns // 1_000_000_000) * 1_000_000_000


def _iso(ns: int) -> str:
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).isoformat(timespec="seconds")
