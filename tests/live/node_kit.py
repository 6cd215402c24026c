"""run_live.py as a real process against hlsim: configs, start/stop/kill, its state file."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.hyperliquid.signing import L1Signer
from catalog import shipped_data

ROOT = shipped_data.PROJECT_ROOT
ETH_BIDS = [(3000.0, 4.0), (2999.9, 6.0), (2999.8, 8.0), (2999.5, 10.0), (2999.0, 20.0)]
ETH_ASKS = [(3000.1, 4.0), (3000.2, 6.0), (3000.3, 8.0), (3000.6, 10.0), (3001.0, 20.0)]


def eth_config(
    *,
    redis_url: str = "redis://127.0.0.1:6379/0",
    data: dict[str, Any] | None = None,
    exec_: dict[str, Any] | None = None,
    risk_guard: dict[str, Any] | None = None,
    governor: dict[str, Any] | None = None,
    strategy: dict[str, Any] | None = None,
    run: dict[str, Any] | None = None,
    source: str = "configs/live.json",
) -> dict[str, Any]:
    """The shipped live config narrowed to ETH, with per-test overrides."""
    raw = json.loads((ROOT / source).read_text())
    iid = "ETH-USD-PERP.HYPERLIQUID"
    raw["strategies"] = [s for s in raw["strategies"] if s["config"]["instrument_id"] == iid]
    raw["strategies"][0]["config"].update(strategy or {})
    for actor in raw["actors"]:
        actor["config"]["instrument_ids"] = [iid]
        if actor["actor_path"].endswith("RegimeGovernor"):
            actor["config"]["redis_url"] = redis_url
            actor["config"].update(governor or {})
        if actor["actor_path"].endswith("RiskGuard"):
            actor["config"]["max_concurrent_assets"] = 1
            actor["config"].update(risk_guard or {})
    for section, extra in (("data_clients", data), ("exec_clients", exec_)):
        for spec in raw.get(section, {}).values():
            spec["config"]["coins"] = ["ETH"]
            spec["config"].update(extra or {})
    raw.setdefault("run", {}).update({"status_interval_secs": 0.2, **(run or {})})
    return raw


class NodeProcess:
    """One run_live.py process; its state file is read back as JSON."""

    def __init__(self, tmp: Path, config: dict[str, Any], rest_url: str, *, key: str | None = None,
                 args: list[str] | None = None, name: str = "node", network: bool = True) -> None:
        self.tmp = tmp
        self.key = key or "0x" + secrets.token_hex(32)
        self.address = L1Signer(self.key).address
        self.config_path = tmp / f"{name}.json"
        self.config_path.write_text(json.dumps(config, indent=1))
        self.state_path = tmp / f"{name}.state.json"
        self.log_path = tmp / f"{name}.log"
        self.rest_url = rest_url
        self.args = args or []
        self.network = network  # False: the config's own urls (no --network)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> NodeProcess:
        self.state_path.unlink(missing_ok=True)
        self.starts += 1
        env = {**os.environ, "HYPERLIQUID_AGENT_KEY": self.key}
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child owns it
        self.proc = subprocess.Popen(
            [sys.executable, "run_live.py", "--config", str(self.config_path),
             *(["--network", self.rest_url] if self.network else []),
             "--account", self.address, "--no-status", "--state-file", str(self.state_path), *self.args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        return self

    def state(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.state_path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def wait_for(self, what: str, pred: Callable[[dict[str, Any]], bool], timeout: float = 30.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"node exited ({self.proc.returncode}) waiting for {what}:\n{self.log_tail()}")
            state = self.state()
            if state is not None and pred(state):
                return state
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; last state {self.state()}\n{self.log_tail()}")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 30.0) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"node did not exit within {timeout} s after {sig}:\n{self.log_tail()}") from None

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def ensure_dead(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return "(no log)"
        keep = [ln for ln in lines if "config." not in ln]
        return "\n".join(keep[-n:])

    def cpu_seconds(self) -> float:
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class TcpProxy:
    """A loopback TCP relay in front of a port; `refuse()` stops listening and cuts open connections,
    so the endpoint behind it looks down (connection refused) while the port behind it stays up."""

    def __init__(self, target_port: int) -> None:
        import asyncio
        import threading

        self._asyncio = asyncio
        self.target_port = target_port
        self._loop = asyncio.new_event_loop()
        self._writers: set[Any] = set()
        self._server: Any = None
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="tcp-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: Any, writer: Any) -> None:
        asyncio = self._asyncio
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))

        async def pipe(src: Any, dst: Any) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (OSError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))

    def refuse(self) -> None:
        async def stop() -> None:
            self._server.close()
            for w in list(self._writers):
                w.transport.abort()

        self._asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)

    def close(self) -> None:
        self.refuse()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class BookTicker:
    """Keeps a scripted book alive (a live book is never silent): re-publishes it every `period` s
    with the deepest bid's size nudged, so the stall guard only fires when a test stalls the data."""

    def __init__(self, sim: Any, bids: list[tuple[float, float]], asks: list[tuple[float, float]],
                 period: float = 0.3) -> None:
        import threading

        self.sim = sim
        self._lock = threading.Lock()
        self._bids, self._asks = list(bids), list(asks)
        self._stop = threading.Event()
        self._period = period
        self._thread = threading.Thread(target=self._run, name="book-ticker", daemon=True)
        sim.set_book("ETH", bids=bids, asks=asks)
        self._thread.start()

    def set(self, bids: list[tuple[float, float]], asks: list[tuple[float, float]]) -> None:
        with self._lock:
            self._bids, self._asks = list(bids), list(asks)
            self.sim.set_book("ETH", bids=self._bids, asks=self._asks)

    def shift(self, delta: float) -> None:
        """Move the whole scripted book by `delta` (from the shipped ETH levels)."""
        self.set([(px + delta, sz) for px, sz in ETH_BIDS], [(px + delta, sz) for px, sz in ETH_ASKS])

    def _run(self) -> None:
        flip = False
        while not self._stop.wait(self._period):
            flip = not flip
            with self._lock:
                bids = list(self._bids)
                px, sz = bids[-1]
                bids[-1] = (px, sz + (0.5 if flip else 0.0))
                try:
                    self.sim.set_book("ETH", bids=bids, asks=self._asks)
                except Exception:
                    return  # the sim is shutting down

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
