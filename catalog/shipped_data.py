"""Where the recordings shipped with the project live: `data/samples/` (see its README)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLES_DIR = PROJECT_ROOT / "data" / "samples"
# The catalog the main job and run_backtest.py build from the recordings (not tracked by git).
DEFAULT_CATALOG_DIR = PROJECT_ROOT / "data" / "catalog"

# The four coins recorded together on 2025-09-04 19:46–20:21 UTC.
FOUR_COINS = ("BTC", "ETH", "SOL", "WLFI")


def hyperliquid_dir() -> Path:
    return SAMPLES_DIR / "hyperliquid"


def eth_capture() -> Path:
    return hyperliquid_dir() / "ETH_20251210_2110.ws.gz"


def btc_capture() -> Path:
    return hyperliquid_dir() / "BTC_20250126_1914.ws.gz"


def btc_archive_hour() -> Path:
    return hyperliquid_dir() / "archive" / "market_data" / "20240101" / "12" / "l2Book" / "BTC.lz4"


def four_coin_capture(coin: str) -> Path:
    """The 2025-09-04 capture of one of `FOUR_COINS`."""
    if coin not in FOUR_COINS:
        raise ValueError(f"the four-coin recording holds {', '.join(FOUR_COINS)}, not {coin!r}")
    return hyperliquid_dir() / f"{coin}_20250904_1946.ws.gz"


def info_dir() -> Path:
    return hyperliquid_dir() / "info"


def mainnet_meta() -> Path:
    """The saved mainnet `metaAndAssetCtxs` reply: every coin's szDecimals."""
    return info_dir() / "metaAndAssetCtxs_mainnet.json"


def signing_vectors() -> Path:
    return hyperliquid_dir() / "signing_vectors.json"
