"""What a run's last line says about what the shutdown could not clear: orders the exchange still
lists, counted, and accounts whose orders could not be listed, not counted as if one order rested
(review 4: "1 orders remain open" when 6 rested and none could be listed)."""

from __future__ import annotations

from live.errors import ExitCode
from live.runner import ending
from live.shutdown import Leftovers


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
