"""What ends a run with a fault, as plain rules (the process tests run them end to end)."""

from __future__ import annotations

from live.health import no_instrument_left

ETH = "ETH-USD-PERP.HYPERLIQUID"
BTC = "BTC-USD-PERP.HYPERLIQUID"


def test_one_instrument_stopped_while_another_still_quotes_is_no_fault() -> None:
    assert no_instrument_left({ETH, BTC}, {ETH: "10 orders rejected as insufficient_margin"}) is None


def test_every_instrument_stopped_is_a_fault_naming_each_and_why() -> None:
    fault = no_instrument_left({ETH, BTC}, {ETH: "margin", BTC: "tick"})
    assert fault == f"no instrument can trade any more: {BTC}: tick; {ETH}: margin"


def test_a_node_without_market_makers_is_never_stopped_by_this_rule() -> None:
    assert no_instrument_left(set(), {}) is None
