"""The published message: schema 1, strict validation shared by publisher and node."""

from __future__ import annotations

import json
import time

import pytest

from screener_link.payload import PayloadError
from screener_link.payload import check_fresh
from screener_link.payload import decode
from screener_link.payload import encode

ENTRY = {
    "asset": "BTC",
    "base_spread_bps": 4.0,
    "max_inventory_usd": 1000.0,
    "level_spacing_ticks": 2,
    "order_size_usd": 50.0,
    "score": 1.5,
}


def _payload(**overrides: object) -> str:
    body = {"schema": 1, "ts": int(time.time() * 1000), "assets": [ENTRY]}
    body.update(overrides)
    return json.dumps(body)


def _with_entry(**fields: object) -> str:
    return _payload(assets=[{**ENTRY, **fields}])


def test_encoded_snapshot_decodes_to_the_same_snapshot(make_snap) -> None:
    snap = make_snap(("BTC", 4.0), ("kPEPE", 12.5))
    data = encode(snap)
    assert decode(data) == snap
    body = json.loads(data)
    assert body["schema"] == 1 and list(body) == ["schema", "ts", "assets"]
    assert set(body["assets"][0]) == set(ENTRY)


def test_empty_asset_list_is_valid_and_means_quote_nothing() -> None:
    assert decode(_payload(assets=[])).assets == []


@pytest.mark.parametrize(
    "payload",
    [
        _payload(schema=2),
        _payload(schema="1"),
        _payload(ts="1700000000000"),
        _payload(ts=1_000),  # seconds-looking or garbage time
        _payload(extra=True),
        _with_entry(base_spread_bps="4.0"),
        _with_entry(base_spread_bps=0.0),
        _with_entry(base_spread_bps=5000.0),
        _with_entry(level_spacing_ticks=2.5),
        _with_entry(level_spacing_ticks=0),
        _with_entry(order_size_usd=5.0),  # below the exchange minimum
        _with_entry(order_size_usd=2000.0),  # above max inventory
        _with_entry(max_inventory_usd=1e9),
        _with_entry(score=-1.0),
        _with_entry(asset=""),
        _with_entry(asset="BTC USD"),
        _with_entry(unexpected="x"),
        _payload(assets=[ENTRY, ENTRY]),
        _payload(assets=[{k: v for k, v in ENTRY.items() if k != "order_size_usd"}]),
        '{"schema": 1, "ts": 1, "assets": [{"asset": "BTC", "base_spread_bps": NaN}]}',
        "not json",
        "",
    ],
)
def test_malformed_payloads_raise_payload_error(payload: str) -> None:
    with pytest.raises(PayloadError):
        decode(payload)


def test_stale_and_future_snapshots_are_refused(make_snap) -> None:
    now = int(time.time() * 1000)
    snap = make_snap(("BTC", 4.0), ts_ms=now - 10_000)
    assert check_fresh(snap, now, max_age_ms=60_000) is snap
    with pytest.raises(PayloadError, match="stale"):
        check_fresh(snap, now, max_age_ms=5_000)
    future = make_snap(("BTC", 4.0), ts_ms=now + 5 * 60_000)
    with pytest.raises(PayloadError, match="future"):
        check_fresh(future, now, max_age_ms=60_000)


def test_params_for_finds_an_asset_or_none(make_snap) -> None:
    snap = make_snap(("BTC", 4.0), ("ETH", 3.0))
    assert snap.params_for("ETH").base_spread_bps == 3.0
    assert snap.params_for("SOL") is None
