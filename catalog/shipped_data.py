"""Where the shipped Hyperliquid recordings live (read in place, never copied into the project)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shared_data_dir() -> Path:
    """The shared data folder: `$HL_SHARED_DATA` if set, else `../shared/data` beside the project."""
    env = os.environ.get("HL_SHARED_DATA")
    return Path(env) if env else PROJECT_ROOT.parent / "shared" / "data"


def hyperliquid_dir() -> Path:
    return shared_data_dir() / "hyperliquid"


def eth_capture() -> Path:
    return hyperliquid_dir() / "ETH_20251210_2110.ws.gz"


def btc_capture() -> Path:
    return hyperliquid_dir() / "BTC_20250126_1914.ws.gz"


def btc_archive_hour() -> Path:
    return hyperliquid_dir() / "archive" / "market_data" / "20240101" / "12" / "l2Book" / "BTC.lz4"


def info_dir() -> Path:
    return hyperliquid_dir() / "info"


def signing_vectors() -> Path:
    return hyperliquid_dir() / "signing_vectors.json"
