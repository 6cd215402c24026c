"""Redis helpers shared by the tests: a private `redis-server` that a test may stop and restart,
valid screener snapshots, and polling until a condition holds."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest
import redis

from screener_link.payload import AssetParams
from screener_link.payload import ScreenerSnapshot
from screener_link.payload import make_snapshot


def snapshot_of(*assets: tuple[str, float], ts_ms: int | None = None) -> ScreenerSnapshot:
    """A valid snapshot: (asset, base_spread_bps) pairs with fixed other fields."""
    ts = int(time.time() * 1000) if ts_ms is None else ts_ms
    return make_snapshot(
        ts,
        [
            AssetParams(
                asset=name,
                base_spread_bps=spread,
                max_inventory_usd=1000.0,
                level_spacing_ticks=2,
                order_size_usd=50.0,
                score=1.0,
            )
            for name, spread in assets
        ],
    )


def wait_until(predicate, timeout_s: float, interval_s: float = 0.02) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return predicate()


# A Redis password holding each of # / @ : %, which break a URL written without encoding; and as a URL holds it.
URL_BREAKING_PASSWORD = "s3cr#t/p@ss:w%rd"
URL_BREAKING_PASSWORD_ENCODED = "s3cr%23t%2Fp%40ss%3Aw%25rd"


class RedisServer:
    """A `redis-server` on a free port, without persistence, that can be stopped and restarted."""

    def __init__(self, password: str | None = None) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.password = password  # required of clients when given
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed")
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                *(("--requirepass", self.password) if self.password is not None else ()),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, password=self.password, socket_connect_timeout=0.2)
        if not wait_until(lambda: _pings(client), 5.0, 0.05):
            self.stop()
            pytest.fail(f"redis-server on port {self.port} did not start")
        client.close()

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(5)
            self.proc = None


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
