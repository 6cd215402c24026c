"""Fixtures of the screener tests: the shipped `/info` folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def info_dir(hl_data: Path) -> Path:
    return hl_data / "info"


@pytest.fixture(scope="session")
def shipped_catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shipped recording in one catalog (`python -m catalog ingest --shipped`), among them the
    four-coin recording of 2025-09-04 (BTC, ETH, SOL, WLFI)."""
    from catalog.ingest import ensure_shipped_catalog

    return ensure_shipped_catalog(tmp_path_factory.mktemp("shipped_catalog"))


@pytest.fixture(scope="session")
def archive_only_catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A catalog holding only the BTC archive hour: a book, but no trades."""
    from catalog import shipped_data
    from catalog.ingest import ingest_files
    from catalog.ingest import shipped_meta

    directory = tmp_path_factory.mktemp("archive_only_catalog")
    ingest_files([shipped_data.btc_archive_hour()], directory, meta=shipped_meta())
    return directory
