"""hlsim throughput, reply latency and replay speed.

1. hlsim runs as a subprocess (`python -m hlsim`, its own core); this process signs ALO orders
   and their cancels with `L1Signer` and posts them one at a time over one keep-alive HTTP
   connection for ACTION_SECONDS. `actions_per_s` counts replies received per second;
   `reply_p50_ms`/`reply_p99_ms` are send→reply times (signing excluded).
2. The ETH capture (~24 min) is replayed as fast as possible into an in-process server with one
   WS client subscribed to l2Book (fast), bbo and trades and draining them:
   `replay_speedup` = recorded span / wall time (the figure without any subscriber is printed too).

    .venv/bin/python bench/hlsim.py
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import _harness  # noqa: F401  (first: takes bench/ off sys.path)
import aiohttp
import numpy as np

# This file is named like the package it measures: drop bench/ from the path so `hlsim` is the package.
from adapters.hyperliquid.signing import L1Signer
from catalog import shipped_data
from hlsim.api.server import HlSimServer
from hlsim.config import HlSimConfig

ACTION_SECONDS = 10.0
WARMUP_ACTIONS = 200
BENCH_KEY = "0x" + "42" * 32  # throwaway key, used only against the local simulator


async def _post(session: aiohttp.ClientSession, url: str, signer: L1Signer, action: dict, nonce: int) -> tuple[dict, float]:
    body = {"action": action, "nonce": nonce, "signature": signer.sign_action(action, nonce, is_mainnet=False),
            "vaultAddress": None, "expiresAfter": None}
    payload = json.dumps(body).encode()
    t0 = time.perf_counter()
    async with session.post(url + "/exchange", data=payload, headers={"Content-Type": "application/json"}) as resp:
        reply = await resp.json()
    return reply, time.perf_counter() - t0


async def _actions(url: str, signer: L1Signer) -> dict[str, float]:
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector) as session:
        async with session.post(url + "/admin/set_book", json={"coin": "ETH", "bids": [["3000", "50"]],
                                                               "asks": [["3001", "50"]]}) as resp:
            assert resp.status == 200
        nonce = int(time.time() * 1000)
        latencies: list[float] = []
        count = 0
        start = None
        i = 0
        while True:
            if i == WARMUP_ACTIONS:
                latencies.clear()
                count = 0
                start = time.perf_counter()
            if start is not None and time.perf_counter() - start >= ACTION_SECONDS:
                break
            nonce += 1
            px = str(2990 - (i % 50) / 10)
            order = {"type": "order", "grouping": "na",
                     "orders": [{"a": 0, "b": True, "p": px, "s": "0.01", "r": False, "t": {"limit": {"tif": "Alo"}}}]}
            reply, lat = await _post(session, url, signer, order, nonce)
            oid = reply["response"]["data"]["statuses"][0]["resting"]["oid"]
            latencies.append(lat)
            nonce += 1
            reply, lat = await _post(session, url, signer, {"type": "cancel", "cancels": [{"a": 0, "o": oid}]}, nonce)
            assert reply["response"]["data"]["statuses"] == ["success"], reply
            latencies.append(lat)
            count += 2
            i += 2
        elapsed = time.perf_counter() - start
    lat_ms = np.array(latencies) * 1000
    return {
        "actions_per_s": round(count / elapsed, 1),
        "reply_p50_ms": round(float(np.percentile(lat_ms, 50)), 3),
        "reply_p99_ms": round(float(np.percentile(lat_ms, 99)), 3),
    }


def measure_actions() -> dict[str, float]:
    signer = L1Signer(BENCH_KEY)
    cmd = [sys.executable, "-m", "hlsim", "--port", "0", "--ip-weight", "0", "--address-budget", "1000000000",
           "--coin", "ETH=4", "--wallet", f"{signer.address}=100000000", "--log-level", "WARNING"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        match = re.search(r"listening on (http://[\d.]+:\d+)", line)
        if not match:
            raise RuntimeError(f"hlsim did not start: {line!r}")
        return asyncio.run(_actions(match.group(1), signer))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
        proc.stdout.close()


async def _replay(with_subscriber: bool) -> float:
    server = HlSimServer(HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None))
    await server.start()
    received = 0
    try:
        async with aiohttp.ClientSession() as session:
            drain = None
            if with_subscriber:
                ws = await session.ws_connect(server.ws_url)
                for sub in ({"type": "l2Book", "coin": "ETH", "fast": True}, {"type": "bbo", "coin": "ETH"},
                            {"type": "trades", "coin": "ETH"}):
                    await ws.send_json({"method": "subscribe", "subscription": sub})

                async def drain_ws() -> None:
                    nonlocal received
                    async for _ in ws:
                        received += 1

                drain = asyncio.ensure_future(drain_ws())
            stats = await server.replayer.run(shipped_data.eth_capture(), 0)
            if drain is not None:
                await ws.close()
                drain.cancel()
        print(f"  replay {'with' if with_subscriber else 'without'} a subscriber: {stats.records} records, "
              f"{stats.span_s:.0f} s of market in {stats.elapsed_s:.2f} s ({stats.speedup:.0f}x)"
              + (f", {received} WS messages received" if with_subscriber else ""))
        return stats.speedup
    finally:
        await server.stop()


def main() -> None:
    print("signed order+cancel actions over REST (hlsim in a subprocess, one connection, one in flight):")
    result: dict[str, object] = dict(measure_actions())
    print(f"  {result['actions_per_s']} actions/s, reply p50 {result['reply_p50_ms']} ms, p99 {result['reply_p99_ms']} ms")
    asyncio.run(_replay(False))
    result["replay_speedup"] = round(asyncio.run(_replay(True)), 1)
    result["command"] = ".venv/bin/python bench/hlsim.py"
    result["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    out = Path(__file__).resolve().parent / "results" / "hlsim.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
