"""One screening run over a Nautilus catalog's recordings instead of live `/info` replies.

Each instrument is read on its own (`catalog_reader`), reduced to one row of features
(`recorded_features`) and let go before the next is read, so memory holds one instrument's
samples at a time. Instruments that cannot be scored (no book, a short recording, too few trades)
or trade too little are dropped with their reason (`filters.recording_reasons`); the rest are
scored, filtered and ranked as in a live run (`pipeline.rank_and_select`).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from pathlib import Path

import polars as pl
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from screener.catalog_reader import NS
from screener.catalog_reader import CatalogError
from screener.catalog_reader import ReadConfig
from screener.catalog_reader import open_catalog
from screener.catalog_reader import perp_instruments
from screener.catalog_reader import read_recording
from screener.filters import REASON
from screener.filters import RECORDING_STAGES
from screener.filters import STAGE
from screener.filters import RecordingConfig
from screener.filters import recording_reasons
from screener.pipeline import ScreenConfig
from screener.pipeline import ScreenResult
from screener.pipeline import rank_and_select
from screener.recorded_features import recording_features


class NoUsableInstrument(CatalogError):
    """No instrument of the catalog has enough recorded book and trades to be scored."""


@dataclass(frozen=True, slots=True)
class CatalogScreenConfig:
    screen: ScreenConfig = field(default_factory=ScreenConfig)
    recording: RecordingConfig = field(default_factory=RecordingConfig)
    read: ReadConfig = field(default_factory=ReadConfig)
    vol_interval_s: int = 60
    start_ns: int | None = None  # the window scored (inclusive); None: from the first record
    end_ns: int | None = None  # None: to the last record

    def __post_init__(self) -> None:
        if self.vol_interval_s < self.read.grid_s:
            raise ValueError(f"vol_interval_s must be >= the {self.read.grid_s} s grid, got {self.vol_interval_s}")
        if self.start_ns is not None and self.end_ns is not None and self.end_ns <= self.start_ns:
            raise ValueError("the end of the window must be after its start")


def screen_catalog(catalog: ParquetDataCatalog, config: CatalogScreenConfig, now_ms: int) -> ScreenResult:
    """Score every instrument of the catalog over the configured window.

    Raises CatalogError when a file cannot be read, NoUsableInstrument when no instrument could be
    scored (the reason of each in the message)."""
    rows, returns = [], []
    for instrument in perp_instruments(catalog):
        recording = read_recording(catalog, instrument, config.start_ns, config.end_ns, config.read)
        row, rets = recording_features(recording, config.read.grid_s, config.vol_interval_s)
        rows.append(row)
        returns.append(rets)
    features = recording_reasons(pl.concat(rows), config.recording).with_columns(
        missing=pl.lit([], dtype=pl.List(pl.String))
    )
    unusable = features.filter(pl.col(STAGE).is_in(RECORDING_STAGES))
    if unusable.height == features.height:
        reasons = "; ".join(f"{a}: {r}" for a, r in unusable.select("asset", REASON).iter_rows())
        raise NoUsableInstrument(f"no usable instrument in the catalog {catalog.path}{_window(config)}: {reasons}")
    return rank_and_select(features, pl.concat(returns), config.screen, now_ms)


class CatalogScreening:
    """Screens of one catalog; the folder is checked when this is made (CatalogError)."""

    def __init__(self, path: str | Path, config: CatalogScreenConfig) -> None:
        self.path = Path(path)
        self.config = config
        self._catalog = open_catalog(self.path)

    def describe(self) -> str:
        return f"catalog:{self.path}"

    def screen(self, now_ms: int) -> ScreenResult:
        return screen_catalog(self._catalog, self.config, now_ms)

    def close(self) -> None:
        """Nothing to release: the catalog is read per query."""


def _window(config: CatalogScreenConfig) -> str:
    if config.start_ns is None and config.end_ns is None:
        return ""
    return f" from {_iso(config.start_ns, 'its start')} to {_iso(config.end_ns, 'its end')}"


def _iso(ns: int | None, default: str) -> str:
    return default if ns is None else datetime.fromtimestamp(ns / NS, tz=UTC).isoformat(timespec="seconds")
