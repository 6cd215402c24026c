"""The aiohttp server: one or more ports serving POST /info, POST /exchange, WS /ws and POST /admin/{op},
all sharing one engine; plus the periodic tasks (scheduled cancels, l2Book cadence, replay)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import socket
from decimal import Decimal
from typing import Any

import msgspec
from aiohttp import web

from hlsim.api.exchange import handle_exchange
from hlsim.api.info import InfoError
from hlsim.api.info import handle_info
from hlsim.api.ws import Hub
from hlsim.api.ws import serve_ws
from hlsim.config import HlSimConfig
from hlsim.engine.actions import DESERIALIZE_PREFIX
from hlsim.engine.actions import BadRequest
from hlsim.engine.actions import ExchangeRequest
from hlsim.engine.actions import decode_exchange_request
from hlsim.engine.actions import exchange_request_from_obj
from hlsim.engine.exchange import SimExchange
from hlsim.engine.limits import IpWeightWindow
from hlsim.engine.limits import exchange_weight
from hlsim.engine.limits import info_weight
from hlsim.engine.numbers import parse_decimal
from hlsim.faults import Faults
from hlsim.replay.recording import Replayer

log = logging.getLogger("hlsim")

TICK_S = 0.05
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.decode


def _json(obj: Any, status: int = 200) -> web.Response:
    return web.Response(body=_encode(obj), status=status, content_type="application/json")


def _text(text: str, status: int) -> web.Response:
    return web.Response(text=text, status=status)


def _batch_size(request: ExchangeRequest) -> int:
    action = request.action
    for key in ("orders", "cancels", "modifies"):
        items = action.get(key)
        if isinstance(items, list):
            return len(items)
    return 1


class HlSimServer:
    """A running (after `start`) simulated exchange. Use from its own event loop only."""

    def __init__(self, config: HlSimConfig) -> None:
        self.config = config
        self.faults = Faults(self)
        self.hub = Hub(lambda: self.engine, self.faults)
        self.engine = SimExchange(config, self.hub)
        self.ip_window = IpWeightWindow(config.ip_weight_per_min)
        self.replayer = Replayer(self.engine)
        self.ports: list[int] = []
        self._runner: web.AppRunner | None = None
        self._sites: dict[int, web.SockSite] = {}
        self._tasks: list[asyncio.Task[Any]] = []

    @property
    def rest_url(self) -> str:
        return f"http://{self.config.host}:{self.ports[0]}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.config.host}:{self.ports[0]}/ws"

    # --- lifecycle ------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 20)
        app.router.add_post("/info", self._info)
        app.router.add_post("/exchange", self._exchange)
        app.router.add_get("/ws", self._ws)
        app.router.add_post("/admin/{op}", self._admin)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self._app(), access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await self._runner.setup()
        for port in (self.config.port, *self.config.extra_ports):
            await self.add_port(port)
        self._tasks.append(asyncio.ensure_future(self._ticker()))
        if self.config.replay:
            self._tasks.append(asyncio.ensure_future(self._replay(self.config.replay)))

    async def stop(self) -> None:
        self.faults.stall_all(False)  # release actions held by a stall so their handlers finish
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def add_port(self, port: int = 0) -> int:
        """Also serves on this port (0 = ephemeral): same exchange state; returns the port."""
        assert self._runner is not None, "server not started"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, port))
        actual = sock.getsockname()[1]
        site = web.SockSite(self._runner, sock)
        await site.start()
        self._sites[actual] = site
        if actual not in self.ports:
            self.ports.append(actual)
        return actual

    async def set_listening(self, on: bool, port: int | None = None) -> None:
        """Stops or resumes accepting connections on every port, or on `port` (ports keep their numbers).
        Resuming every port leaves single ports refused by `faults.refuse_rest(True, port=...)` down."""
        if on:
            targets = [port] if port is not None else [p for p in self.ports if p not in self.faults.refused_ports]
            for p in targets:
                if p not in self._sites:
                    await self.add_port(p)
        else:
            targets = [port] if port is not None else list(self._sites)
            for p in targets:
                site = self._sites.pop(p, None)
                if site is not None:
                    await site.stop()

    def republish_books(self) -> None:
        for coin in self.engine.coins:
            self.hub.book_changed(coin)

    async def _ticker(self) -> None:
        cfg = self.config
        loop = asyncio.get_running_loop()
        next_l2 = {False: 0.0, True: 0.0}
        next_funding = loop.time() + cfg.funding_interval_s
        while True:
            await asyncio.sleep(TICK_S)
            if self.faults.all_stalled:
                continue
            self.engine.tick(self.engine.now_ms())
            now = loop.time()
            if cfg.funding_rate and now >= next_funding:
                next_funding = now + cfg.funding_interval_s
                self.engine.apply_funding(self.engine.now_ms())
            for fast, interval_ms in ((False, cfg.l2_book_interval_ms), (True, cfg.l2_book_fast_interval_ms)):
                if interval_ms > 0 and now >= next_l2[fast]:
                    next_l2[fast] = now + interval_ms / 1000
                    self.hub.flush_l2(fast)

    async def _replay(self, path: str) -> None:
        try:
            stats = await self.replayer.run(
                path, self.config.replay_speed, loop_forever=self.config.replay_loop,
                paused=self.faults.wait_unstalled,
            )
            log.info("replay finished: %s records in %.2fs (%.1fx)", stats.records, stats.elapsed_s, stats.speedup)
        except Exception:  # a broken file must not take the server down
            log.exception("replay of %s failed", path)

    # --- REST -----------------------------------------------------------------------------

    def _forced_failure(self, request: web.Request) -> web.Response | None:
        if self.faults.rest_refused_on(_local_port(request)):
            # Requests arriving on connections opened before the refusal are cut as well.
            if request.transport is not None:
                request.transport.abort()
            return _text("", 503)  # never reaches the client: the connection is gone
        self.faults.count_rest_request()  # served; may refuse the ones after it
        status = self.faults.take_status()
        if status is not None:
            return _text("Too many requests" if status == 429 else "Internal Server Error", status)
        return None

    async def _delay(self) -> None:
        if self.faults.delay_ms:
            await asyncio.sleep(self.faults.delay_ms / 1000)

    def _over_ip_limit(self, request: web.Request, weight: int) -> bool:
        return not self.ip_window.spend(request.remote or "", weight, self.engine.now_ms())

    async def _info(self, request: web.Request) -> web.StreamResponse:
        forced = self._forced_failure(request)
        if forced is not None:
            return forced
        body = await request.read()
        try:
            req = _decode(body)
        except msgspec.DecodeError as exc:
            return _text(DESERIALIZE_PREFIX + str(exc), 422)
        kind = req.get("type") if isinstance(req, dict) else None
        if self._over_ip_limit(request, info_weight(kind if isinstance(kind, str) else "")):
            return _text("Too many requests", 429)
        try:
            reply = handle_info(self.engine, req)
        except InfoError as exc:
            return _text(exc.text, 422)
        await self._delay()
        return _json(reply)

    async def _exchange(self, request: web.Request) -> web.StreamResponse:
        forced = self._forced_failure(request)
        if forced is not None:
            return forced
        body = await request.read()
        try:
            parsed = decode_exchange_request(body)
        except BadRequest as exc:
            return _text(exc.text, 422)
        if self._over_ip_limit(request, exchange_weight(_batch_size(parsed))):
            return _text("Too many requests", 429)
        await self.faults.wait_unstalled()
        try:
            reply = handle_exchange(self.engine, parsed)
        except BadRequest as exc:
            return _text(exc.text, 422)
        await self._delay()
        return _json(reply)

    # --- WS -------------------------------------------------------------------------------

    async def _ws(self, request: web.Request) -> web.StreamResponse:
        return await serve_ws(request, self.hub, self._post, self.config.ws_idle_timeout_s)

    async def _post(self, kind: str, payload: Any, ip: str) -> dict[str, Any] | None:
        """A WS `post` request: the same replies as REST, wrapped as the WS protocol does (None: no
        reply, while `faults.hang_ws_posts` is on)."""
        hung = self.faults.ws_posts_hung
        if hung and not (kind == "action" and self.faults.ws_posts_applied):
            return None
        if kind == "info":
            try:
                reply = handle_info(self.engine, payload)
            except InfoError as exc:
                return {"type": "error", "payload": exc.text}
            await self._delay()
            return {"type": "info", "payload": {"type": payload.get("type"), "data": reply}}
        try:
            parsed = exchange_request_from_obj(payload)
            await self.faults.wait_unstalled()
            reply = handle_exchange(self.engine, parsed)
        except BadRequest as exc:
            return {"type": "error", "payload": exc.text}
        await self._delay()
        if hung:
            return None  # applied, but its reply is lost
        return {"type": "action", "payload": reply}

    # --- admin ----------------------------------------------------------------------------

    async def _admin(self, request: web.Request) -> web.StreamResponse:
        op = request.match_info["op"]
        try:
            body = _decode(await request.read() or b"{}")
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            result = await self.admin(op, body)
        except (KeyError, TypeError, ValueError) as exc:
            return _json({"error": f"{type(exc).__name__}: {exc}"}, status=400)
        return _json({"ok": True, "result": result})

    async def admin(self, op: str, body: dict[str, Any]) -> Any:
        """Admin operations (also POST /admin/{op}); ValueError/KeyError for bad input."""
        engine = self.engine
        if op == "fund":
            engine.fund(body["address"], body["usdc"])
            return None
        if op == "register_agent":
            engine.register_agent(body["account"], body["agent"])
            return None
        if op == "set_book":
            engine.set_book(body["coin"], _levels(body.get("bids", [])), _levels(body.get("asks", [])))
            return None
        if op == "trade":
            if body["side"] not in ("A", "B"):
                raise ValueError("side must be 'A' or 'B'")
            engine.market_trade(body["coin"], body["side"], _dec(body["px"]), _dec(body["sz"]))
            return None
        if op == "fill_order":
            return engine.admin_fill(body["address"], int(body["oid"]), _dec(body["sz"]) if body.get("sz") else None)
        if op == "cancel_order":
            return engine.admin_cancel(body["address"], int(body["oid"]))
        if op == "faults":
            return await self._admin_faults(body)
        if op == "state":
            stats = self.replayer.stats
            return {"ports": self.ports, "replay": {**dataclasses.asdict(stats), "speedup": stats.speedup}}
        raise ValueError(f"unknown admin op {op!r}")

    async def _admin_faults(self, body: dict[str, Any]) -> Any:
        f = self.faults
        refuse_for_s = float(body.get("refuse_for_s", 0.0))
        dropped = f.drop_user_ws(body["drop_user_ws"], refuse_for_s) if "drop_user_ws" in body else None
        if body.get("drop_market_ws"):
            dropped = (dropped or 0) + f.drop_market_ws(refuse_for_s)
        if "stall_market_data" in body:
            f.stall_market_data(bool(body["stall_market_data"]))
        if "stall_all" in body:
            f.stall_all(bool(body["stall_all"]))
        if "delay_market_data_ms" in body:
            f.delay_market_data(int(body["delay_market_data_ms"]))
        if "lose_user_messages" in body:  # {"address", "channel", "count"?}
            spec = body["lose_user_messages"]
            f.lose_user_messages(spec["address"], spec["channel"], int(spec.get("count", 1)))
        if "delay_ms" in body:
            f.delay_replies(int(body["delay_ms"]))
        if "http_status" in body:
            f.http_status(body["http_status"], body.get("count"))
        if "refuse_rest_ms" in body:
            # Over HTTP a refusal must end by itself: this endpoint may be refused too meanwhile.
            ms = int(body["refuse_rest_ms"])
            port = int(body["port"]) if body.get("port") is not None else None
            await f.refuse_rest(True, port=port)
            asyncio.get_running_loop().call_later(
                ms / 1000, lambda: asyncio.ensure_future(f.refuse_rest(False, port=port))
            )
        if body.get("clear"):
            f.clear()
        return {"dropped": dropped} if dropped is not None else None


def _local_port(request: web.Request) -> int | None:
    """The server port a request came in on (None when the transport is already gone)."""
    transport = request.transport
    sockname = transport.get_extra_info("sockname") if transport is not None else None
    return sockname[1] if isinstance(sockname, tuple) and len(sockname) >= 2 else None


def _dec(value: Any) -> Decimal:
    return parse_decimal(str(value))


def _levels(raw: Any) -> list[tuple[Decimal, Decimal, int]]:
    out = []
    for item in raw:
        if isinstance(item, dict):
            out.append((_dec(item["px"]), _dec(item["sz"]), int(item.get("n", 1))))
        else:
            px, sz, *rest = item
            out.append((_dec(px), _dec(sz), int(rest[0]) if rest else 1))
    return out
