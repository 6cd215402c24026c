"""`python -m screener run`, as a user runs it (subprocesses; never contacts Hyperliquid)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from nautilus_trader.config import TradingNodeConfig

from screener.__main__ import main
from screener.__main__ import parse_interval
from screener_link.payload import decode
from screener_link.payload import encode

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "screener", "run", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_interval_parsing() -> None:
    assert parse_interval("1h") == 3600
    assert parse_interval("90s") == 90
    assert parse_interval("1h30m") == 5400
    assert parse_interval("1D") == 86400
    for bad in ("", "1", "h", "1x", "0s", "-1h", "1h 30m"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_interval(bad)


def test_interval_is_capped_at_seven_days() -> None:
    assert parse_interval("7d") == 7 * 86400
    for too_long in ("8d", "169h", "99999999999999999999999d"):  # the last one overflowed Event.wait
        with pytest.raises(argparse.ArgumentTypeError, match="at most 7 days"):
            parse_interval(too_long)


def test_offline_run_prints_the_table_and_writes_a_loadable_config(info_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "live.json"
    proc = _run("--offline", str(info_dir), "--no-publish", "--write-config", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "Maker-edge screen: 5 selected of 227 perps" in proc.stdout
    assert "Dropped by: low volume × 170, delisted × 38" in proc.stdout
    assert "no l2Book available for 18 coin(s)" in proc.stdout
    config = TradingNodeConfig.parse(out.read_text())
    assert len(config.strategies) == 5


@pytest.mark.redis
def test_offline_run_publishes_a_valid_snapshot_to_redis(info_dir: Path, redis_url: str, redis_names) -> None:
    channel, key = redis_names
    proc = _run(
        "--offline",
        str(info_dir),
        "--redis-url",
        redis_url,
        "--channel",
        channel,
        "--key",
        key,
        "--max-assets",
        "3",
    )
    assert proc.returncode == 0, proc.stderr
    assert f"published on {channel}" in proc.stdout
    snapshot = decode(redis.Redis.from_url(redis_url).get(key))
    assert len(snapshot.assets) == 3
    assert abs(snapshot.ts - time.time() * 1000) < 60_000


@pytest.mark.redis
def test_an_env_redis_url_publishes_through_the_variable_and_the_written_config_names_it(
    info_dir: Path, redis_url: str, redis_names, tmp_path: Path,
) -> None:
    channel, key = redis_names
    out = tmp_path / "live.json"
    proc = subprocess.run(
        [sys.executable, "-m", "screener", "run", "--offline", str(info_dir), "--redis-url", "env:MM_SCREENER_REDIS",
         "--channel", channel, "--key", key, "--max-assets", "2", "--write-config", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=os.environ | {"MM_SCREENER_REDIS": redis_url},
    )
    assert proc.returncode == 0, proc.stderr
    assert len(decode(redis.Redis.from_url(redis_url).get(key)).assets) == 2
    written = {a["config"].get("redis_url") for a in json.loads(out.read_text())["actors"]} - {None}
    assert written == {"env:MM_SCREENER_REDIS"}  # the node reads the url where it runs; no password in the file
    assert "holds the Redis password" not in proc.stdout


def test_a_config_for_a_node_elsewhere_names_its_variable_without_needing_it_here(
    info_dir: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Review 9: the screener read the node's variable while parsing its arguments.
    monkeypatch.delenv("NODE_REDIS", raising=False)
    out = tmp_path / "live.json"
    assert _main("--offline", str(info_dir), "--no-publish", "--redis-url", "env:NODE_REDIS", "--write-config", str(out)) == 0
    assert "env:NODE_REDIS" in out.read_text()
    # Publishing needs the url itself: an unset variable is said before the run.
    assert _main("--offline", str(info_dir), "--redis-url", "env:NODE_REDIS") == 2
    assert "the environment variable NODE_REDIS is not set" in capsys.readouterr().out


def test_a_config_written_with_a_redis_password_says_so(info_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "live.json"
    assert _main("--offline", str(info_dir), "--no-publish", "--redis-url", "redis://:s3cret@127.0.0.1:6379/0",
                 "--write-config", str(out)) == 0
    assert "holds the Redis password of --redis-url" in capsys.readouterr().out
    assert "s3cret" in out.read_text()  # as asked: the warning says how not to


def _main(*args: str) -> int:
    """In process (no interpreter start-up): argparse errors exit through SystemExit."""
    try:
        return main(["run", *args])
    except SystemExit as exc:
        return int(exc.code or 0)


def test_unreachable_redis_fails_the_run_with_exit_1(info_dir: Path, capsys) -> None:
    assert _main("--offline", str(info_dir), "--redis-url", "redis://127.0.0.1:1/0") == 1
    assert "publish failed" in capsys.readouterr().out


@pytest.mark.redis
@pytest.mark.parametrize("why", [("--min-volume", "1e300"), ("--capital", "0.0001")])
def test_an_empty_selection_is_neither_published_nor_written_and_fails_the_run(
    why: tuple[str, ...], info_dir: Path, tmp_path: Path, redis_url: str, redis_names, make_snap, capsys
) -> None:
    channel, key = redis_names
    held = encode(make_snap(("BTC", 4.0)))
    redis.Redis.from_url(redis_url).set(key, held)
    config = tmp_path / "live.json"
    config.write_text("{}")
    status = _main(
        "--offline", str(info_dir), *why, "--redis-url", redis_url, "--channel", channel, "--key", key,
        "--write-config", str(config),
    )  # fmt: skip
    assert status == 1
    assert "no asset selected: all 227 perps were filtered out" in capsys.readouterr().out
    assert redis.Redis.from_url(redis_url).get(key) == held
    assert config.read_text() == "{}"


def test_an_offline_reply_with_an_empty_universe_fails_the_run_with_exit_1(tmp_path: Path, capsys) -> None:
    reply = {"request": {"type": "metaAndAssetCtxs"}, "response": [{"universe": []}, []]}
    (tmp_path / "meta.json").write_text(json.dumps(reply))
    assert _main("--offline", str(tmp_path), "--no-publish") == 1
    assert "screen failed: metaAndAssetCtxs: the universe is empty" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--redis-url", "garbage"), "bad Redis url 'garbage'"),
        (("--redis-url", "redis://:s3cret@host:99999"), "'redis://:***@host:99999': Port out of range"),
        (("--redis-url", "redis://127.0.0.1:6379/x"), "must be a database number"),
        (("--channel", ""), "argument --channel: expected a non-empty Redis channel or key name"),
        (("--key", " "), "argument --key: expected a non-empty Redis channel or key name"),
    ],
)
def test_bad_redis_settings_are_refused_before_screening(
    args: tuple[str, ...], message: str, info_dir: Path, capsys
) -> None:
    assert _main("--offline", str(info_dir), *args) == 2
    out, err = capsys.readouterr()
    assert message in err
    assert "s3cret" not in err
    assert "Maker-edge screen" not in out  # refused before the (slow) run


@pytest.mark.parametrize(
    "args",
    [
        ("--fee-tier", "9"),
        ("--every", "0s"),
        ("--max-assets", "0"),
        ("--min-volume", "-5"),
        ("--offline", "/nonexistent/folder"),
        ("--base-url", "ftp://x"),
        ("--account-address", "0xabc"),
        ("--capital", "0"),
        ("--capital", "1e12"),  # per-asset budget above the payload's bounds
        ("--book-samples", "61"),
        ("--max-assets", "201"),  # a snapshot holds at most 200
        ("--every", "8d"),
    ],
)
def test_bad_arguments_exit_2(args: tuple[str, ...]) -> None:
    assert _main(*args, "--no-publish") == 2


def _daemon_until(args: list[str], marker: str, count: int = 2) -> tuple[int, str, str]:
    """Run `python -m screener run ARGS` until `count` output lines contain `marker`, then SIGINT;
    (returncode, the rest of stdout, stderr)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "screener", "run", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        seen = 0
        deadline = time.monotonic() + 30
        assert proc.stdout is not None
        while seen < count and time.monotonic() < deadline:
            seen += marker in proc.stdout.readline()
        assert seen == count, f"{marker!r} seen {seen} times"
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stdout, stderr


