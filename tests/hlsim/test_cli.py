"""`python -m hlsim` as a subprocess: starts, serves /info, replays, stops on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hlsim.__main__ import build_parser
from hlsim.__main__ import config_from_args
from hlsim.config import HlSimConfig

ADDRESS = "0x" + "ab" * 20


def test_cli_serves_meta_and_a_funded_wallet_while_replaying(hl_data: Path) -> None:
    cmd = [
        sys.executable, "-m", "hlsim", "--replay", str(hl_data / "ETH_20251210_2110.ws.gz"), "--speed", "10",
        "--port", "0", "--wallet", f"{ADDRESS}=2500", "--network", "testnet",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert match, line + proc.stderr.read()
        url = match.group(1)
        meta = requests.post(url + "/info", json={"type": "meta"}, timeout=5).json()
        assert [u["name"] for u in meta["universe"]] == ["BTC", "ETH"]
        state = requests.post(url + "/info", json={"type": "clearinghouseState", "user": ADDRESS}, timeout=5).json()
        assert state["marginSummary"]["accountValue"] == "2500.0"
        deadline = time.time() + 10
        book = {"levels": [[], []]}
        while time.time() < deadline and not book["levels"][0]:
            book = requests.post(url + "/info", json={"type": "l2Book", "coin": "ETH"}, timeout=5).json()
            time.sleep(0.1)
        assert book["levels"][0], "replay did not reach the first ETH book"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == 0


def test_cli_options_map_onto_the_config() -> None:
    args = build_parser().parse_args(
        ["--wallet", f"{ADDRESS}=10", "--wallet", "0x" + "cd" * 20 + "=5", "--network", "mainnet", "--fee-tier", "3",
         "--speed", "0", "--ip-weight", "0", "--coin", "SOL=2", "--no-schedule-cancel-gate"]
    )
    config = config_from_args(args)
    assert config.wallets == {ADDRESS: 10.0, "0x" + "cd" * 20: 5.0}
    assert config.network == "mainnet" and config.fee_tier == 3 and config.replay_speed == 0
    assert config.ip_weight_per_min is None and config.coins == {"SOL": 2}
    assert config.schedule_cancel_volume_gate is False


def test_cli_help_documents_fee_tiers_speed_and_faults() -> None:
    text = build_parser().format_help()
    assert "fee tier" in text and "--speed" in text and "faults" in text and "stall_all" in text


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("network", "devnet", "network"),
        ("coins", {}, "coins"),
        ("coins", {"ETH": 7}, "szDecimals"),
        ("fee_tier", 7, "fee_tier"),
        ("queue_rule", "fifo", "queue_rule"),
        ("replay_speed", float("nan"), "replay_speed"),
        ("ws_idle_timeout_s", 0.0, "ws_idle_timeout_s"),
        ("wallets", {"0x12": 5.0}, "not a 0x address"),
        ("wallets", {ADDRESS: float("inf")}, "finite"),
        ("port", 70_000, "port"),
    ],
)
def test_bad_config_values_are_refused_naming_the_field(field: str, value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        HlSimConfig(**{field: value})  # type: ignore[arg-type]


@pytest.mark.parametrize("wallet", [f"{ADDRESS}=nan", f"{ADDRESS}=inf", f"{ADDRESS}=-1", "0xnothex=5", ADDRESS])
def test_bad_wallet_argument_exits_2(wallet: str) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--wallet", wallet])
    assert info.value.code == 2
