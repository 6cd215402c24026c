"""The dashboard's HTTP server: aiohttp inside the node's event loop, read-only.

Routes, all GET (any other method is refused with 405 before routing, and HEAD is not served):
- `/`                 the page;
- `/static/{name}`    the page's script, style and the vendored uPlot (a fixed list: no file paths);
- `/api/snapshot`     the latest snapshot as JSON;
- `/api/history`      the chart rings as JSON;
- `/events`           server-sent events: `history` once, then a `snapshot` per sample.

No route takes an action, a body or a query string. When the server listens on a loopback
address, requests must also name a loopback host (a page elsewhere cannot reach it through a
re-bound DNS name). Every response carries a content security policy that keeps the page to its
own origin.

The sampler runs on its own timer: `Collector.sample()` once per `interval_s`, encoded once, then
offered to each client's bounded queue (`FrameQueue`: the oldest frame goes when it is full). A
client's writes happen in that client's own handler, with a timeout: a slow or closed browser
loses frames or its connection, never the node's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import time
from collections import deque
from importlib import resources
from typing import Any

import msgspec
from aiohttp import web

from dashboard.address import LOOPBACK_NAMES
from dashboard.address import ListenAddress
from dashboard.collector import Collector

log = logging.getLogger("dashboard")

MIN_INTERVAL_S = 0.2  # at most five frames a second
STATIC_FILES = {
    "dashboard.js": "application/javascript",
    "dashboard.css": "text/css",
    "uPlot.iife.min.js": "application/javascript",
    "uPlot.min.css": "text/css",
}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
KEEPALIVE = b": keep-alive\n\n"  # an SSE comment: keeps idle connections open through proxies
_encode = msgspec.json.Encoder().encode


class FrameQueue:
    """A client's pending frames, at most `size`: offering to a full queue drops the oldest."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("size must be ≥ 1")
        self._frames: deque[bytes | None] = deque(maxlen=size)
        self._ready = asyncio.Event()
        self.dropped = 0

    def offer(self, frame: bytes | None) -> None:
        """Never blocks; `None` tells the client's handler to finish."""
        if len(self._frames) == self._frames.maxlen:
            self.dropped += 1
        self._frames.append(frame)
        self._ready.set()

    async def get(self, timeout: float) -> bytes | None:
        """The oldest frame, or `KEEPALIVE` when none came within `timeout`."""
        if not self._frames:
            self._ready.clear()
            try:
                await asyncio.wait_for(self._ready.wait(), timeout)
            except TimeoutError:
                return KEEPALIVE
        return self._frames.popleft()

    def __len__(self) -> int:
        return len(self._frames)


def sse_frame(event: str, payload: bytes) -> bytes:
    """One server-sent event; the JSON payload has no newline (msgspec writes none)."""
    return b"event: " + event.encode() + b"\ndata: " + payload + b"\n\n"


