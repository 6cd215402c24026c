"""run_live.py's start-up checks: what cannot work stops the start with one clear line and a non-zero
exit, before anything is sent to the exchange (hlsim over real sockets; no node is built)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import run_live
from adapters.hyperliquid.signing import L1Signer
from catalog import shipped_data
from hlsim.testing import HlSimConfig
from hlsim.testing import HlSimThread
from hlsim.testing import run_hlsim_in_thread
from tests.node_kit import in_test_folder

ROOT = shipped_data.PROJECT_ROOT
ETH = "ETH-USD-PERP.HYPERLIQUID"


@pytest.fixture
def sim() -> Iterator[HlSimThread]:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None)) as running:
        running.set_book("ETH", bids=[("3000.0", "5")], asks=[("3000.5", "5")])
        yield running


def _config(tmp_path: Path, edit=None) -> Path:  # type: ignore[no-untyped-def]
    """configs/live.json narrowed to ETH (the governor without Redis), after `edit(raw)`."""
    raw: dict[str, Any] = json.loads((ROOT / "configs" / "live.json").read_text())
    raw["strategies"] = [s for s in raw["strategies"] if s["config"]["instrument_id"] == ETH]
    for actor in raw["actors"]:
        actor["config"]["instrument_ids"] = [ETH]
        actor["config"].pop("redis_url", None)
        if actor["actor_path"].endswith("RiskGuard"):
            actor["config"]["max_concurrent_assets"] = 1
    for section in ("data_clients", "exec_clients"):
        for spec in raw[section].values():
            spec["config"]["coins"] = ["ETH"]
    if edit is not None:
        edit(raw)
    path = tmp_path / "node.json"
    path.write_text(json.dumps(in_test_folder(raw, tmp_path)))
    return path


def _start(config: Path, sim: HlSimThread, account: str, key: str, monkeypatch, *extra: str) -> int:
    monkeypatch.setenv("HYPERLIQUID_AGENT_KEY", key)
    return run_live.main(["--config", str(config), "--network", sim.rest_url, "--account", account,
                          "--no-status", "--run-secs", "1", *extra])


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def _requests_used(sim: HlSimThread, address: str) -> int:
    return sim.call(lambda: sim.engine.accounts[address.lower()].n_requests_used)


def test_a_key_that_is_not_an_agent_of_the_account_stops_the_start_before_anything_is_sent(
    sim: HlSimThread, tmp_path: Path, monkeypatch, capsys
) -> None:
    account = L1Signer("0x" + secrets.token_hex(32)).address
    sim.fund(account, 10_000)
    stranger = "0x" + secrets.token_hex(32)
    assert _start(_config(tmp_path), sim, account, stranger, monkeypatch) == 1
    line = _one_error_line(capsys)
    assert "may not act for account" in line and stranger[2:] not in line
    assert _requests_used(sim, account) == 0 and sim.open_orders(account) == []


def test_an_approved_agent_passes_the_check(sim: HlSimThread, tmp_path: Path, monkeypatch, capsys) -> None:
    account = L1Signer("0x" + secrets.token_hex(32)).address
    sim.fund(account, 10_000)
    agent_key = "0x" + secrets.token_hex(32)
    sim.register_agent(account, L1Signer(agent_key).address)
    assert _start(_config(tmp_path), sim, account, agent_key, monkeypatch) == 0
    assert "may not act" not in capsys.readouterr().err


def test_a_coin_the_exchange_does_not_list_stops_the_start(sim: HlSimThread, tmp_path: Path, monkeypatch, capsys) -> None:
    key = "0x" + secrets.token_hex(32)
    account = L1Signer(key).address
    sim.fund(account, 10_000)

    def add_doge(raw: dict[str, Any]) -> None:
        doge = json.loads(json.dumps(raw["strategies"][0]))
        doge["config"]["instrument_id"] = "DOGE-USD-PERP.HYPERLIQUID"
        doge["config"]["order_id_tag"] = "DOGE"
        raw["strategies"].append(doge)
        for actor in raw["actors"]:
            actor["config"]["instrument_ids"].append("DOGE-USD-PERP.HYPERLIQUID")
        for section in ("data_clients", "exec_clients"):
            for spec in raw[section].values():
                spec["config"]["coins"].append("DOGE")

    assert _start(_config(tmp_path, add_doge), sim, account, key, monkeypatch) == 1
    assert "not listed on the exchange: DOGE" in _one_error_line(capsys)
    assert _requests_used(sim, account) == 0


def test_a_malformed_agent_key_is_a_config_error_that_never_shows_the_key(
    sim: HlSimThread, tmp_path: Path, monkeypatch, capsys
) -> None:
    account = L1Signer("0x" + secrets.token_hex(32)).address
    short_key = "0x" + secrets.token_hex(32)[:63]
    assert _start(_config(tmp_path), sim, account, short_key, monkeypatch) == 2
    line = _one_error_line(capsys)
    assert "64 hex digits" in line and short_key[2:] not in line


def test_an_unreachable_redis_cache_fails_fast_with_exit_1(sim: HlSimThread, tmp_path: Path, monkeypatch, capsys) -> None:
    key = "0x" + secrets.token_hex(32)
    started = time.monotonic()
    code = _start(_config(tmp_path), sim, L1Signer(key).address, key, monkeypatch, "--redis-cache", "redis://127.0.0.1:1")
    assert code == 1 and time.monotonic() - started < 15
    assert "the Redis cache redis://127.0.0.1:1 is not reachable" in _one_error_line(capsys)


def test_a_redis_cache_holding_another_accounts_state_is_refused_before_anything_is_sent(
    sim: HlSimThread, tmp_path: Path, monkeypatch, capsys,
) -> None:
    # Review 4: a practice run's positions, cached under the shipped trader id, were restored into
    # another account's node, which quoted on them for minutes.
    import redis

    key = "0x" + secrets.token_hex(32)
    account = L1Signer(key).address
    sim.fund(account, 10_000)
    sim.register_agent(account, L1Signer(key).address)
    r = redis.Redis()
    other = "trader-PRE-031:accounts:HYPERLIQUID-0x" + "34" * 20
    r.set(other, b"{}")
    try:
        config = _config(tmp_path, lambda raw: raw.update(trader_id="PRE-031"))
        code = _start(config, sim, account, key, monkeypatch, "--redis-cache")
        line = _one_error_line(capsys)
        assert code == 2, line
        assert f"the Redis cache of trader PRE-031 holds the state of HYPERLIQUID-0x{'34' * 20}, not this run's account" in line
        assert "give each account its own trader_id" in line
        # The clean-up it suggests reaches that cache, not whichever Redis redis-cli would default to.
        assert "redis-cli -h 127.0.0.1 -p 6379 --scan --pattern 'trader-PRE-031:*'" in line
        assert _requests_used(sim, account) == 0
    finally:
        for k in r.scan_iter("trader-PRE-031:*"):
            r.delete(k)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda raw: raw["strategies"][0]["config"].update(order_size_usd=float("nan")),
         "strategies[0].config.order_size_usd: nan is not a finite number"),
        (lambda raw: raw["actors"][1]["config"].update(max_total_inventory_usd=float("inf")),
         "actors[1].config.max_total_inventory_usd: inf is not a finite number"),
        (lambda raw: raw["strategies"].append(dict(raw["strategies"][0], config={
            **raw["strategies"][0]["config"], "order_id_tag": "SECOND"})),
         "is already quoted by strategies[0]"),
        (lambda raw: raw["strategies"].append(json.loads(json.dumps(raw["strategies"][0]))),
         "give each strategy its own order_id_tag"),
    ],
    ids=["nan", "infinity", "two_makers_one_instrument", "duplicate_strategy_id"],
)
def test_config_values_that_cannot_work_are_refused_naming_the_field(
    edit, message: str, sim: HlSimThread, tmp_path: Path, monkeypatch, capsys
) -> None:
    key = "0x" + secrets.token_hex(32)
    assert _start(_config(tmp_path, edit), sim, L1Signer(key).address, key, monkeypatch) == 2
    assert message in _one_error_line(capsys)
