"""One node's share of the account's inventory cap: what it claims and what it may quote."""

from __future__ import annotations

import pytest

from mm_strategy.risk.budget_share import cap_to_send
from mm_strategy.risk.budget_share import ladder_notional_usd
from mm_strategy.risk.budget_share import share_request
from mm_strategy.risk.budget_share import side_capacities


def test_a_claim_is_what_is_held_plus_one_ladder_within_the_nodes_own_limit() -> None:
    assert ladder_notional_usd(20.0, (1.0, 2.0, 4.0)) == 140.0
    flat = share_request(0.0, 3000.0, 140.0, 1000.0)
    assert (flat.want_usd, flat.floor_usd) == (140.0, 0.0)
    short = share_request(-0.1, 3000.0, 140.0, 1000.0)  # |inventory| counts, long or short
    assert (short.want_usd, short.floor_usd) == pytest.approx((440.0, 300.0))
    near_limit = share_request(0.3, 3000.0, 140.0, 1000.0)
    assert near_limit.want_usd == 1000.0  # never more than the node could use


def test_a_position_past_the_own_limit_is_still_claimed_in_full() -> None:
    past = share_request(0.5, 3000.0, 140.0, 1000.0)
    assert past.want_usd == past.floor_usd == 1500.0


def test_the_granted_share_bounds_absolute_position_whichever_side_fills() -> None:
    bid, ask = side_capacities(0.02, 3000.0, 150.0, reduce_only=False)  # 60 USD held, 150 granted
    assert bid == pytest.approx(0.03)  # up to +0.05 (150 USD)
    assert ask == pytest.approx(0.07)  # down to -0.05
    assert side_capacities(0.06, 3000.0, 150.0, reduce_only=False)[0] == 0.0  # past the grant (the price rose)


def test_reduce_only_quotes_only_the_way_back_to_flat() -> None:
    assert side_capacities(0.02, 3000.0, 1e9, reduce_only=True) == (0.0, 0.02)
    assert side_capacities(-0.02, 3000.0, 1e9, reduce_only=True) == (0.02, 0.0)
    assert side_capacities(0.0, 3000.0, 1e9, reduce_only=True) == (0.0, 0.0)


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        ladder_notional_usd(0.0, (1.0,))
    with pytest.raises(ValueError):
        share_request(0.1, 0.0, 140.0, 1000.0)
    with pytest.raises(ValueError):
        share_request(0.1, 3000.0, 140.0, 0.0)


def test_the_cap_sent_is_on_the_quantum_grid_and_never_above_the_grant() -> None:
    assert cap_to_send(None, 147.3, 10.0) == 140.0
    assert cap_to_send(None, 0.0, 10.0) == 0.0


def test_the_cap_sent_holds_while_the_grant_wanders_within_a_quantum_above_it() -> None:
    for grant in (140.0, 141.2, 149.9, 159.9):  # the held notional moving with the price
        assert cap_to_send(140.0, grant, 10.0) == 140.0


def test_the_cap_sent_falls_at_once_below_the_grant_and_rises_two_quanta_above() -> None:
    assert cap_to_send(140.0, 139.99, 10.0) == 130.0  # never above what Redis reserved
    assert cap_to_send(140.0, 160.0, 10.0) == 160.0


def test_a_bad_grant_or_quantum_is_refused() -> None:
    with pytest.raises(ValueError):
        cap_to_send(None, float("nan"), 10.0)
    with pytest.raises(ValueError):
        cap_to_send(None, 10.0, 0.0)
