"""Hyperliquid perps as CryptoPerpetuals; fee tiers; price rules."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nautilus_trader.model.currencies import USDC

from adapters.hyperliquid.common.fees import perp_fees
from adapters.hyperliquid.common.prices import is_valid_hl_price
from adapters.hyperliquid.common.prices import round_price_to_hl
from adapters.hyperliquid.parsing.instruments import infer_sz_decimals
from adapters.hyperliquid.parsing.instruments import instruments_from_meta
from adapters.hyperliquid.parsing.instruments import load_meta_file
from adapters.hyperliquid.parsing.instruments import perp_instrument
from catalog import shipped_data


def test_perp_instrument_follows_sz_decimals() -> None:
    btc = perp_instrument("BTC", 5)
    assert str(btc.id) == "BTC-USD-PERP.HYPERLIQUID"
    assert btc.size_precision == 5 and btc.price_precision == 1
    assert str(btc.price_increment) == "0.1" and str(btc.size_increment) == "0.00001"
    assert btc.min_notional.as_decimal() == 10 and btc.min_notional.currency == USDC
    assert btc.maker_fee == Decimal("0.00015") and btc.taker_fee == Decimal("0.00045")


@pytest.mark.parametrize(
    ("tier", "maker_pct", "taker_pct"),
    # hyperliquid.md "Fees" (perps), in percent as the table prints them.
    [(0, "0.015", "0.045"), (1, "0.012", "0.040"), (2, "0.008", "0.035"), (3, "0.004", "0.030"),
     (4, "0", "0.028"), (5, "0", "0.026"), (6, "0", "0.024")],
)
def test_fee_table_matches_the_documented_perp_tiers(tier: int, maker_pct: str, taker_pct: str) -> None:
    assert perp_fees(tier) == (Decimal(maker_pct) / 100, Decimal(taker_pct) / 100)


@pytest.mark.parametrize("tier", [-1, 7, True, 1.0, "0"])
def test_unknown_fee_tier_is_a_clear_error(tier: object) -> None:
    with pytest.raises(ValueError, match=r"fee tier must be an integer 0\.\.6"):
        perp_fees(tier)  # type: ignore[arg-type]


def test_fee_tier_sets_the_instruments_maker_and_taker_fees() -> None:
    eth = perp_instrument("ETH", 4, fee_tier=4)
    assert eth.maker_fee == 0 and eth.taker_fee == Decimal("0.00028")


def test_instruments_from_meta_use_its_sz_decimals_and_leverage(hl_data: Path) -> None:
    instruments = instruments_from_meta(
        load_meta_file(shipped_data.mainnet_meta())
    )
    eth = instruments["ETH"]
    assert eth.size_precision == 4 and eth.price_precision == 2
    assert eth.margin_init == Decimal(1) / 25 and eth.info["asset"] == 1
    assert instruments["kPEPE"].price_precision == 6


def test_meta_in_every_saved_shape_is_read(hl_data: Path) -> None:
    wrapped = (shipped_data.info_dir() / "meta_2023.json").read_text()
    assert instruments_from_meta(wrapped)["BTC"].size_precision == 5
    with pytest.raises(ValueError, match="universe"):
        instruments_from_meta({"foo": 1})


def test_sz_decimals_inferred_from_sizes_and_checked_against_prices() -> None:
    assert infer_sz_decimals(["0.1101", "3.8", "1.0"], ["3331.7"]) == 4
    assert infer_sz_decimals(["3.03622", "0.1428"], ["105055.0"]) == 5
    with pytest.raises(ValueError, match="inconsistent"):
        infer_sz_decimals(["0.12345"], ["1.234"])


@pytest.mark.parametrize(
    ("px", "sz_decimals", "valid"),
    [
        ("42727", 5, True),
        ("42727.5", 5, False),  # 6 significant figures
        ("123456", 0, True),  # integers are always valid
        ("3331.1", 4, True),
        ("3331.15", 4, False),
        ("0.012345", 0, True),
        ("0.0123456", 0, False),
        ("1.2345", 2, True),
        ("1.23456", 1, False),
        ("0", 2, False),
    ],
)
def test_price_validity_rules(px: str, sz_decimals: int, valid: bool) -> None:
    assert is_valid_hl_price(px, sz_decimals) is valid


def test_rounding_direction_is_respected() -> None:
    assert round_price_to_hl("3331.15", 4, "down") == Decimal("3331.1")
    assert round_price_to_hl("3331.15", 4, "up") == Decimal("3331.2")
    assert round_price_to_hl("42727.5", 5, "up") == Decimal("42728")


@given(
    px=st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000000"), places=8),
    sz_decimals=st.integers(min_value=0, max_value=5),
    mode=st.sampled_from(["nearest", "down", "up"]),
)
def test_rounded_prices_are_valid_and_on_the_requested_side(px: Decimal, sz_decimals: int, mode: str) -> None:
    rounded = round_price_to_hl(px, sz_decimals, mode)  # type: ignore[arg-type]
    assert is_valid_hl_price(rounded, sz_decimals)
    if mode == "down" and rounded != Decimal(1).scaleb(-(6 - sz_decimals)):
        assert rounded <= px
    if mode == "up":
        assert rounded >= px
