"""Stall detection, rate-limit counting, fill dedupe, nonces and report conversions (no engine)."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal

import msgspec
import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
from nautilus_trader.model.enums import LiquiditySide
from nautilus_trader.model.enums import OrderSide
from nautilus_trader.model.enums import OrderStatus
from nautilus_trader.model.enums import PositionSide
from nautilus_trader.model.identifiers import AccountId

from adapters.hyperliquid.common.nonces import NonceSource
from adapters.hyperliquid.execution.tracking import OrderTracker
from adapters.hyperliquid.http.rate_limit import RateLimitTracker
from adapters.hyperliquid.http.rate_limit import action_count
from adapters.hyperliquid.http.rate_limit import exchange_weight
from adapters.hyperliquid.parsing.instruments import perp_instrument
from adapters.hyperliquid.parsing.reports import account_balance
from adapters.hyperliquid.parsing.reports import adoption_reports
from adapters.hyperliquid.parsing.reports import average_fill_px
from adapters.hyperliquid.parsing.reports import fill_problem
from adapters.hyperliquid.parsing.reports import fill_report
from adapters.hyperliquid.parsing.reports import order_status_report
from adapters.hyperliquid.parsing.reports import position_reports
from adapters.hyperliquid.schemas.user import CLEARINGHOUSE_DECODER
from adapters.hyperliquid.schemas.user import OPEN_ORDERS_DECODER
from adapters.hyperliquid.schemas.user import USER_FILLS_DECODER
from adapters.hyperliquid.stall import StallDetector

S = 1_000_000_000
ETH = perp_instrument("ETH", 4, asset_index=1)
ACCOUNT_ID = AccountId("HYPERLIQUID-0xabc")


def test_stall_is_reported_once_per_silent_spell_and_re_armed_by_data() -> None:
    stall = StallDetector(timeout_ns=2 * S)
    stall.watch("ETH", 0)
    stall.watch("BTC", 0)
    stall.on_message("BTC", 1 * S)
    assert stall.check(1 * S, socket_open=True) == []
    first = stall.check(2 * S, socket_open=True)
    assert [(e.coin, e.silent_ms) for e in first] == [("ETH", 2000)]
    assert stall.check(2 * S + 1, socket_open=True) == []  # once per spell
    both = stall.check(3 * S, socket_open=True)
    assert [e.coin for e in both] == ["BTC", None]  # now every coin is silent
    assert [e.coin for e in stall.on_message("ETH", 4 * S)] == ["ETH"]  # BTC still silent: no all-clear
    assert stall.check(5 * S, socket_open=True) == []
    # ETH silent again; the all-coins spell has not ended (BTC never came back), so no second None.
    assert [e.coin for e in stall.check(6 * S, socket_open=True)] == ["ETH"]
    assert stall.on_message("BTC", 7 * S)[0].coin == "BTC"
    assert [e.coin for e in stall.on_message("ETH", 7 * S)] == ["ETH", None]  # every coin is back
    assert stall.stalled == frozenset()


def test_silence_on_a_closed_socket_is_not_reported_by_check() -> None:
    stall = StallDetector(timeout_ns=S)
    stall.watch("ETH", 0)
    assert stall.check(10 * S, socket_open=False) == []


def test_a_dropped_socket_stalls_every_coin_once_until_each_book_is_back() -> None:
    stall = StallDetector(timeout_ns=10 * S)
    stall.watch("ETH", 0, book=True)
    stall.watch("BTC", 0)
    stall.on_message("ETH", 1 * S, book=True)
    (lost,) = stall.disconnected(3 * S)
    assert (lost.coin, lost.silent_ms, lost.ts_ns) == (None, 2000, 3 * S)
    assert stall.disconnected(3 * S) == []  # one report per loss
    assert stall.stalled == {"ETH", "BTC"}
    stall.restart(4 * S)
    assert stall.check(20 * S, socket_open=True) == []  # already stalled: not reported again
    assert stall.on_message("ETH", 5 * S) == []  # a bbo or a trade does not make the book valid
    assert [e.coin for e in stall.on_message("BTC", 5 * S)] == ["BTC"]  # no book subscribed: any data
    resumed = stall.on_message("ETH", 6 * S, book=True)
    assert [(e.coin, e.ts_ns) for e in resumed] == [("ETH", 6 * S), (None, 6 * S)]
    assert stall.stalled == frozenset()


def test_a_coin_whose_book_is_watched_resumes_only_with_a_book() -> None:
    stall = StallDetector(timeout_ns=S)
    stall.watch("ETH", 0, book=True)
    assert [e.coin for e in stall.check(S, socket_open=True)] == ["ETH", None]
    assert stall.on_message("ETH", 2 * S) == []
    assert stall.check(2 * S + 1, socket_open=True) == []
    assert [e.coin for e in stall.on_message("ETH", 3 * S, book=True)] == ["ETH", None]
    assert stall.on_message("ETH", 4 * S, book=True) == []  # nothing to end


def test_ip_weight_is_a_sliding_minute_and_the_address_budget_counts_batches() -> None:
    tracker = RateLimitTracker()
    tracker.seed_address_budget(used=120, cap=10_500)
    tracker.add_ip_weight(20, 0)
    tracker.add_ip_weight(exchange_weight(80), 30 * S)  # 1 + 80 // 40
    tracker.add_address_actions(action_count({"type": "order", "orders": [{}] * 3}))
    status = tracker.status(59 * S)
    assert (status.ip_weight_used_last_minute, status.address_requests_used, status.address_budget_left) == (
        23, 123, 10_377,
    )
    assert tracker.status(61 * S).ip_weight_used_last_minute == 3


def test_fills_are_first_seen_once_by_tid_and_the_latest_time_is_kept() -> None:
    tracker = OrderTracker()
    assert tracker.first_sight_of_fill(7, 1000)
    assert not tracker.first_sight_of_fill(7, 1000)
    assert tracker.first_sight_of_fill(8, 900)
    assert (tracker.last_fill_ms, tracker.duplicate_fills) == (1000, 1)


def test_the_seen_fill_ids_are_bounded_and_forget_the_oldest_first() -> None:
    tracker = OrderTracker(max_seen_fills=3)
    for tid in (1, 2, 3, 4):
        assert tracker.first_sight_of_fill(tid, tid)
    assert not tracker.first_sight_of_fill(4, 4)  # recent ids are still deduped
    assert not tracker.first_sight_of_fill(2, 2)
    assert tracker.first_sight_of_fill(1, 1)  # the oldest was forgotten


def test_a_tracker_that_remembers_no_fills_is_refused() -> None:
    with pytest.raises(ValueError, match="max_seen_fills"):
        OrderTracker(max_seen_fills=0)


def test_nonces_strictly_increase_even_within_one_millisecond() -> None:
    nonces = NonceSource()
    values = [nonces.next() for _ in range(1000)]
    assert all(b > a for a, b in itertools.pairwise(values))


def test_exchange_state_becomes_reports() -> None:
    (order,) = OPEN_ORDERS_DECODER.decode(
        b'[{"coin":"ETH","side":"A","limitPx":"3010.5","sz":"0.02","oid":42,"timestamp":1700000000000,'
        b'"origSz":"0.05","cloid":"0x' + b"1" * 32 + b'"}]'
    )
    report = order_status_report(order, "open", ETH, ACCOUNT_ID, None, order.timestamp, 1)
    assert (report.order_side, report.order_status, report.venue_order_id.value) == (
        OrderSide.SELL, OrderStatus.PARTIALLY_FILLED, "42",
    )
    assert (report.quantity.as_decimal(), report.filled_qty.as_decimal()) == (Decimal("0.0500"), Decimal("0.0300"))

    fills = USER_FILLS_DECODER.decode(
        b'{"user":"0xabc","isSnapshot":true,"fills":[{"coin":"ETH","px":"3000.1","sz":"0.01","side":"B",'
        b'"time":1700000000001,"startPosition":"0","dir":"Open Long","closedPnl":"0","hash":"0x0",'
        b'"oid":41,"crossed":false,"fee":"0.0045","tid":99,"feeToken":"USDC"}]}'
    )
    fill = fill_report(fills.fills[0], ETH, ACCOUNT_ID, None, 1)
    assert (fill.trade_id.value, fill.liquidity_side, fill.commission.as_decimal()) == (
        "99", LiquiditySide.MAKER, Decimal("0.00450000"),
    )

    state = CLEARINGHOUSE_DECODER.decode(
        b'{"assetPositions":[{"type":"oneWay","position":{"coin":"ETH","szi":"-0.25","entryPx":"3001.0",'
        b'"unrealizedPnl":"1.0","positionValue":"750","marginUsed":"37.5","liquidationPx":null,'
        b'"leverage":{"type":"cross","value":20}}},{"type":"oneWay","position":{"coin":"DOGE","szi":"10"}}],'
        b'"marginSummary":{"accountValue":"1000.0","totalMarginUsed":"37.5","totalNtlPos":"750","totalRawUsd":"1750"},'
        b'"withdrawable":"962.5","time":1700000000002}'
    )
    (position,) = position_reports(state, {"ETH": ETH}, ACCOUNT_ID, 1)
    assert (position.position_side, position.quantity.as_decimal()) == (PositionSide.SHORT, Decimal("0.2500"))
    # The balance leaves out the position's unrealized PnL (1.0 of the 1000 account value): Nautilus
    # adds it itself, so equity = balance + unrealized must equal the account value, not exceed it.
    balance = account_balance(state)
    assert (balance.total.as_decimal(), balance.locked.as_decimal(), balance.free.as_decimal()) == (
        Decimal("999.00000000"), Decimal("37.50000000"), Decimal("961.50000000"),
    )


def _fills_of_order_7() -> list:
    return USER_FILLS_DECODER.decode(
        b'{"user":"0xabc","fills":['
        b'{"coin":"ETH","px":"3000.0","sz":"0.01","side":"A","time":1700000000001,"oid":7,"crossed":true,"fee":"0.01","tid":1},'
        b'{"coin":"ETH","px":"2990.0","sz":"0.03","side":"A","time":1700000000005,"oid":7,"crossed":true,"fee":"0.03","tid":2}]}'
    ).fills


def test_an_outside_order_is_adopted_as_made_of_its_fills_only() -> None:
    fills = _fills_of_order_7()
    assert average_fill_px(fills) == Decimal("2992.5")
    (order,) = OPEN_ORDERS_DECODER.decode(
        b'[{"coin":"ETH","side":"A","limitPx":"2990","sz":"0","oid":7,"timestamp":1700000000000,"origSz":"0.05"}]'
    )
    # The exchange says 0.05 filled, but only 0.04 of fills are in hand: no fill is left for
    # Nautilus to infer (it would count again when the real one arrives).
    record = order_status_report(order, "filled", ETH, ACCOUNT_ID, None, order.timestamp, 1)
    ((report, fill_reports),) = adoption_reports(record, fills, ETH, ACCOUNT_ID, 1)
    assert (report.order_status, report.filled_qty.as_decimal(), report.avg_px) == (
        OrderStatus.PARTIALLY_FILLED, Decimal("0.0400"), Decimal("2992.5"),
    )
    assert [(f.trade_id.value, f.venue_order_id.value) for f in fill_reports] == [("1", "7"), ("2", "7")]


def test_fills_with_no_order_on_record_become_one_filled_order_each() -> None:
    adopted = adoption_reports(None, _fills_of_order_7(), ETH, ACCOUNT_ID, 1)
    assert [(r.venue_order_id.value, r.order_status, r.order_side, r.quantity.as_decimal(), r.avg_px) for r, _ in adopted] == [
        ("7-1", OrderStatus.FILLED, OrderSide.SELL, Decimal("0.0100"), Decimal("3000.0")),
        ("7-2", OrderStatus.FILLED, OrderSide.SELL, Decimal("0.0300"), Decimal("2990.0")),
    ]
    assert [[(f.trade_id.value, f.venue_order_id.value) for f in fs] for _, fs in adopted] == [[("1", "7-1")], [("2", "7-2")]]


def test_malformed_numbers_in_exchange_state_give_errors_naming_the_field() -> None:
    def state(szi: str, account_value: str) -> bytes:
        return (
            b'{"assetPositions":[{"type":"oneWay","position":{"coin":"ETH","szi":"' + szi.encode() + b'"}}],'
            b'"marginSummary":{"accountValue":"' + account_value.encode() + b'"},"time":1}'
        )

    with pytest.raises(ValueError, match="ETH szi"):
        position_reports(CLEARINGHOUSE_DECODER.decode(state("abc", "1000")), {"ETH": ETH}, ACCOUNT_ID, 1)
    with pytest.raises(ValueError, match="accountValue"):
        account_balance(CLEARINGHOUSE_DECODER.decode(state("0", "NaN")))
    with pytest.raises(ValueError, match="accountValue"):
        account_balance(CLEARINGHOUSE_DECODER.decode(state("0", "1e400")))
    (order,) = OPEN_ORDERS_DECODER.decode(
        b'[{"coin":"ETH","side":"B","limitPx":"3000.0","sz":"x","oid":7,"timestamp":1,"origSz":"0.1"}]'
    )
    with pytest.raises(ValueError, match="sz"):
        order_status_report(order, "open", ETH, ACCOUNT_ID, None, 1, 1)


_num = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(lambda d: format(d, "f")),
    st.sampled_from(["NaN", "Infinity", "-1", "0", "", "1e400", "abc", "0.00001"]),
)
_fill = st.fixed_dictionaries(
    {
        "coin": st.sampled_from(["ETH", "BTC", ""]), "px": _num, "sz": _num, "side": st.sampled_from(["A", "B", "X"]),
        "time": st.integers(0, 2**53), "oid": st.integers(0, 2**63), "tid": st.integers(0, 2**63),
        "fee": _num, "crossed": st.booleans(),
    },
    optional={"cloid": st.none() | st.text(max_size=34), "feeToken": st.just("USDC"), "extra": st.integers()},
)


@settings(max_examples=1500, deadline=None, derandomize=True, database=None)
@given(st.lists(_fill, max_size=4), st.booleans())
def test_any_user_fills_message_either_fails_to_decode_or_yields_applicable_or_flagged_fills(fills, snapshot) -> None:
    raw = json.dumps({"user": "0xabc", "isSnapshot": snapshot, "fills": fills}).encode()
    try:
        decoded = USER_FILLS_DECODER.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return
    for fill in decoded.fills:
        if fill_problem(fill, ETH) is None:
            report = fill_report(fill, ETH, ACCOUNT_ID, None, 1)
            assert report.last_qty.as_decimal() >= 0 and report.trade_id.value == str(fill.tid)
