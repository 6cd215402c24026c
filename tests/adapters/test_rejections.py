"""The rejection classifier (reason text → kind) and the monitor that turns repeats into venue events."""

from __future__ import annotations

import logging

import pytest
from nautilus_trader.common.component import MessageBus
from nautilus_trader.common.component import TestClock
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import TraderId

from adapters.hyperliquid.common.repeats import RepeatCounter
from adapters.hyperliquid.execution.rejections import RejectionMonitor
from adapters.hyperliquid.parsing.rejections import RejectionKind
from adapters.hyperliquid.parsing.rejections import classify_rejection
from adapters.hyperliquid.types import TOPIC_ORDER_REJECTIONS
from adapters.hyperliquid.types import TOPIC_TRADING_REFUSED
from adapters.hyperliquid.types import OrderRejections
from adapters.hyperliquid.types import TradingRefused

ETH = InstrumentId.from_str("ETH-USD-PERP.HYPERLIQUID")
BTC = InstrumentId.from_str("BTC-USD-PERP.HYPERLIQUID")
SEC = 1_000_000_000
MARGIN = "Insufficient margin to place order. asset=1"
UNKNOWN_SIGNER = "User or API Wallet 0x1234567890abcdef1234567890abcdef12345678 does not exist."


@pytest.mark.parametrize(
    ("reason", "kind"),
    [
        (UNKNOWN_SIGNER, RejectionKind.UNKNOWN_SIGNER),
        ("WS post error: User or API Wallet 0xab does not exist.", RejectionKind.UNKNOWN_SIGNER),
        ("Too many cumulative requests sent (10001 > 10000) for cumulative volume traded $0.00. Place taker orders "
         "to free up 1 request per USDC traded.", RejectionKind.ADDRESS_BUDGET),
        (MARGIN, RejectionKind.INSUFFICIENT_MARGIN),
        ("perpMarginRejected", RejectionKind.INSUFFICIENT_MARGIN),
        ("Price must be divisible by tick size. asset=4", RejectionKind.PRICE_RULE),
        ("tickRejected", RejectionKind.PRICE_RULE),
        ("Order must have minimum value of $10. asset=1", RejectionKind.MIN_VALUE),
        ("minTradeNtlRejected", RejectionKind.MIN_VALUE),
        ("Post only order would have immediately matched, bbo was 3000.0@3000.1. asset=1", RejectionKind.POST_ONLY_CROSS),
        ("badAloPxRejected", RejectionKind.POST_ONLY_CROSS),
        ("Too many open orders.", RejectionKind.OPEN_ORDER_LIMIT),
        ("Invalid nonce: duplicate nonce 1700000000000", RejectionKind.NONCE),
        ("Cannot modify canceled or filled order", RejectionKind.ORDER_GONE),
        ("order not placed (the exchange did not receive it): HyperliquidRateLimited: HTTP 429",
         RejectionKind.NOT_DELIVERED),
        ("something the exchange never said before", RejectionKind.OTHER),
    ],
)
def test_a_rejection_reason_is_classified_by_the_exchange_phrase_it_contains(reason: str, kind: RejectionKind) -> None:
    assert classify_rejection(reason) is kind


def test_a_repeat_counter_fires_at_the_threshold_within_the_window_then_counts_afresh() -> None:
    counter = RepeatCounter(3, 10 * SEC)
    assert [counter.add(t * SEC) for t in (0, 1, 2)] == [0, 0, 3]
    assert [counter.add(t * SEC) for t in (3, 4, 5)] == [0, 0, 3]


def test_a_repeat_counter_forgets_events_older_than_the_window() -> None:
    counter = RepeatCounter(3, 10 * SEC)
    assert [counter.add(t * SEC) for t in (0, 5, 11, 16)] == [0, 0, 0, 0]  # never 3 within 10 s
    assert counter.add(20 * SEC) == 3  # 11, 16, 20


