"""Order validation texts, taker execution, fees and the account ledger."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapters.hyperliquid.common.prices import is_valid_hl_price
from adapters.hyperliquid.signing import L1Signer
from hlsim.engine.validation import check_price
from hlsim.engine.validation import is_valid_address
from hlsim.engine.validation import is_valid_cloid
from hlsim.testing import HlSimThread

from .conftest import MAKER_KEY
from .conftest import OTHER_KEY
from .helpers import alo
from .helpers import order_action
from .helpers import post_action
from .helpers import statuses


def _place(sim: HlSimThread, *wires: dict, key: str = MAKER_KEY) -> list:
    return statuses(post_action(sim.rest_url, L1Signer(key), order_action(*wires)))


def _funded(sim: HlSimThread, usdc: int = 100_000) -> L1Signer:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, usdc)
    return signer


def test_price_with_too_many_decimals_or_significant_figures_is_a_tick_error(eth_book: HlSimThread) -> None:
    _funded(eth_book)
    # ETH szDecimals 4 → at most 2 decimals; 5 significant figures.
    assert _place(eth_book, alo(0, True, "2999.55", "0.01"), alo(0, True, "2999.12", "0.01")) == [
        {"error": "Price must be divisible by tick size. asset=0"},
        {"error": "Price must be divisible by tick size. asset=0"},
    ]


def test_integer_price_is_always_valid(eth_book: HlSimThread) -> None:
    _funded(eth_book)
    assert "resting" in _place(eth_book, alo(0, True, "2990", "0.01"))[0]


def test_size_with_too_many_decimals_is_refused(eth_book: HlSimThread) -> None:
    _funded(eth_book)
    assert _place(eth_book, alo(0, True, "2999.5", "0.00001")) == [{"error": "Order has invalid size. asset=0"}]


def test_order_below_ten_dollars_is_refused(eth_book: HlSimThread) -> None:
    _funded(eth_book)
    assert _place(eth_book, alo(0, True, "2999.5", "0.003")) == [
        {"error": "Order must have minimum value of $10. asset=0"}
    ]


def test_reduce_only_without_a_position_is_refused(eth_book: HlSimThread) -> None:
    _funded(eth_book)
    wire = alo(0, False, "3005", "0.01")
    wire["r"] = True
    assert _place(eth_book, wire) == [{"error": "Reduce only order would increase position. asset=0"}]


def test_insufficient_margin_is_refused(eth_book: HlSimThread) -> None:
    _funded(eth_book, usdc=10)
    assert _place(eth_book, alo(0, True, "2999.5", "1")) == [
        {"error": "Insufficient margin to place order. asset=0"}
    ]


def test_ioc_that_cannot_match_is_refused(eth_book: HlSimThread) -> None:
    _funded(eth_book)
    assert _place(eth_book, alo(0, True, "2999.5", "0.01", tif="Ioc")) == [
        {"error": "Order could not immediately match against any resting orders. asset=0"}
    ]


def test_marketable_gtc_sweeps_levels_then_rests_the_rest(eth_book: HlSimThread) -> None:
    signer = _funded(eth_book)
    [status] = _place(eth_book, alo(0, True, "3001", "20", tif="Gtc"))
    oid = status["resting"]["oid"]
    fills = eth_book.fills(signer.address)
    assert [(f["px"], f["sz"], f["crossed"]) for f in fills] == [("3000.5", "5.0", True), ("3001.0", "10.0", True)]
    [order] = eth_book.open_orders(signer.address)
    assert (order["oid"], order["sz"], order["origSz"]) == (oid, "5.0", "20.0")
    assert eth_book.position(signer.address, "ETH") == {"szi": Decimal("15"), "entry_px": Decimal("45012.5") / 15}


def test_ioc_fill_reports_total_size_and_average_price(eth_book: HlSimThread) -> None:
    _funded(eth_book)
    [status] = _place(eth_book, alo(0, True, "3001", "6", tif="Ioc"))
    assert status["filled"]["totalSz"] == "6.0"
    # avgPx carries 8 decimals at most.
    assert status["filled"]["avgPx"] == "3000.58333333"


def test_round_trip_realizes_pnl_and_pays_fees(eth_book: HlSimThread) -> None:
    signer = _funded(eth_book, usdc=100_000)
    _place(eth_book, alo(0, True, "3001", "1", tif="Ioc"))  # buy 1 @ 3000.5
    eth_book.set_book("ETH", bids=[("3010", "5")], asks=[("3011", "5")])
    _place(eth_book, alo(0, False, "3010", "1", tif="Ioc"))  # sell 1 @ 3010
    buy, sell = eth_book.fills(signer.address)
    assert sell["dir"] == "Close Long" and Decimal(sell["closedPnl"]) == Decimal("9.5")
    fees = Decimal(buy["fee"]) + Decimal(sell["fee"])
    assert eth_book.usdc(signer.address) == Decimal(100_000) + Decimal("9.5") - fees
    assert eth_book.position(signer.address, "ETH")["szi"] == 0


def test_users_orders_match_each_other_as_maker_and_taker(eth_book: HlSimThread) -> None:
    maker = _funded(eth_book)
    taker = L1Signer(OTHER_KEY)
    eth_book.fund(taker.address, 100_000)
    [rest] = _place(eth_book, alo(0, False, "3000.4", "0.5"))
    [took] = _place(eth_book, alo(0, True, "3000.4", "0.5", tif="Ioc"), key=OTHER_KEY)
    assert took["filled"] == {"totalSz": "0.5", "avgPx": "3000.4", "oid": took["filled"]["oid"]}
    [maker_fill] = eth_book.fills(maker.address)
    assert maker_fill["oid"] == rest["resting"]["oid"] and maker_fill["crossed"] is False
    # Maker fee tier 0: 0.015%.
    assert Decimal(maker_fill["fee"]) == (Decimal("3000.4") * Decimal("0.5") * Decimal("0.00015")).quantize(
        Decimal("0.000001")
    )


def test_user_orders_show_in_the_published_book(eth_book: HlSimThread) -> None:
    _funded(eth_book)
    _place(eth_book, alo(0, True, "3000", "0.5"), alo(0, True, "3000.1", "0.2"))
    import requests

    book = requests.post(eth_book.rest_url + "/info", json={"type": "l2Book", "coin": "ETH"}, timeout=5).json()
    bids = book["levels"][0]
    assert bids[0] == {"px": "3000.1", "sz": "0.2", "n": 1}
    assert bids[1] == {"px": "3000.0", "sz": "5.5", "n": 2}


def test_reduce_only_is_capped_at_the_position(eth_book: HlSimThread) -> None:
    signer = _funded(eth_book)
    _place(eth_book, alo(0, True, "3001", "1", tif="Ioc"))
    wire = alo(0, False, "2999", "3", tif="Ioc")
    wire["r"] = True
    [status] = _place(eth_book, wire)
    assert status["filled"]["totalSz"] == "1.0"
    assert eth_book.position(signer.address, "ETH")["szi"] == 0


def test_funding_is_paid_by_longs_when_the_rate_is_positive() -> None:
    import time

    from hlsim.testing import HlSimConfig
    from hlsim.testing import run_hlsim_in_thread

    config = HlSimConfig(coins={"ETH": 4}, funding_rate=0.0001, funding_interval_s=0.2, ip_weight_per_min=None)
    with run_hlsim_in_thread(config) as sim:
        sim.set_book("ETH", bids=[("3000", "5")], asks=[("3001", "5")])
        signer = _funded(sim, usdc=100_000)
        _place(sim, alo(0, True, "3001", "1", tif="Ioc"))
        after_fill = sim.usdc(signer.address)
        deadline = time.time() + 5
        while sim.usdc(signer.address) == after_fill and time.time() < deadline:
            time.sleep(0.05)
        paid = after_fill - sim.usdc(signer.address)
        # Each payment: 1 ETH x mark 3000.5 x 0.01% (a slow machine may have seen more than one).
        assert paid > 0 and paid % Decimal("0.30005") == 0


def test_addresses_and_cloids_must_be_0x_and_exact_hex_digits() -> None:
    assert is_valid_address("0x" + "aB" * 20)
    assert is_valid_cloid("0x" + "0" * 31 + "9")
    # int(_, 16) would take signs, underscores and spaces: all refused here.
    for bad in ("0x-" + "a" * 39, "0x" + "a_" * 20, "0x " + "a" * 39, "0x" + "a" * 39, "ab" * 21, None, 12):
        assert not is_valid_address(bad), bad
    for bad in ("0x+" + "0" * 31, "0x" + "0_" * 16, "0X" + "0" * 32, "0x" + "g" * 32, "0x" + "0" * 33):
        assert not is_valid_cloid(bad), bad


@settings(max_examples=300, deadline=None, database=None)
@given(
    px=st.decimals(min_value=Decimal("0.0000001"), max_value=Decimal("2000000"), places=8),
    sz_decimals=st.integers(min_value=0, max_value=5),
)
def test_hlsim_tick_rule_agrees_with_the_adapters_price_rule(px: Decimal, sz_decimals: int) -> None:
    # Two independent implementations of hyperliquid.md's price rule: the exchange side and the client side.
    assert (check_price(px, sz_decimals) is None) == is_valid_hl_price(px, sz_decimals)


def test_cloid_hex_case_does_not_make_another_order(eth_book: HlSimThread) -> None:
    signer = _funded(eth_book)
    upper = "0x" + "AB" * 16
    [status] = _place(eth_book, alo(0, True, "2999.5", "0.1", cloid=upper))
    assert status["resting"]["cloid"] == upper.lower()
    [dup] = _place(eth_book, alo(0, True, "2999.0", "0.1", cloid=upper.lower()))
    assert dup == {"error": "Duplicate cloid. asset=0"}
    cancel = {"type": "cancelByCloid", "cancels": [{"asset": 0, "cloid": upper.lower()}]}
    reply = post_action(eth_book.rest_url, signer, cancel)
    assert reply["response"]["data"]["statuses"] == ["success"]
    assert eth_book.open_orders(signer.address) == []
