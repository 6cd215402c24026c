"""The tick harvester against hlsim over real sockets: nothing lost, rotating chunks, gaps recorded."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from nautilus_trader.model.data import OrderBookDelta
from nautilus_trader.model.data import QuoteTick
from nautilus_trader.model.data import TradeTick
from nautilus_trader.model.enums import BookAction
from nautilus_trader.model.enums import RecordFlag
from nautilus_trader.persistence.catalog import ParquetDataCatalog

from adapters.hyperliquid.parsing.instruments import perp_instrument
from catalog import shipped_data
from catalog.harvest import ChunkWriter
from catalog.harvest import HarvestConfig
from catalog.harvest import Harvester
from catalog.harvest import HarvestStats
from catalog.harvest import read_gaps
from hlsim.testing import HlSimConfig
from hlsim.testing import run_hlsim_in_thread

F_SNAPSHOT = int(RecordFlag.F_SNAPSHOT)
ROOT = shipped_data.PROJECT_ROOT


class ReferenceCounter:
    """A bare WS client with the harvester's subscriptions: counts what the server sent."""

    def __init__(self, url: str, subscriptions: list[dict]) -> None:
        self.url = url
        self.subscriptions = subscriptions
        self.count = 0
        self.last_ns = time.monotonic_ns()
        self._task: asyncio.Task | None = None
        self._acks = 0
        self.ready = asyncio.Event()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run())
        await asyncio.wait_for(self.ready.wait(), 10)

    async def _run(self) -> None:
        async with aiohttp.ClientSession() as session, session.ws_connect(self.url, max_msg_size=0) as ws:
            for sub in self.subscriptions:
                await ws.send_str(json.dumps({"method": "subscribe", "subscription": sub}))
            async for msg in ws:
                if msg.type != aiohttp.WSMsgType.TEXT or not msg.data.startswith("{"):
                    continue
                channel = json.loads(msg.data)["channel"]
                if channel == "subscriptionResponse":
                    self._acks += 1
                    if self._acks == len(self.subscriptions):
                        self.ready.set()
                    continue
                if channel in ("l2Book", "bbo", "trades"):
                    self.count += 1
                    self.last_ns = time.monotonic_ns()

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


async def wait_quiet(counter: ReferenceCounter, harvester: Harvester, quiet_s: float = 1.0, limit_s: float = 60) -> None:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        silent = (time.monotonic_ns() - counter.last_ns) / 1e9
        if silent > quiet_s and harvester.stats.received >= counter.count:
            return
    raise AssertionError("replay did not finish in time")


def start_replay(sim, path: Path) -> None:
    server = sim.server
    sim.call(lambda: [asyncio.ensure_future(server.replayer.run(str(path), 0))])


def harvest_config(sim, catalog: Path, **kw) -> HarvestConfig:
    return HarvestConfig(coins=("ETH",), catalog_dir=str(catalog), base_url=sim.rest_url, **kw)


def eth_instruments() -> dict:
    return {"ETH": perp_instrument("ETH", 4)}


@pytest.mark.slow
def test_harvest_of_the_eth_replay_loses_no_message(tmp_path: Path, hl_data: Path) -> None:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4}, ip_weight_per_min=None)) as sim:

        async def scenario() -> tuple[HarvestStats, int]:
            harvester = Harvester(harvest_config(sim, tmp_path, chunk_rows=20_000), eth_instruments())
            stop, ready = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(harvester.run(stop, ready))
            await asyncio.wait_for(ready.wait(), 10)
            counter = ReferenceCounter(sim.ws_url, harvester.subscriptions())
            await counter.start()
            await asyncio.sleep(0.3)  # both have their subscriptions acknowledged
            start_replay(sim, shipped_data.eth_capture())
            await wait_quiet(counter, harvester)
            stop.set()
            stats = await task
            await counter.stop()
            return stats, counter.count

        stats, sent = asyncio.run(scenario())
    assert stats.received == sent
    assert stats.lost == 0 and stats.processed == sent and stats.bad == 0
    assert stats.chunks_written > 3  # rotated, not one file per type
    catalog = ParquetDataCatalog(str(tmp_path))
    deltas = catalog.query(OrderBookDelta)
    assert deltas[0].action == BookAction.CLEAR and deltas[0].flags & F_SNAPSHOT
    assert sum(1 for d in deltas if d.action == BookAction.CLEAR) == 1
    # Every bbo but the first (sent on subscribe, before the replay filled the empty book) is a quote.
    assert len(catalog.query(QuoteTick)) == stats.by_channel["bbo"] - 1
    assert len(catalog.query(TradeTick)) > 6000  # the capture's 6,385 trades (batched into messages)


