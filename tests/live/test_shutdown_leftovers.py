"""What a run's last line says about what the shutdown could not clear: orders the exchange still
lists, counted, and accounts whose orders could not be listed, not counted as if one order rested
(review 4: "1 orders remain open" when 6 rested and none could be listed)."""

from __future__ import annotations

from types import SimpleNamespace

from nautilus_trader.model.identifiers import InstrumentId

from live.errors import ExitCode
from live.runner import ending
from live.shutdown import Leftovers
from live.shutdown import open_positions


def test_a_clean_stop_leaves_nothing_and_exits_0() -> None:
    assert not Leftovers()
    assert ending(None, Leftovers()) == (ExitCode.CLEAN, None)


def test_orders_the_exchange_still_lists_are_counted_and_exit_3() -> None:
    code, line = ending(None, Leftovers(orders=6))
    assert code == ExitCode.ORDERS_LEFT
    assert line == "6 orders remain open on the exchange after the wind-down"


def test_an_account_whose_orders_could_not_be_listed_says_their_number_is_unknown() -> None:
    code, line = ending("the exchange is unreachable", Leftovers(unverified_accounts=1))
    assert code == ExitCode.ORDERS_LEFT
    assert line is not None and "remain open" not in line.split(";")[1]
    assert line.endswith("the open orders of 1 account(s) could not be listed, so how many remain is unknown "
                         "(the next start's sweep cancels them)")


class _Cache:
    """Nautilus's cache as `open_positions` reads it: open positions and the books."""

    def __init__(self, positions: list[SimpleNamespace], mids: dict[str, float]) -> None:
        self._positions = positions
        self._mids = mids

    def positions_open(self) -> list[SimpleNamespace]:
        return self._positions

    def order_book(self, iid: InstrumentId) -> SimpleNamespace | None:
        mid = self._mids.get(str(iid))
        return None if mid is None else SimpleNamespace(midpoint=lambda: mid)


def _position(iid: str, qty: float, avg_px: float) -> SimpleNamespace:
    return SimpleNamespace(instrument_id=InstrumentId.from_str(iid), signed_qty=qty, avg_px_open=avg_px)


def test_positions_left_open_are_said_per_coin_net_of_the_caches_several_positions() -> None:
    # Review 7: after a restart the cache held INTC's inferred position beside the strategy's own, and
    # the stop said "INTC +1.10384 (~$41), INTC -0.276315 (~$10)" for an account holding +0.827525.
    cache = _Cache([_position("INTC-USD-PERP.HYPERLIQUID", 1.10384, 37.0),
                    _position("INTC-USD-PERP.HYPERLIQUID", -0.276315, 37.0),
                    _position("ETH-USD-PERP.HYPERLIQUID", 0.5, 3000.0),
                    _position("ETH-USD-PERP.HYPERLIQUID", -0.5, 3000.0),
                    _position("BTC-USD-PERP.HYPERLIQUID", -0.001, 90_000.0)],
                   {"INTC-USD-PERP.HYPERLIQUID": 38.0})
    assert open_positions(SimpleNamespace(cache=cache)) == "INTC-USD-PERP +0.827525 (~$31), BTC-USD-PERP -0.001 (~$90)"


def test_no_position_left_open_says_nothing() -> None:
    assert open_positions(SimpleNamespace(cache=_Cache([], {}))) is None

