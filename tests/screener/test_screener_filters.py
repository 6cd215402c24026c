"""Dead-coin filter on the shipped mainnet reply; correlation clustering on constructed series."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from screener.features import universe_frame
from screener.filters import REASON
from screener.filters import DeadCoinConfig
from screener.filters import abs_correlation
from screener.filters import cap_assets
from screener.filters import correlation_clusters
from screener.filters import dead_coin_reasons
from screener.filters import drop_correlated
from screener.filters import no_edge_reasons
from screener.info_client import OfflineInfoClient


@pytest.fixture(scope="module")
def universe(info_dir: Path) -> pl.DataFrame:
    return universe_frame(OfflineInfoClient(info_dir).universe())


def test_eighteen_shipped_perps_trade_above_ten_million_a_day(universe: pl.DataFrame) -> None:
    df = dead_coin_reasons(universe, DeadCoinConfig(min_volume_usd=10e6, min_open_interest_usd=0))
    kept = df.filter(pl.col(REASON).is_null())["asset"].to_list()
    assert len(kept) == 18
    assert {"BTC", "ETH", "SOL", "HYPE", "kPEPE", "DASH"} <= set(kept)
    assert universe.filter(pl.col("day_ntl_vlm") >= 10e6).height == 18  # none of them is delisted/isolated


def test_dead_coins_get_a_reason_each(universe: pl.DataFrame) -> None:
    df = dead_coin_reasons(universe)
    reason = dict(zip(df["asset"], df[REASON], strict=True))
    assert reason["MATIC"] == "delisted"
    isolated = universe.filter(pl.col("only_isolated") & ~pl.col("is_delisted"))["asset"].to_list()
    assert isolated and all(reason[a] == "isolated-only" for a in isolated)
    assert reason["ATOM"] == "24h volume $0.64M < $10.0M"
    assert reason["BTC"] is None
    assert df.filter(pl.col(REASON).is_null()).height == 18  # the $1M open-interest floor drops none of them
    thin = dead_coin_reasons(universe, DeadCoinConfig(min_open_interest_usd=5e6))
    assert dict(zip(thin["asset"], thin[REASON], strict=True))["AXS"].startswith("open interest $3.92M")


def _series(seed: int = 7, n: int = 200) -> tuple[list[str], np.ndarray]:
    rng = np.random.default_rng(seed)
    f1, f2, f3 = rng.normal(size=(3, n))
    noise = lambda: 0.3 * rng.normal(size=n)  # noqa: E731
    names = ["A1", "A2", "A3", "B1", "B2", "B3", "C"]
    cols = [f1 + noise(), f1 + noise(), f1 + noise(), f2 + noise(), -f2 + noise(), f2 + noise(), f3]
    return names, np.column_stack(cols) * 1e-3


def _returns_long(names: list[str], x: np.ndarray) -> pl.DataFrame:
    t = np.arange(x.shape[0]) * 3_600_000
    return pl.concat(
        pl.DataFrame({"asset": [name] * len(t), "t": t, "ret": x[:, j]}) for j, name in enumerate(names)
    )


def test_abs_correlation_matches_numpy_and_counts_anticorrelation() -> None:
    names, x = _series()
    rho = abs_correlation(_returns_long(names, x), names)
    assert np.allclose(rho, np.abs(np.corrcoef(x.T)), atol=1e-9)
    assert rho[3, 4] > 0.8  # B2 = −B1 + noise: same risk


def test_abs_correlation_uses_common_times_only_and_needs_enough_of_them() -> None:
    names, x = _series()
    rets = _returns_long(names, x).filter(~((pl.col("asset") == "A2") & (pl.col("t") < 100 * 3_600_000)))
    rho = abs_correlation(rets, names, min_overlap=24)
    assert rho[0, 1] == pytest.approx(abs(np.corrcoef(x[100:, 0], x[100:, 1])[0, 1]))
    assert np.isnan(abs_correlation(rets, names, min_overlap=150)[0, 1])


def test_two_correlated_clusters_and_a_loner_form_three_clusters() -> None:
    names, x = _series()
    labels = correlation_clusters(abs_correlation(_returns_long(names, x), names), min_abs_corr=0.7)
    assert len(set(labels[:3])) == 1 and len(set(labels[3:6])) == 1
    assert len(set(labels)) == 3


def test_correlation_filter_keeps_the_best_score_of_each_cluster() -> None:
    names, x = _series()
    scores = [0.5, 0.9, 0.2, 0.3, 0.1, 0.6, 0.05]
    scored = pl.DataFrame({"asset": names, "score": scores, REASON: [None] * 7, "drop_stage": [None] * 7})
    out = drop_correlated(scored, _returns_long(names, x), min_abs_corr=0.7)
    kept = out.filter(pl.col(REASON).is_null())["asset"].to_list()
    assert sorted(kept) == ["A2", "B3", "C"]
    reason = dict(zip(out["asset"], out[REASON], strict=True))
    assert re.fullmatch(r"correlated with A2 \(\|ρ\|=0\.[89]\d\), lower score", reason["A1"])
    assert reason["B2"].startswith("correlated with B3")


def test_assets_without_candles_are_not_dropped_as_correlated() -> None:
    names, x = _series()
    scored = pl.DataFrame({"asset": ["A1", "A2", "Z"], "score": [1.0, 2.0, 3.0], REASON: [None] * 3})
    out = drop_correlated(scored, _returns_long(names, x))
    assert out.filter(pl.col(REASON).is_null())["asset"].to_list() == ["A2", "Z"]


def test_cap_keeps_the_best_kept_assets() -> None:
    scored = pl.DataFrame(
        {"asset": list("abcde"), "score": [0.1, 0.5, 0.9, 0.7, 0.8], REASON: [None, None, None, None, "x"]}
    )
    out = cap_assets(scored, 2)
    assert out.filter(pl.col(REASON).is_null())["asset"].to_list() == ["c", "d"]
    assert dict(zip(out["asset"], out[REASON], strict=True))["b"] == "beyond the 2 best"


def test_no_edge_reason_names_the_spread_its_source_the_fee_and_the_allowance() -> None:
    scored = pl.DataFrame(
        {
            "asset": ["BTC", "X", "Y"],
            "spread_bps": [0.46, None, 6.0],
            "spread_source": ["impactPxs", None, "l2Book"],
            "fee_bps": [1.5] * 3,
            "adverse_selection_bps": [0.5] * 3,
            "score": [0.0, 0.0, 1.0],
        }
    )
    reason = dict(zip(scored["asset"], no_edge_reasons(scored)[REASON], strict=True))
    assert reason == {
        "BTC": "spread 0.46 bps (impactPxs) cannot pay 2 × (1.5 bps maker fee + 0.5 bps adverse selection)",
        "X": "spread unknown",
        "Y": None,
    }