def test_reconnect_is_recorded_as_a_gap_and_the_book_restarts_from_a_snapshot(tmp_path: Path) -> None:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4})) as sim:
        sim.set_book("ETH", bids=[(3000.0, 1.0), (2999.0, 2.0)], asks=[(3001.0, 1.0)])

        async def scenario() -> HarvestStats:
            harvester = Harvester(harvest_config(sim, tmp_path, chunk_secs=0.2), eth_instruments())
            harvester.ws._backoff_initial = 0.05  # reconnect quickly in the test
            stop, ready = asyncio.Event(), asyncio.Event()
            task = asyncio.create_task(harvester.run(stop, ready))
            await asyncio.wait_for(ready.wait(), 10)
            await asyncio.sleep(0.3)
            await harvester.ws.drop_for_test()
            for _ in range(50):
                await asyncio.sleep(0.1)
                if harvester.stats.reconnects:
                    break
            await asyncio.sleep(0.3)
            await asyncio.to_thread(sim.set_book, "ETH", [(3000.0, 3.0)], [(3001.0, 1.0)])
            await asyncio.sleep(0.5)
            stop.set()
            return await task

        stats = asyncio.run(scenario())
    assert stats.reconnects == 1 and stats.gaps == 1
    gaps = read_gaps(tmp_path)
    assert len(gaps) == 1 and gaps[0]["end_ns"] >= gaps[0]["start_ns"] and gaps[0]["coins"] == ["ETH"]
    deltas = ParquetDataCatalog(str(tmp_path)).query(OrderBookDelta)
    clears = [d for d in deltas if d.action == BookAction.CLEAR]
    assert len(clears) == 2 and all(d.flags & F_SNAPSHOT for d in clears)
    assert clears[1].ts_init >= gaps[0]["end_ns"]


def test_chunks_rotate_by_rows_into_disjoint_files_and_late_rows_are_clamped(tmp_path: Path) -> None:
    instrument = perp_instrument("ETH", 4)
    catalog = ParquetDataCatalog(str(tmp_path))
    stats = HarvestStats()
    writer = ChunkWriter(catalog, stats, chunk_rows=3, chunk_secs=3600)
    from nautilus_trader.model.enums import AggressorSide
    from nautilus_trader.model.identifiers import TradeId

    def trade(i: int, ts: int) -> TradeTick:
        return TradeTick(instrument.id, instrument.make_price(3000), instrument.make_qty(0.1), AggressorSide.BUYER,
                         TradeId(str(i)), ts, ts)

    for i, ts in enumerate([10, 20, 30, 40, 35, 50, 60, 70]):
        writer.add(trade(i, ts))
    writer.flush_all()
    assert stats.ts_init_clamped == 1
    rows = catalog.query(TradeTick)
    assert [t.ts_init for t in rows] == [10, 20, 30, 40, 40, 50, 60, 70]
    assert stats.chunks_written == 3 and stats.rows_written == 8


def test_harvest_config_refuses_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one coin"):
        HarvestConfig(coins=(), catalog_dir=str(tmp_path))
    with pytest.raises(ValueError, match="base_url"):
        HarvestConfig(coins=("ETH",), catalog_dir=str(tmp_path), base_url="ftp://x")
    with pytest.raises(ValueError, match="invalid coin"):
        HarvestConfig(coins=("ETH USD",), catalog_dir=str(tmp_path))
    with pytest.raises(ValueError, match="no instrument for DOGE"):
        Harvester(HarvestConfig(coins=("DOGE",), catalog_dir=str(tmp_path)), eth_instruments())


@pytest.mark.slow
def test_cli_harvests_until_sigint_and_flushes(tmp_path: Path) -> None:
    with run_hlsim_in_thread(HlSimConfig(coins={"ETH": 4})) as sim:
        sim.set_book("ETH", bids=[(3000.0, 1.0)], asks=[(3001.0, 1.0)])
        proc = subprocess.Popen(
            [sys.executable, "-m", "catalog", "harvest", "--coins", "ETH", "--catalog", str(tmp_path),
             "--base-url", sim.rest_url, "--chunk-secs", "3600"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ},
        )
        try:
            deadline = time.monotonic() + 30
            connected = False
            while time.monotonic() < deadline and not connected:
                time.sleep(0.2)
                connected = any(c.subs for c in sim.call(lambda: list(sim.server.hub.connections)))
            assert connected, "harvester never subscribed"
            for i in range(20):
                sim.set_book("ETH", bids=[(3000.0, 1.0 + i)], asks=[(3001.0, 1.0)])
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, err
    stats = json.loads(out.strip().splitlines()[-1])
    assert stats["lost"] == 0 and stats["received"] >= 21
    assert len(ParquetDataCatalog(str(tmp_path)).query(OrderBookDelta)) >= 21


def test_without_coins_the_screeners_node_config_names_them(tmp_path: Path) -> None:
    from catalog.harvest import _add_arguments
    from catalog.harvest import config_from_args

    node_config = tmp_path / "live.generated.json"
    node_config.write_text(json.dumps({"strategies": [
        {"config": {"instrument_id": "kPEPE-USD-PERP.HYPERLIQUID"}},
        {"config": {"instrument_id": "WIF-USD-PERP.HYPERLIQUID"}},
    ]}))
    import argparse

    parser = argparse.ArgumentParser()
    _add_arguments(parser)
    config = config_from_args(parser.parse_args(["--catalog", str(tmp_path), "--from-config", str(node_config)]))
    assert config.coins == ("kPEPE", "WIF")
    with pytest.raises(ValueError, match="no --coins given"):
        config_from_args(parser.parse_args(["--catalog", str(tmp_path), "--from-config", str(tmp_path / "none")]))


def test_a_meta_file_that_is_not_json_is_refused_naming_the_file(tmp_path: Path, capsys) -> None:
    from catalog.__main__ import main

    meta = tmp_path / "meta.txt"
    meta.write_text("not json\n")
    status = main(["harvest", "--coins", "BTC", "--catalog", str(tmp_path / "cat"), "--meta", str(meta),
                   "--base-url", "http://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith(f"error: --meta {meta}: not a saved meta reply") and err.count("\n") == 1
