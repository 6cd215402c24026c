"""Catalogs the backtest tests share, each ingested once per session from the shipped recordings."""

from __future__ import annotations

from pathlib import Path

import pytest
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from catalog import shipped_data
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta


def _catalog(tmp_path_factory: pytest.TempPathFactory, name: str, files: list[Path]) -> ParquetDataCatalog:
    directory = tmp_path_factory.mktemp(name)
    ingest_files(files, directory, meta=shipped_meta())
    return ParquetDataCatalog(str(directory))


@pytest.fixture(scope="session")
def eth_two_months(tmp_path_factory: pytest.TempPathFactory, hl_data: Path) -> ParquetDataCatalog:
    """ETH of 2025-09-04 and of 2025-12-10 in one catalog."""
    return _catalog(tmp_path_factory, "eth_two_months", [shipped_data.four_coin_capture("ETH"), shipped_data.eth_capture()])


@pytest.fixture(scope="session")
def btc_hour_alone(tmp_path_factory: pytest.TempPathFactory, hl_data: Path) -> ParquetDataCatalog:
    """The BTC archive hour (2024-01-01 12:00) and nothing else."""
    return _catalog(tmp_path_factory, "btc_hour_alone", [shipped_data.btc_archive_hour()])


@pytest.fixture(scope="session")
def btc_hour_among_others(tmp_path_factory: pytest.TempPathFactory, hl_data: Path) -> ParquetDataCatalog:
    """The BTC archive hour beside the 25 s BTC capture of 2025-01-26 and BTC of 2025-09-04."""
    files = [shipped_data.btc_archive_hour(), shipped_data.btc_capture(), shipped_data.four_coin_capture("BTC")]
    return _catalog(tmp_path_factory, "btc_hour_among_others", files)


@pytest.fixture(scope="session")
def wlfi_catalog(tmp_path_factory: pytest.TempPathFactory, hl_data: Path) -> ParquetDataCatalog:
    """WLFI of 2025-09-04 (the main job's WLFI runs) and nothing else."""
    return _catalog(tmp_path_factory, "wlfi", [shipped_data.four_coin_capture("WLFI")])
