"""`python -m hlsim` as a subprocess: starts, serves /info, replays, stops on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import lz4.frame
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


def test_a_coins_max_leverage_follows_its_decimals_after_a_colon() -> None:
    config = config_from_args(build_parser().parse_args(["--coin", "WLFI=0:5", "--coin", "ETH=4"]))
    assert config.coins == {"WLFI": 0, "ETH": 4} and config.max_leverage == {"WLFI": 5}
    assert (config.leverage_cap("WLFI"), config.leverage_cap("ETH")) == (5, 25)
    assert (config.default_leverage_for("WLFI"), config.default_leverage_for("ETH")) == (5, 20)


def test_cli_help_documents_fee_tiers_speed_and_faults() -> None:
    text = build_parser().format_help()
    assert "fee tier" in text and "--speed" in text and "faults" in text and "stall_all" in text


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("network", "devnet", "network"),
        ("coins", {}, "coins"),
        ("coins", {"ETH": 7}, "szDecimals"),
        ("coins", {"E T H": 4}, "letters/digits"),
        ("fee_tier", 7, "fee_tier"),
        ("queue_rule", "fifo", "queue_rule"),
        ("replay_speed", float("nan"), "replay_speed"),
        ("ws_idle_timeout_s", 0.0, "ws_idle_timeout_s"),
        ("wallets", {"0x12": 5.0}, "not a 0x address"),
        ("wallets", {ADDRESS: float("inf")}, "finite"),
        ("port", 70_000, "port"),
        ("max_leverage", {"SOL": 5}, "max_leverage of 'SOL'"),
        ("max_leverage", {"ETH": 0}, "max_leverage of 'ETH'"),
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


@pytest.mark.parametrize("coin", ["E T H=4", "ETH-USD=4", "=4", "ETH=", "ETH=-1", "ETH=\u0664", "ÉTH=4",
                                  "ETH=4:", "ETH=4:0", "ETH=4:101", "ETH=4:x"])
def test_bad_coin_argument_exits_2(coin: str) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--coin", coin])
    assert info.value.code == 2


def test_a_coin_listed_twice_exits_2_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--coin", "ETH=4", "--coin", "kPEPE=0", "--coin", "ETH=3"])
    assert info.value.code == 2
    assert "ETH is listed more than once" in capsys.readouterr().err


def _bad_replay_source(kind: str, tmp_path: Path, hl_data: Path) -> tuple[Path, list[str], str]:
    """(source, --coin args, expected error) for each kind of unreplayable source."""
    if kind == "garbage":
        path = tmp_path / "garbage.bin"
        path.write_bytes(bytes((i * 7919) % 256 for i in range(5000)))
        return path, [], "not a Hyperliquid"
    if kind == "device":
        return Path("/dev/null"), [], "not a regular file"
    if kind == "empty":
        path = tmp_path / "empty.ws.gz"
        path.write_bytes(b"")
        return path, [], "empty file"
    if kind == "truncated lz4":
        path = tmp_path / "cut.lz4"
        path.write_bytes((hl_data / "archive/market_data/20240101/12/l2Book/BTC.lz4").read_bytes()[:3000])
        return path, [], "truncated"
    if kind == "folder":
        (tmp_path / "folder").mkdir()
        return tmp_path / "folder", [], "not a ParquetDataCatalog"
    if kind == "other coins":
        return hl_data / "BTC_20250126_1914.ws.gz", ["--coin", "SOL=2"], "no market data for SOL in it (it has BTC)"
    if kind == "bad receive times only":
        path = tmp_path / "x1000.ws.lz4"
        line = b'1765401035304391680000 {"channel":"bbo","data":{"coin":"BTC","time":1,"bbo":[null,null]}}\n'
        path.write_bytes(lz4.frame.compress(line))
        return path, [], "no market data for BTC, ETH"
    raise AssertionError(kind)


@pytest.mark.parametrize(
    "kind", ["garbage", "device", "empty", "truncated lz4", "folder", "other coins", "bad receive times only"]
)
def test_an_unreplayable_source_is_refused_before_serving(kind: str, tmp_path: Path, hl_data: Path) -> None:
    path, coins, match = _bad_replay_source(kind, tmp_path, hl_data)
    args = build_parser().parse_args(["--replay", str(path), *coins])
    with pytest.raises(SystemExit, match=re.escape(match)) as info:
        config_from_args(args)
    assert str(info.value).startswith(f"hlsim: cannot replay: {path}") and "\n" not in str(info.value)


def test_cli_with_an_unreplayable_source_exits_1_with_one_line_and_never_listens(tmp_path: Path) -> None:
    empty = tmp_path / "empty.ws"
    empty.write_bytes(b"")
    proc = subprocess.run(
        [sys.executable, "-m", "hlsim", "--replay", str(empty), "--port", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == f"hlsim: cannot replay: {empty}: empty file, no market data\n"


def test_an_unknown_log_level_is_a_usage_error_naming_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--log-level", "CHATTY"])
    assert info.value.code == 2
    assert "--log-level" in capsys.readouterr().err
    assert build_parser().parse_args(["--log-level", "debug"]).log_level == "DEBUG"