class _Monitored:
    def __init__(
        self, *, alarm_count: int = 3, stop_count: int = 2, window_secs: float = 10.0, agent: str | None = None,
    ) -> None:
        self.clock = TestClock()
        self.msgbus = MessageBus(TraderId("TESTER-001"), self.clock)
        self.alarms: list[OrderRejections] = []
        self.refusals: list[TradingRefused] = []
        self.msgbus.subscribe(TOPIC_ORDER_REJECTIONS, self.alarms.append)
        self.msgbus.subscribe(TOPIC_TRADING_REFUSED, self.refusals.append)
        self.monitor = RejectionMonitor(
            self.msgbus, self.clock, alarm_count=alarm_count, stop_count=stop_count, window_secs=window_secs,
            log=logging.getLogger("test"), agent_address=agent,
        )

    def at(self, secs: float) -> RejectionMonitor:
        self.clock.set_time(int(secs * SEC))
        return self.monitor


def test_the_same_kind_rejected_n_times_on_one_instrument_publishes_one_event_naming_it() -> None:
    m = _Monitored(alarm_count=3)
    for t in (1, 2, 3):
        m.at(t).on_order_rejected(ETH, MARGIN)
    (alarm,) = m.alarms
    assert (alarm.instrument_id, alarm.kind, alarm.count, alarm.window_secs) == (str(ETH), "insufficient_margin", 3, 10.0)
    assert alarm.last_reason == MARGIN and alarm.ts_ns == 3 * SEC


def test_rejections_are_counted_per_instrument_and_per_kind() -> None:
    m = _Monitored(alarm_count=3)
    m.at(1).on_order_rejected(ETH, MARGIN)
    m.at(2).on_order_rejected(BTC, MARGIN)
    m.at(3).on_order_rejected(ETH, "Order must have minimum value of $10.")
    m.at(4).on_order_rejected(ETH, MARGIN)
    assert m.alarms == []


def test_post_only_crosses_and_orders_already_gone_never_raise_the_alarm() -> None:
    m = _Monitored(alarm_count=2)
    for t in range(10):
        m.at(t).on_order_rejected(ETH, "Post only order would have immediately matched, bbo was 1@2.")
        m.at(t).on_order_rejected(ETH, "Cannot modify canceled or filled order")
    assert m.alarms == []


def test_account_wide_refusals_publish_trading_refused_once_at_the_stop_count() -> None:
    m = _Monitored(stop_count=2)
    m.at(1).on_action_refused(UNKNOWN_SIGNER)
    assert m.refusals == []
    for t in (2, 3, 4):
        m.at(t).on_action_refused(UNKNOWN_SIGNER)
    (refused,) = m.refusals
    assert (refused.kind, refused.count, refused.reason) == ("unknown_signer", 2, UNKNOWN_SIGNER)


def test_an_unknown_signer_that_is_our_agent_is_reported_as_the_exchange_said() -> None:
    m = _Monitored(stop_count=1, agent="0x1234567890ABCDEF1234567890abcdef12345678")
    m.at(1).on_action_refused(UNKNOWN_SIGNER)
    assert m.refusals[0].reason == UNKNOWN_SIGNER  # the key is not approved: nothing to add


def test_an_unknown_signer_that_is_not_our_agent_says_the_signature_was_made_for_another_network() -> None:
    # Review 3: hlsim signing mainnet, the node testnet: "User or API Wallet 0xbc21... does not exist".
    agent = "0x" + "ab" * 20
    m = _Monitored(stop_count=1, agent=agent)
    m.at(1).on_action_refused(UNKNOWN_SIGNER)
    (refused,) = m.refusals
    assert refused.reason.startswith(UNKNOWN_SIGNER)
    assert (f"recovered the signature to 0x1234567890abcdef1234567890abcdef12345678, not this node's agent {agent}: "
            "the action was signed for another network") in refused.reason


def test_a_refusal_that_is_not_account_wide_never_stops_trading() -> None:
    m = _Monitored(stop_count=1)
    m.at(1).on_action_refused("Invalid nonce: duplicate nonce 5")
    m.at(2).on_action_refused(MARGIN)
    assert m.refusals == []
