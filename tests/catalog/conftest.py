"""Fixtures of the catalog tests: the shipped recordings ingested once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalog import shipped_data
from catalog.ingest import IngestSummary
from catalog.ingest import ingest_files
from catalog.ingest import shipped_meta


@pytest.fixture(scope="session")
def shipped_catalog(tmp_path_factory: pytest.TempPathFactory, hl_data: Path) -> tuple[Path, IngestSummary]:
    """A catalog holding three shipped files (ETH capture, BTC capture, BTC archive hour)."""
    directory = tmp_path_factory.mktemp("shipped_catalog")
    files = [shipped_data.eth_capture(), shipped_data.btc_capture(), shipped_data.btc_archive_hour()]
    summary = ingest_files(files, directory, meta=shipped_meta())
    return directory, summary
