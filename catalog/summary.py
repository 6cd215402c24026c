"""What an ingest did, per source file and per instrument, and how it is printed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from adapters.hyperliquid.parsing.book_diff import BookDiffStats
from adapters.hyperliquid.parsing.recordings import SkippedLine

GAP_NS = 5_000_000_000  # gaps longer than 5 s are listed


@dataclass(slots=True)
class InstrumentSummary:
    instrument_id: str
    price_precision: int = 0
    size_precision: int = 0
    precision_source: str = ""  # "meta", "catalog" or "inferred"
    messages: Counter[str] = field(default_factory=Counter)
    book: BookDiffStats = field(default_factory=BookDiffStats)
    quotes: int = 0
    one_sided_bbo: int = 0  # bbo with an empty side: no QuoteTick
    trades: int = 0
    duplicate_trades: int = 0  # same tid seen again in one file
    ts_init_clamped: int = 0  # receive times that went backwards, held at the previous value
    first_ns: int | None = None  # exchange times
    last_ns: int | None = None
    gaps: list[tuple[int, int]] = field(default_factory=list)  # (from, to) local times, > 5 s
    files: list[str] = field(default_factory=list)

    def see_time(self, ts_event: int) -> None:
        if self.first_ns is None or ts_event < self.first_ns:
            self.first_ns = ts_event
        if self.last_ns is None or ts_event > self.last_ns:
            self.last_ns = ts_event

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form, kept in the ingest manifest so a later run can show it again."""
        return {
            "instrument_id": self.instrument_id,
            "price_precision": self.price_precision,
            "size_precision": self.size_precision,
            "precision_source": self.precision_source,
            "messages": dict(self.messages),
            "book": self.book.as_dict(),
            "quotes": self.quotes,
            "one_sided_bbo": self.one_sided_bbo,
            "trades": self.trades,
            "duplicate_trades": self.duplicate_trades,
            "ts_init_clamped": self.ts_init_clamped,
            "first_ns": self.first_ns,
            "last_ns": self.last_ns,
            "gaps": [list(g) for g in self.gaps],
            "files": list(self.files),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InstrumentSummary:
        return cls(
            instrument_id=d["instrument_id"],
            price_precision=d.get("price_precision", 0),
            size_precision=d.get("size_precision", 0),
            precision_source=d.get("precision_source", ""),
            messages=Counter(d.get("messages", {})),
            book=BookDiffStats(**d.get("book", {})),
            quotes=d.get("quotes", 0),
            one_sided_bbo=d.get("one_sided_bbo", 0),
            trades=d.get("trades", 0),
            duplicate_trades=d.get("duplicate_trades", 0),
            ts_init_clamped=d.get("ts_init_clamped", 0),
            first_ns=d.get("first_ns"),
            last_ns=d.get("last_ns"),
            gaps=[(a, b) for a, b in d.get("gaps", [])],
            files=list(d.get("files", [])),
        )

    def merge(self, other: InstrumentSummary) -> None:
        self.messages.update(other.messages)
        for name, value in other.book.as_dict().items():
            setattr(self.book, name, getattr(self.book, name) + value)
        self.quotes += other.quotes
        self.one_sided_bbo += other.one_sided_bbo
        self.trades += other.trades
        self.duplicate_trades += other.duplicate_trades
        self.ts_init_clamped += other.ts_init_clamped
        if other.first_ns is not None:
            self.see_time(other.first_ns)
        if other.last_ns is not None:
            self.see_time(other.last_ns)
        self.gaps.extend(other.gaps)
        self.files.extend(other.files)
        self.price_precision = other.price_precision or self.price_precision
        self.size_precision = other.size_precision or self.size_precision
        self.precision_source = other.precision_source or self.precision_source


@dataclass(slots=True)
class FileSummary:
    path: str
    sha256: str
    status: str  # "ingested", "already ingested", "empty"
    kind: str = ""
    compression: str = ""
    lines: int = 0
    records: int = 0
    skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    first_skipped: list[SkippedLine] = field(default_factory=list)
    truncated: bool = False
    truncation_reason: str = ""
    outputs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    instruments: dict[str, InstrumentSummary] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "compression": self.compression,
            "lines": self.lines,
            "records": self.records,
            "skipped": self.skipped,
            "skipped_by_reason": dict(self.skipped_by_reason),
            "first_skipped": [[x.line_no, x.reason, x.excerpt] for x in self.first_skipped],
            "truncated": self.truncated,
            "truncation_reason": self.truncation_reason,
            "warnings": list(self.warnings),
            "instruments": {iid: s.to_dict() for iid, s in self.instruments.items()},
        }

    @classmethod
    def from_manifest(cls, path: str, sha256: str, status: str, d: dict[str, Any]) -> FileSummary:
        """A file ingested earlier, as its manifest entry recorded it."""
        return cls(
            path=path,
            sha256=sha256,
            status=status,
            kind=d.get("kind", ""),
            compression=d.get("compression", ""),
            lines=d.get("lines", 0),
            records=d.get("records", 0),
            skipped=d.get("skipped", 0),
            skipped_by_reason=dict(d.get("skipped_by_reason", {})),
            first_skipped=[SkippedLine(*x) for x in d.get("first_skipped", [])],
            truncated=d.get("truncated", False),
            truncation_reason=d.get("truncation_reason", ""),
            warnings=list(d.get("warnings", [])),
            instruments={iid: InstrumentSummary.from_dict(x) for iid, x in d.get("instruments", {}).items()},
        )


