"""/info queries beyond what the SDK conformance tests cover."""

from __future__ import annotations

import time
from decimal import Decimal

import requests

from adapters.hyperliquid.signing import L1Signer
from hlsim.testing import HlSimThread

from .conftest import MAKER_KEY
from .helpers import alo
from .helpers import order_action
from .helpers import post_action
from .helpers import statuses

CLOID = "0x" + "0" * 31 + "9"


def _info(sim: HlSimThread, body: dict) -> object:
    reply = requests.post(sim.rest_url + "/info", json=body, timeout=5)
    assert reply.status_code == 200, reply.text
    return reply.json()


def _rest_one(sim: HlSimThread) -> tuple[L1Signer, int]:
    signer = L1Signer(MAKER_KEY)
    sim.fund(signer.address, 10_000)
    reply = post_action(sim.rest_url, signer, order_action(alo(0, True, "2999.5", "0.1", cloid=CLOID)))
    return signer, statuses(reply)[0]["resting"]["oid"]


def test_spot_meta_answers_with_usdc_only(sim: HlSimThread) -> None:
    spot = _info(sim, {"type": "spotMeta"})
    assert spot["universe"] == [] and spot["tokens"][0]["name"] == "USDC"


def test_meta_and_asset_ctxs_has_one_ctx_per_coin_with_mid(eth_book: HlSimThread) -> None:
    meta, ctxs = _info(eth_book, {"type": "metaAndAssetCtxs"})
    assert len(ctxs) == len(meta["universe"]) == 2
    assert ctxs[0]["midPx"] == "3000.25" and ctxs[1]["midPx"] is None


def test_frontend_open_orders_adds_order_details(eth_book: HlSimThread) -> None:
    signer, oid = _rest_one(eth_book)
    [order] = _info(eth_book, {"type": "frontendOpenOrders", "user": signer.address})
    assert order["oid"] == oid and order["tif"] == "Alo" and order["reduceOnly"] is False
    assert order["orderType"] == "Limit" and order["cloid"] == CLOID


def test_order_status_by_oid_and_cloid_and_unknown(eth_book: HlSimThread) -> None:
    signer, oid = _rest_one(eth_book)
    by_oid = _info(eth_book, {"type": "orderStatus", "user": signer.address, "oid": oid})
    by_cloid = _info(eth_book, {"type": "orderStatus", "user": signer.address, "oid": CLOID})
    assert by_oid["status"] == "order" and by_oid["order"]["status"] == "open"
    assert by_cloid["order"]["order"]["oid"] == oid
    assert _info(eth_book, {"type": "orderStatus", "user": signer.address, "oid": 1}) == {"status": "unknownOid"}
    other = "0x" + "99" * 20
    assert _info(eth_book, {"type": "orderStatus", "user": other, "oid": oid}) == {"status": "unknownOid"}


def test_user_fills_by_time_filters_on_the_window(eth_book: HlSimThread) -> None:
    signer, oid = _rest_one(eth_book)
    before = int(time.time() * 1000) - 1
    eth_book.fill_order(signer.address, oid)
    fills = _info(eth_book, {"type": "userFillsByTime", "user": signer.address, "startTime": before})
    assert [f["oid"] for f in fills] == [oid]
    assert _info(eth_book, {"type": "userFillsByTime", "user": signer.address, "startTime": before,
                            "endTime": before}) == []


def test_user_fills_by_time_answers_the_oldest_2000_of_the_window_oldest_first(eth_book: HlSimThread) -> None:
    signer = L1Signer(MAKER_KEY)
    eth_book.fund(signer.address, 100_000)
    reply = post_action(eth_book.rest_url, signer, order_action(alo(0, True, "2990", "30")))
    assert "resting" in statuses(reply)[0]
    before = int(time.time() * 1000) - 1
    engine = eth_book.engine
    eth_book.call(lambda: [engine.market_trade("ETH", "A", Decimal("2990"), Decimal("0.01")) for _ in range(2100)])
    ledger = eth_book.fills(signer.address)
    page = _info(eth_book, {"type": "userFillsByTime", "user": signer.address, "startTime": before})
    assert [f["tid"] for f in page] == [f["tid"] for f in ledger[:2000]]  # the next page starts at page[-1]["time"]
    rest = _info(eth_book, {"type": "userFillsByTime", "user": signer.address, "startTime": page[-1]["time"]})
    assert {f["tid"] for f in rest} >= {f["tid"] for f in ledger[2000:]}


def test_candle_snapshot_builds_candles_from_trades(eth_book: HlSimThread) -> None:
    eth_book.trade("ETH", "B", "3000.5", "1")
    eth_book.trade("ETH", "A", "3000.0", "2")
    now = int(time.time() * 1000)
    [candle] = _info(eth_book, {"type": "candleSnapshot",
                                "req": {"coin": "ETH", "interval": "1h", "startTime": now - 3_600_000, "endTime": now}})
    assert (candle["o"], candle["c"], candle["h"], candle["l"], candle["v"], candle["n"]) == (
        "3000.5", "3000.0", "3000.5", "3000.0", "3.0", 2
    )


def test_l2book_aggregation_by_significant_figures(eth_book: HlSimThread) -> None:
    book = _info(eth_book, {"type": "l2Book", "coin": "ETH", "nSigFigs": 3})
    bids, asks = book["levels"]
    assert bids == [{"px": "3000.0", "sz": "5.0", "n": 1}, {"px": "2990.0", "sz": "30.0", "n": 2}]
    assert asks[0] == {"px": "3010.0", "sz": "35.0", "n": 3}


def test_unknown_coin_l2book_is_null(sim: HlSimThread) -> None:
    assert _info(sim, {"type": "l2Book", "coin": "DOGE"}) is None


def test_clearinghouse_state_of_a_new_user_is_empty(sim: HlSimThread) -> None:
    state = _info(sim, {"type": "clearinghouseState", "user": "0x" + "12" * 20})
    assert state["assetPositions"] == [] and state["marginSummary"]["accountValue"] == "0.0"
    assert set(state) >= {"crossMarginSummary", "crossMaintenanceMarginUsed", "withdrawable", "time"}
