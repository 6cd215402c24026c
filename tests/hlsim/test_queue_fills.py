"""Queue position of user orders on scripted books, over real sockets (SDK-free signer)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from adapters.hyperliquid.signing import L1Signer
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread

from .conftest import MAKER_KEY
from .helpers import alo
from .helpers import order_action
from .helpers import post_action
from .helpers import statuses

BOOK_BIDS = [("3000", "5"), ("2999.5", "10")]
BOOK_ASKS = [("3001", "5"), ("3001.5", "10")]


def _start(rule: str) -> HlSimThread:
    sim = run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, queue_rule=rule, ip_weight_per_min=None))
    sim.set_book("ETH", bids=BOOK_BIDS, asks=BOOK_ASKS)
    return sim


@pytest.fixture
def conservative() -> Iterator[HlSimThread]:
    with _start("conservative") as sim:
        yield sim


@pytest.fixture
def probabilistic() -> Iterator[HlSimThread]:
    with _start("power") as sim:
        yield sim


def _bid_behind_five_lots(sim: HlSimThread) -> tuple[L1Signer, int]:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 100_000)
    reply = post_action(sim.rest_url, signer, order_action(alo(0, True, "3000", "1")))
    return signer, statuses(reply)[0]["resting"]["oid"]


def test_order_behind_five_lots_fills_only_after_five_lots_trade(conservative: HlSimThread) -> None:
    signer, oid = _bid_behind_five_lots(conservative)
    assert conservative.queue_ahead(signer.address, oid) == 5.0
    for _ in range(5):
        conservative.trade("ETH", "A", "3000", "1")
        assert conservative.fills(signer.address) == []
    conservative.trade("ETH", "A", "3000", "0.4")
    [fill] = conservative.fills(signer.address)
    assert (fill["oid"], fill["px"], fill["sz"], fill["crossed"]) == (oid, "3000.0", "0.4", False)
    conservative.trade("ETH", "A", "3000", "1")
    assert [f["sz"] for f in conservative.fills(signer.address)] == ["0.4", "0.6"]
    assert conservative.open_orders(signer.address) == []
    assert conservative.position(signer.address, "ETH")["szi"] == Decimal("1")


def test_trade_at_another_price_does_not_move_the_queue(conservative: HlSimThread) -> None:
    signer, oid = _bid_behind_five_lots(conservative)
    conservative.trade("ETH", "B", "3001", "3")  # buyers lifting asks
    assert conservative.queue_ahead(signer.address, oid) == 5.0


def test_trade_through_the_price_fills_the_whole_order(conservative: HlSimThread) -> None:
    signer, oid = _bid_behind_five_lots(conservative)
    conservative.trade("ETH", "A", "2999.5", "0.1")
    [fill] = conservative.fills(signer.address)
    assert (fill["oid"], fill["px"], fill["sz"]) == (oid, "3000.0", "1.0")


def test_conservative_cancel_ahead_advances_only_down_to_the_level_size(conservative: HlSimThread) -> None:
    signer, oid = _bid_behind_five_lots(conservative)
    conservative.set_book("ETH", bids=[("3000", "4"), ("2999.5", "10")], asks=BOOK_ASKS)
    assert conservative.queue_ahead(signer.address, oid) == 4.0
    conservative.set_book("ETH", bids=[("3000", "7"), ("2999.5", "10")], asks=BOOK_ASKS)
    assert conservative.queue_ahead(signer.address, oid) == 4.0  # newcomers join behind
    conservative.set_book("ETH", bids=[("3000", "2"), ("2999.5", "10")], asks=BOOK_ASKS)
    assert conservative.queue_ahead(signer.address, oid) == 2.0
    conservative.trade("ETH", "A", "3000", "2.5")
    assert [f["sz"] for f in conservative.fills(signer.address)] == ["0.5"]


def test_probabilistic_cancel_ahead_advances_by_the_expected_share(probabilistic: HlSimThread) -> None:
    signer, oid = _bid_behind_five_lots(probabilistic)
    probabilistic.set_book("ETH", bids=[("3000", "10"), ("2999.5", "10")], asks=BOOK_ASKS)  # 5 join behind
    assert probabilistic.queue_ahead(signer.address, oid) == 5.0
    probabilistic.set_book("ETH", bids=[("3000", "8"), ("2999.5", "10")], asks=BOOK_ASKS)
    # power rule n=2: p(behind) = 5²/(5²+5²) = 0.5 → one of the two canceled lots was ahead.
    assert probabilistic.queue_ahead(signer.address, oid) == pytest.approx(4.0)


def test_modify_loses_the_queue_place(conservative: HlSimThread) -> None:
    signer, oid = _bid_behind_five_lots(conservative)
    conservative.trade("ETH", "A", "3000", "3")
    assert conservative.queue_ahead(signer.address, oid) == 2.0
    reply = post_action(
        conservative.rest_url, signer, {"type": "modify", "oid": oid, "order": alo(0, True, "3000", "2")}
    )
    assert reply == {"status": "ok", "response": {"type": "default"}}
    [order] = conservative.open_orders(signer.address)
    assert order["oid"] != oid
    # Back of the queue: behind the whole displayed level again.
    assert conservative.queue_ahead(signer.address, order["oid"]) == 5.0


def test_market_moving_onto_a_resting_order_fills_it(conservative: HlSimThread) -> None:
    signer, oid = _bid_behind_five_lots(conservative)
    conservative.set_book("ETH", bids=[("2999.5", "10")], asks=[("3000", "3"), ("3001", "5")])
    [fill] = conservative.fills(signer.address)
    assert (fill["oid"], fill["sz"], fill["crossed"]) == (oid, "1.0", False)