@pytest.mark.slow
def test_daemon_mode_runs_repeatedly_and_stops_cleanly_on_sigint(info_dir: Path) -> None:
    returncode, stdout, stderr = _daemon_until(
        ["--offline", str(info_dir), "--no-publish", "--every", "1s"], "Maker-edge screen"
    )
    assert returncode == 0, stderr
    assert "screener stopped" in stdout
    assert "Traceback" not in stderr


@pytest.mark.slow
@pytest.mark.redis
def test_daemon_keeps_the_previous_publication_when_nothing_is_selected(
    info_dir: Path, redis_url: str, redis_names, make_snap
) -> None:
    channel, key = redis_names
    held = encode(make_snap(("BTC", 4.0)))
    redis.Redis.from_url(redis_url).set(key, held)
    args = ["--offline", str(info_dir), "--min-volume", "1e300", "--every", "1s"]
    redis_args = ["--redis-url", redis_url, "--channel", channel, "--key", key]
    # Still running after two empty selections.
    returncode, _, stderr = _daemon_until([*args, *redis_args], "no asset selected")
    assert returncode == 0, stderr
    assert redis.Redis.from_url(redis_url).get(key) == held


@pytest.mark.parametrize(("where", "message"), [
    ("folder", "is a folder, not a file"),
    ("a_file/live.json", "is a file, not a folder"),
])
def test_write_config_that_cannot_be_written_is_refused_before_the_screen(
    info_dir: Path, tmp_path: Path, capsys, where: str, message: str,
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "a_file").write_text("")
    status = main(["run", "--offline", str(info_dir), "--no-publish", "--write-config", str(tmp_path / where)])
    out = capsys.readouterr().out
    assert status == 2
    assert f"error: --write-config {tmp_path / where}" in out and message in out
    assert "Maker-edge screen" not in out  # refused before any screening
