"""Inventory skew and soft/hard exits."""

import pytest

from mm_strategy.quoting.skew import ExitMode
from mm_strategy.quoting.skew import SkewParams
from mm_strategy.quoting.skew import exit_mode
from mm_strategy.quoting.skew import inventory_ratio
from mm_strategy.quoting.skew import reservation_price
from mm_strategy.quoting.skew import side_size_factors
from mm_strategy.quoting.skew import soft_exit_anchor


def test_reservation_price_moves_against_inventory() -> None:
    p = SkewParams(skew_bps_at_limit=4.0)
    assert reservation_price(100.0, 0.5, p) == pytest.approx(100.0 * (1 - 2e-4))
    assert reservation_price(100.0, -0.5, p) == pytest.approx(100.0 * (1 + 2e-4))
    assert reservation_price(100.0, 0.0, p) == 100.0


def test_risk_aversion_adds_a_volatility_scaled_shift() -> None:
    calm = reservation_price(100.0, 0.5, SkewParams(skew_bps_at_limit=0.0, risk_aversion=0.1), vol_bps=1.0)
    wild = reservation_price(100.0, 0.5, SkewParams(skew_bps_at_limit=0.0, risk_aversion=0.1), vol_bps=4.0)
    assert wild < calm < 100.0


def test_the_side_adding_inventory_shrinks() -> None:
    assert side_size_factors(0.25) == (0.75, 1.0)
    assert side_size_factors(-0.25) == (1.0, 0.75)
    assert side_size_factors(1.2) == (0.0, 1.0)


def test_soft_exit_past_the_soft_limit_and_no_hard_exit_unless_enabled() -> None:
    p = SkewParams(soft_limit=0.6, hard_limit=1.5)
    assert exit_mode(0.5, p) is ExitMode.NONE
    assert exit_mode(-0.7, p) is ExitMode.SOFT
    assert exit_mode(3.0, p) is ExitMode.SOFT  # taker exit disabled by default
    assert exit_mode(0.1, p, kill_switch=True) is ExitMode.NONE


def test_hard_exit_only_past_the_hard_limit_or_on_kill_switch_when_enabled() -> None:
    p = SkewParams(soft_limit=0.6, hard_limit=1.5, hard_exit_enabled=True)
    assert exit_mode(1.0, p) is ExitMode.SOFT
    assert exit_mode(1.6, p) is ExitMode.HARD
    assert exit_mode(0.1, p, kill_switch=True) is ExitMode.HARD


def test_soft_exit_steps_the_reducing_side_inside_the_spread_or_to_the_touch() -> None:
    assert soft_exit_anchor(1.0, 99.0, 101.0, 0.5) == (False, 100.5)  # long: ask one step inside
    assert soft_exit_anchor(1.0, 100.0, 100.5, 0.5) == (False, 100.5)  # no room: join the ask
    assert soft_exit_anchor(-1.0, 99.0, 101.0, 0.5) == (True, 99.5)


def test_inventory_ratio_is_signed_notional_over_limit() -> None:
    assert inventory_ratio(-0.5, 2000.0, 2000.0) == pytest.approx(-0.5)
    with pytest.raises(ValueError):
        inventory_ratio(1.0, 1.0, 0.0)
