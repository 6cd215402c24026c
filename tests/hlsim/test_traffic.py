"""hlsim's Traffic: signed /exchange requests per action kind and the entries they carried."""

from __future__ import annotations

from hlsim.engine.traffic import Traffic


def test_a_batch_is_one_request_of_several_entries_and_the_listener_sees_its_assets() -> None:
    traffic = Traffic()
    seen: list[tuple[str, tuple[int, ...]]] = []
    traffic.listener = lambda kind, assets: seen.append((kind, assets))
    wire = {"a": 1, "b": True, "p": "3000", "s": "0.01", "r": False, "t": {"limit": {"tif": "Alo"}}}
    traffic.record({"type": "order", "orders": [wire, {**wire, "p": "2999"}], "grouping": "na"})
    traffic.record({"type": "cancel", "cancels": [{"a": 1, "o": 7}, {"a": 1, "o": 8}, {"a": 1, "o": 9}]})
    traffic.record({"type": "batchModify", "modifies": [{"oid": 7, "order": wire}]})
    traffic.record({"type": "cancelByCloid", "cancels": [{"asset": 0, "cloid": "0x" + "0" * 32}]})
    traffic.record({"type": "noop"})
    assert traffic.requests == {"order": 1, "cancel": 1, "batchModify": 1, "cancelByCloid": 1, "noop": 1}
    assert traffic.entries == {"order": 2, "cancel": 3, "batchModify": 1, "cancelByCloid": 1, "noop": 1}
    assert seen == [("order", (1,)), ("cancel", (1,)), ("batchModify", (1,)), ("cancelByCloid", (0,)), ("noop", ())]
    traffic.reset()
    assert traffic.snapshot() == {"requests": {}, "entries": {}}