class DashboardServer:
    def __init__(
        self,
        collector: Collector,
        address: ListenAddress,
        *,
        interval_s: float = 0.5,
        max_clients: int = 8,
        frames_per_client: int = 4,
        write_timeout_s: float = 5.0,
        keepalive_s: float = 15.0,
    ) -> None:
        if not interval_s >= MIN_INTERVAL_S:
            raise ValueError(f"interval_s must be ≥ {MIN_INTERVAL_S} (at most a few frames a second)")
        if max_clients < 1 or frames_per_client < 1 or not write_timeout_s > 0 or not keepalive_s > 0:
            raise ValueError("max_clients and frames_per_client must be ≥ 1, the timeouts > 0")
        self.collector = collector
        self.address = address
        self.interval_s = interval_s
        self.max_clients = max_clients
        self.frames_per_client = frames_per_client
        self.write_timeout_s = write_timeout_s
        self.keepalive_s = keepalive_s
        self._clients: set[FrameQueue] = set()
        self._latest: bytes | None = None
        self._runner: web.AppRunner | None = None
        self._sampler: asyncio.Task | None = None
        self._static = {name: _read_static(name) for name in (*STATIC_FILES, "index.html")}
        self.samples = 0
        self.sample_errors = 0
        self.sample_time_ns: deque[int] = deque(maxlen=1_000)  # how long each sample held the loop
        self.bound_port: int | None = None

    @property
    def clients(self) -> int:
        return len(self._clients)

    @property
    def url(self) -> str:
        return ListenAddress(self.address.host, self.bound_port or self.address.port).url

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._refuse_what_is_not_a_plain_get])
        app.on_response_prepare.append(_add_security_headers)
        app.router.add_get("/", self._page, allow_head=False)
        app.router.add_get("/static/{name}", self._static_file, allow_head=False)
        app.router.add_get("/api/snapshot", self._snapshot, allow_head=False)
        app.router.add_get("/api/history", self._history, allow_head=False)
        app.router.add_get("/events", self._events, allow_head=False)
        return app

    async def start(self) -> None:
        """Listen and start sampling; raises OSError when the address cannot be bound."""
        self.collector.attach()
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.address.host, self.address.port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            self.collector.detach()
            raise
        self.bound_port = self._runner.addresses[0][1]  # the port asked for, or the one port 0 got
        self._sampler = asyncio.get_running_loop().create_task(self._sample_forever(), name="dashboard-sampler")

    async def stop(self) -> None:
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
            self._sampler = None
        for queue in list(self._clients):
            queue.offer(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.collector.detach()

    # -- sampling --------------------------------------------------------------------------------

    def sample_once(self) -> bytes:
        """Sample the node, keep the frame as the latest and offer it to every client."""
        started = time.perf_counter_ns()
        payload = _encode(self.collector.sample())
        self._latest = payload
        self.samples += 1
        frame = sse_frame("snapshot", payload)
        for queue in self._clients:
            queue.offer(frame)
        self.sample_time_ns.append(time.perf_counter_ns() - started)
        return payload

    async def _sample_forever(self) -> None:
        while True:
            try:
                self.sample_once()
            except Exception:  # the dashboard must never take the node down
                self.sample_errors += 1
                if self.sample_errors == 1 or self.sample_errors % 100 == 0:
                    log.exception(f"dashboard sample failed ({self.sample_errors} so far)")
            await asyncio.sleep(self.interval_s)

    # -- handlers --------------------------------------------------------------------------------

    @web.middleware
    async def _refuse_what_is_not_a_plain_get(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.method != "GET":
            raise web.HTTPMethodNotAllowed(request.method, ["GET"], text="read-only: GET only\n")
        if self.address.is_loopback and not _names_loopback(request.host):
            raise web.HTTPMisdirectedRequest(text="this dashboard answers to a loopback host name only\n")
        if request.query_string:
            raise web.HTTPBadRequest(text="this dashboard takes no parameters\n")
        if request.can_read_body:
            raise web.HTTPBadRequest(text="this dashboard takes no request body\n")
        return await handler(request)

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(body=self._static["index.html"], content_type="text/html", charset="utf-8")

    async def _static_file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        content_type = STATIC_FILES.get(name)
        if content_type is None:
            raise web.HTTPNotFound()
        return web.Response(body=self._static[name], content_type=content_type, charset="utf-8")

    async def _snapshot(self, request: web.Request) -> web.Response:
        payload = self._latest if self._latest is not None else self.sample_once()
        return web.Response(body=payload, content_type="application/json")

    async def _history(self, request: web.Request) -> web.Response:
        return web.Response(body=_encode(self.collector.history()), content_type="application/json")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if len(self._clients) >= self.max_clients:
            raise web.HTTPServiceUnavailable(text=f"at most {self.max_clients} viewers\n")
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        queue = FrameQueue(self.frames_per_client)
        self._clients.add(queue)
        try:
            await self._write(response, sse_frame("history", _encode(self.collector.history())))
            if self._latest is not None:
                await self._write(response, sse_frame("snapshot", self._latest))
            while True:
                frame = await queue.get(self.keepalive_s)
                if frame is None:
                    break
                await self._write(response, frame)
        except (ConnectionError, TimeoutError):
            pass  # the browser went away, or is too slow to keep: drop it
        finally:
            self._clients.discard(queue)
        return response

    async def _write(self, response: web.StreamResponse, data: bytes) -> None:
        await asyncio.wait_for(response.write(data), self.write_timeout_s)


def _read_static(name: str) -> bytes:
    folder = resources.files("dashboard") / "static"
    path = folder / "uplot" / name if name.startswith("uPlot") else folder / name
    return path.read_bytes()


def _names_loopback(host_header: str | None) -> bool:
    if not host_header:
        return False
    host = host_header
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def _add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(SECURITY_HEADERS)


async def serve(node: Any, address: ListenAddress, mode: str, **options: Any) -> DashboardServer:
    """The dashboard of `node` (built, not yet running: the collector hears the bus from the start),
    listening on `address`; raises OSError when the address cannot be bound."""
    server = DashboardServer(Collector(node, mode), address, **options)
    await server.start()
    return server