@dataclass(slots=True)
class IngestSummary:
    catalog_dir: str
    files: list[FileSummary] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # paths given again (same file or bytes), not counted

    @property
    def instruments(self) -> dict[str, InstrumentSummary]:
        """Totals per instrument over the files given (ingested now or earlier)."""
        out: dict[str, InstrumentSummary] = {}
        for f in self.files:
            for iid, s in f.instruments.items():
                total = out.setdefault(iid, InstrumentSummary(iid))
                total.merge(s)
        return out

    @property
    def skipped(self) -> int:
        return sum(f.skipped for f in self.files)

    @property
    def snapshots(self) -> int:
        return sum(s.book.snapshots for s in self.instruments.values())


def _fmt_ns(ns: int | None) -> str:
    if ns is None:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def _fmt_gap(gap: tuple[int, int]) -> str:
    start, end = gap
    return f"{_fmt_ns(start)} +{(end - start) / 1e9:.0f}s"


def render_summary(summary: IngestSummary, console: Console | None = None) -> None:
    """Print what was ingested: one line per file, then one block per instrument."""
    console = console or Console()
    console.print(f"[bold]Catalog[/bold] {summary.catalog_dir}")
    for f in summary.files:
        line = f"  {Path(f.path).name}: {f.status}"
        if f.status in ("ingested", "already ingested"):
            line += f" ({f.kind}, {f.compression}; {f.records:,} records, {f.skipped:,} skipped lines"
            line += f", {f.seconds:.2f} s)" if f.status == "ingested" else ")"
        console.print(line, highlight=False)
        if f.first_skipped:
            first = ", ".join(f"line {s.line_no}: {s.reason[:60]}" for s in f.first_skipped[:5])
            console.print(f"    skipped: {first}" + (" ..." if f.skipped > 5 else ""), highlight=False)
        for w in f.warnings:
            console.print(f"    [yellow]warning:[/yellow] {w}", highlight=False)
    for path in summary.duplicates:
        console.print(f"  {Path(path).name}: given more than once (same file or same bytes), counted once", highlight=False)

    instruments = summary.instruments
    if not instruments:
        console.print("No market data in the files given.")
        return
    for iid, s in sorted(instruments.items()):
        b = s.book
        table = Table(title=f"{iid} (files given)", show_header=False, title_justify="left")
        table.add_column("what", style="bold")
        table.add_column("value")
        table.add_row(
            "precision", f"price {s.price_precision}, size {s.size_precision} (from {s.precision_source})"
        )
        table.add_row("messages", ", ".join(f"{k} {v:,}" for k, v in sorted(s.messages.items())) or "-")
        table.add_row(
            "book deltas",
            f"{b.deltas:,}: ADD {b.adds:,}, UPDATE {b.updates:,}, DELETE {b.deletes:,}, CLEAR {b.clears:,}",
        )
        table.add_row(
            "DELETE kinds",
            f"vanished inside the window {b.vanished_in_window:,}, left the window {b.left_window:,}",
        )
        table.add_row("snapshots", f"{b.snapshots:,} ({b.unchanged:,} unchanged, {b.crossed:,} crossed)")
        extra = f" ({s.one_sided_bbo:,} one-sided bbo without a quote)" if s.one_sided_bbo else ""
        table.add_row("quotes", f"{s.quotes:,}{extra}")
        extra = f" ({s.duplicate_trades:,} duplicates dropped)" if s.duplicate_trades else ""
        table.add_row("trades", f"{s.trades:,}{extra}")
        skipped = sum(f.skipped for f in summary.files if iid in f.instruments)
        lines = [sl.line_no for f in summary.files if iid in f.instruments for sl in f.first_skipped][:10]
        table.add_row(
            "skipped lines", f"{skipped:,}" + (f" (first: {', '.join(map(str, lines))})" if lines else "")
        )
        table.add_row("time span (UTC)", f"{_fmt_ns(s.first_ns)} → {_fmt_ns(s.last_ns)}")
        gaps = "; ".join(_fmt_gap(g) for g in s.gaps[:5]) + (" ..." if len(s.gaps) > 5 else "")
        table.add_row("gaps > 5 s", f"{len(s.gaps)}" + (f": {gaps}" if gaps else ""))
        if s.ts_init_clamped:
            table.add_row("receive time steps back", f"{s.ts_init_clamped:,} (held at the previous time)")
        table.add_row("files", ", ".join(Path(p).name for p in s.files))
        console.print(table)
