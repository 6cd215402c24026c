"""Harvester throughput: hlsim replays the shipped ETH capture as fast as it can, over a real socket,
into a fresh catalog; a second bare WS client counts what the server sent, so `lost` = sent − processed.

Prints and writes bench/results/harvest.json: msgs_per_s (messages processed per second between the
first received and the last processed message) and lost; prints context figures (queue peak: a low
peak means hlsim's replay, not the harvester, set the pace).
"""

from __future__ import annotations

# bench/ holds scripts named like packages (bench/hlsim.py): keep them from shadowing the real ones.
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from datetime import UTC
from datetime import datetime

import _harness  # first: takes bench/ off sys.path
import aiohttp

from adapters.hyperliquid.parsing.instruments import perp_instrument
from catalog import shipped_data
from catalog.harvest import HarvestConfig
from catalog.harvest import Harvester
from hlsim.testing import HlSimConfig
from hlsim.testing import run_hlsim_in_thread


async def count_messages(url: str, subscriptions: list[dict], counter: dict, ready: asyncio.Event) -> None:
    async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0) as ws:
        for sub in subscriptions:
            await ws.send_str(json.dumps({"method": "subscribe", "subscription": sub}))
        acks = 0
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT or not msg.data.startswith("{"):
                continue
            channel = json.loads(msg.data)["channel"]
            if channel == "subscriptionResponse":
                acks += 1
                if acks == len(subscriptions):
                    ready.set()
            elif channel in ("l2Book", "bbo", "trades"):
                counter["sent"] += 1
                counter["last"] = time.monotonic()


def main() -> int:
    capture = shipped_data.eth_capture()
    with tempfile.TemporaryDirectory() as tmp, run_hlsim_in_thread(
        HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None)
    ) as sim:
        config = HarvestConfig(coins=("ETH",), catalog_dir=tmp, base_url=sim.rest_url)

        async def run() -> tuple[dict, dict]:
            harvester = Harvester(config, {"ETH": perp_instrument("ETH", 4)})
            stop, ready = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(harvester.run(stop, ready))
            await asyncio.wait_for(ready.wait(), 10)
            counter = {"sent": 0, "last": time.monotonic()}
            counted = asyncio.Event()
            reference = asyncio.create_task(count_messages(sim.ws_url, harvester.subscriptions(), counter, counted))
            await asyncio.wait_for(counted.wait(), 10)
            await asyncio.sleep(0.3)
            server = sim.server
            sim.call(lambda: [asyncio.ensure_future(server.replayer.run(str(capture), 0))])
            while time.monotonic() - counter["last"] < 1.5 or harvester.stats.received < counter["sent"]:
                await asyncio.sleep(0.2)
            stop.set()
            stats = await task
            reference.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reference
            return stats.as_dict(), counter

        stats, counter = asyncio.run(run())
    seconds = (stats["last_processed_mono_ns"] - stats["first_received_mono_ns"]) / 1e9
    result = {
        "msgs_per_s": round(stats["processed"] / seconds, 1),
        "lost": counter["sent"] - stats["processed"],
        "command": ".venv/bin/python bench/harvest.py",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    context = {
        "messages": stats["processed"],
        "seconds": round(seconds, 3),
        "rows_written": stats["rows_written"],
        "chunks_written": stats["chunks_written"],
        "backpressure_waits": stats["backpressure_waits"],
        "queue_high_water": stats["queue_high_water"],
    }
    print("context:", json.dumps(context))
    print(json.dumps(result, indent=1))
    _harness.write_results("harvest", result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
