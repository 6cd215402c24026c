"""Fixtures of the screener tests: the shipped `/info` folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def info_dir(hl_data: Path) -> Path:
    return hl_data / "info"
