"""The ranked table a screening run prints (rich), with the reasons assets were dropped; for a
catalog screen, what was measured in each recording first."""

from __future__ import annotations

from collections import defaultdict

import polars as pl
from rich.console import Console
from rich.table import Table

from screener.filters import REASON
from screener.filters import STAGE
from screener.pipeline import ScreenResult


def _fmt_usd(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1e9:
        return f"${value / 1e9:.2f}B"
    if value >= 1e6:
        return f"${value / 1e6:.1f}M"
    if value >= 1e3:
        return f"${value / 1e3:.1f}k"
    return f"${value:.0f}"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# A pick quoted this many times the market's spread or more rests far from where trades happen.
WIDE_QUOTE_FACTOR = 5.0


def wide_quote_warnings(kept: pl.DataFrame, factor: float = WIDE_QUOTE_FACTOR) -> list[str]:
    """One line per selected asset whose quoted spread is `factor` × the market's or more: its quotes
    may rarely, or never, trade. Such a spread is the volatility term's (`params.derive_params`): a
    selected asset's market spread pays the fee floor, so the floor is never `factor` × it."""
    lines = []
    for row in kept.iter_rows(named=True):
        market, quoted = row.get("spread_bps"), row.get("base_spread_bps")
        if market and quoted and quoted >= factor * market:
            lines.append(f"{row['asset']} quotes {quoted:.1f} bps wide against a {market:.2f} bps market "
                         f"({quoted / market:.0f}x, set by its volatility): expect few fills, maybe none; "
                         "lower base_spread_bps in the written config to quote nearer")
    return lines


def summarize_notes(notes: list[str]) -> list[str]:
    """Group per-coin notes ("BTC: no l2Book available") into one line per kind of note."""
    grouped: dict[str, list[str]] = defaultdict(list)
    other: list[str] = []
    for note in notes:
        coin, sep, text = note.partition(": ")
        if sep and " " not in coin:
            grouped[text].append(coin)
        else:
            other.append(note)
    return [f"{text} for {len(coins)} coin(s): {', '.join(coins)}" for text, coins in grouped.items()] + other


def drop_counts(table: pl.DataFrame) -> str:
    """'low volume × 170, delisted × 38, ...': dropped assets per filter, most first."""
    dropped = table.filter(pl.col(REASON).is_not_null())
    counts = dropped.group_by(STAGE).len().sort("len", STAGE, descending=[True, False])
    return ", ".join(f"{stage} × {n}" for stage, n in counts.iter_rows())


def print_report(result: ScreenResult, console: Console, show_dropped: int = 25) -> None:
    table = result.table
    kept = table.filter(pl.col(REASON).is_null())
    dropped = table.filter(pl.col(REASON).is_not_null())
    ranked = Table(
        title=f"Maker-edge screen: {kept.height} selected of {table.height} perps "
        f"(maker fee {result.fee_bps:.2f} bps per fill)",
    )
    for name in (
        "#",
        "asset",
        "score",
        "spread bps",
        "ticks",
        "bps/tick",
        "vol 1h bps",
        "24h vol",
        "base spread",
        "max inv",
        "spacing",
        "order",
        "data",
    ):
        ranked.add_column(name, justify="left" if name in ("asset", "data") else "right")
    for row in kept.iter_rows(named=True):
        ranked.add_row(
            str(row["rank"]),
            row["asset"],
            _fmt(row["score"], 3),
            _fmt(row["spread_bps"]),
            _fmt(row["spread_ticks"], 1),
            _fmt(row["bps_per_tick"], 3),
            _fmt(row["vol_1h_bps"], 1),
            _fmt_usd(row["day_ntl_vlm"]),
            _fmt(row["base_spread_bps"], 1),
            _fmt_usd(row["max_inventory_usd"]),
            str(row["level_spacing_ticks"]),
            _fmt_usd(row["order_size_usd"]),
            "; ".join(row["missing"]) or "complete",
        )
    console.print(ranked)
    for line in wide_quote_warnings(kept):
        console.print(f"[yellow]wide:[/] {line}", soft_wrap=True, highlight=False)

    drops = Table(
        title=f"Dropped ({dropped.height}; best {min(show_dropped, dropped.height)} by score shown)"
    )
    for name in ("asset", "score", "spread bps", "24h vol", "reason"):
        drops.add_column(name, justify="left" if name in ("asset", "reason") else "right")
    for row in dropped.head(show_dropped).iter_rows(named=True):
        drops.add_row(
            row["asset"],
            _fmt(row["score"], 3),
            _fmt(row["spread_bps"]),
            _fmt_usd(row["day_ntl_vlm"]),
            row[REASON],
        )
    console.print(drops)
    console.print("Dropped by: " + drop_counts(table))
    for line in summarize_notes(result.notes):
        console.print(f"[yellow]missing:[/] {line}")


def print_recordings(table: pl.DataFrame, console: Console) -> None:
    """What a catalog screen measured per instrument: the recorded span, the trades, the quoted
    spread beside the spread takers paid (the one scored), the tick, the volatility and the volume."""
    recorded = Table(title="Recordings scored (spread: what takers paid vs. the quoted touch)")
    for name in (
        "asset", "book min", "trades", "quoted bps", "paid bps", "bps/tick", "vol 1h bps", "traded", "24h rate"
    ):
        recorded.add_column(name, justify="left" if name == "asset" else "right")
    for row in table.sort("asset").iter_rows(named=True):
        recorded.add_row(
            row["asset"],
            _fmt(row["book_seconds"] / 60, 1),
            str(row["n_trades"]),
            _fmt(row["quoted_spread_bps"]),
            _fmt(row["spread_bps"]),
            _fmt(row["bps_per_tick"], 3),
            _fmt(row["vol_1h_bps"], 1),
            _fmt_usd(row["volume_usd"]),
            _fmt_usd(row["day_ntl_vlm"]),
        )
    console.print(recorded)
