"""Python test API of hlsim: start a simulated Hyperliquid exchange and drive it from tests.

Contract (thread-based, for synchronous tests)::

    from hlsim.testing import run_hlsim_in_thread, HlSimConfig

    with run_hlsim_in_thread(HlSimConfig(network="testnet", coins={"ETH": 4, "BTC": 5})) as sim:
        sim.rest_url            # "http://127.0.0.1:PORT"  (POST /info, POST /exchange)
        sim.ws_url              # "ws://127.0.0.1:PORT/ws"
        sim.fund(address, 10_000)                  # credit USDC (creates the account)
        sim.register_agent(account, agent_address) # agent (API) wallet signs for account
        sim.deregister_agent(agent_address)        # ... no longer (its actions: "... does not exist.")
        sim.set_book("ETH", bids=[(3000.1, 2.5), ...], asks=[(3000.2, 1.0), ...])  # pushes l2Book/bbo
        sim.trade("ETH", "A", 3000.1, 0.5)        # a market trade ("A" = seller aggressed, hits bids):
                                                   # consumes the queue ahead, fills user orders, pushes trades/fills
        sim.open_orders(address)  # [{coin, side, limitPx, sz, oid, timestamp, origSz, cloid?}]  (ledger truth)
        sim.fills(address)        # fills oldest first, in the wire shape
        sim.position(address, "ETH")  # {"szi": Decimal, "entry_px": Decimal} (zeros when flat)
        sim.queue_ahead(address, oid)  # estimated size ahead of a resting order (float)
        sim.fill_order(address, oid, sz=None)  # fill a resting order as maker at its price
        sim.cancel_order(address, oid)         # cancel it (pushes orderUpdates "canceled")
        sim.faults.drop_user_ws(address)       # abruptly close WS connections subscribed to the user
        sim.faults.drop_user_ws(address, refuse_for_s=2.0)  # ... and cut any connection subscribing
                                               # to the user's channels for 2 s (an explicit dark window)
        sim.faults.drop_market_ws(refuse_for_s=0.0)  # the same for market-data connections
                                               # (l2Book/bbo/trades/allMids subscribers)
        sim.faults.lose_user_messages(address, "userFills", count=1)  # the next push(es) of that user
                                               # channel (or "orderUpdates") silently never arrive
        sim.faults.stall_market_data(True)     # no l2Book/bbo/trades/allMids pushes; REST answers
        sim.faults.stall_all(True)             # no blocks: actions wait, no pushes; /info answers
        sim.faults.delay_replies(ms)           # hold every REST reply / WS post response back
        sim.faults.http_status(429, count=None)  # answer REST with 429/5xx (count=None: until cleared,
                                                 # http_status(None) clears)
        sim.faults.refuse_rest(True)           # stop listening (and cut requests on open connections)
        sim.faults.refuse_rest(True, port=p)   # the same on one port only (e.g. the primary while
                                               # the backup from add_port() stays up); open WS stay up
        sim.faults.refuse_rest(False, port=p)  # that port listens again; refuse_rest(False) ends all
        sim.faults.refuse_rest_after(n)        # serve n more REST requests, then refuse every port
        sim.faults.hang_ws_posts(True, applied=False)  # WS posts never answered (applied=True: the
                                               # actions are carried out, only the replies are lost)
        sim.faults.clear()
        port2 = sim.add_port()                 # a second endpoint (backup) on the same exchange state
        sim.url_for(port2)                     # its REST url
        sim.call(fn, *args)                    # run any function on the sim loop (thread-safe) and return its result
    # leaving the block == sim.stop()

Every method is thread-safe: it runs on the sim's own event loop (in a background thread) and
waits for the result. Addresses may be checksummed or lowercase; prices/sizes may be numbers or
strings (converted exactly through `str`). The simulator verifies real signatures: use the
official SDK (`Exchange(wallet, base_url=sim.rest_url)` signs as testnet, the default network) or
`adapters.hyperliquid.signing.L1Signer`. Unknown signers get "User or API Wallet ... does not
exist." unless funded or registered as an agent. Book levels may be (px, sz) or (px, sz, n).

Defaults worth knowing (see `HlSimConfig`): IP weight limit 1200/min as on the real exchange
(`ip_weight_per_min=None` turns it off), scheduleCancel volume gate on
(`schedule_cancel_volume_gate=False` turns it off), l2Book pushed on every change
(`l2_book_interval_ms` / `l2_book_fast_interval_ms` for the real 2000/500 ms cadence), WS idle
close after 60 s. WS `activeAssetCtx` pushes the coin's `metaAndAssetCtxs` context (mark = mid)
when it changes.

For asyncio tests: `sim = await start_hlsim(config)` returns the in-loop `HlSimServer`
(`sim.rest_url`, `sim.engine`, `sim.faults`, `await sim.stop()`); call engine methods directly
from the same loop.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from typing import TypeVar

from hlsim.api.server import HlSimServer
from hlsim.config import HlSimConfig
from hlsim.engine.exchange import SimExchange
from hlsim.engine.numbers import ZERO
from hlsim.engine.numbers import parse_decimal

__all__ = ["HlSimConfig", "HlSimThread", "run_hlsim_in_thread", "start_hlsim"]

T = TypeVar("T")
CALL_TIMEOUT_S = 30.0


def _dec(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else parse_decimal(str(value))


def _levels(levels: Any) -> list[tuple[Decimal, Decimal, int]]:
    out = []
    for level in levels:
        px, sz, *rest = level
        out.append((_dec(px), _dec(sz), int(rest[0]) if rest else 1))
    return out


async def start_hlsim(config: HlSimConfig | None = None) -> HlSimServer:
    """Starts hlsim on the running loop; returns the server (call `await server.stop()`)."""
    server = HlSimServer(config or HlSimConfig())
    await server.start()
    return server


class _FaultsProxy:
    """`sim.faults.X(...)` runs `Faults.X` on the sim loop and waits."""

    def __init__(self, sim: HlSimThread) -> None:
        self._sim = sim

    def __getattr__(self, name: str) -> Callable[..., Any]:
        target = getattr(self._sim.server.faults, name)
        if not callable(target):
            return self._sim.call(lambda: getattr(self._sim.server.faults, name))
        return lambda *args, **kwargs: self._sim.call(target, *args, **kwargs)

    def clear(self) -> None:
        faults = self._sim.server.faults

        async def clear_all() -> None:
            if faults.rest_refused or faults.refused_ports:
                await faults.refuse_rest(False)
            faults.clear()

        self._sim.call(clear_all)


class HlSimThread:
    """hlsim running in a background thread with its own asyncio loop (see the module docstring)."""

    def __init__(self, config: HlSimConfig) -> None:
        self.config = config
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._server: HlSimServer | None = None
        self._thread = threading.Thread(target=self._run, name="hlsim", daemon=True)
        self._stopped = False
        self.faults = _FaultsProxy(self)

    # --- lifecycle ------------------------------------------------------------------------

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._server = self._loop.run_until_complete(start_hlsim(self.config))
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._ready.set()
            self._loop.close()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._server.stop())
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()

    def start(self) -> HlSimThread:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        """Stops the server and joins its thread (idempotent)."""
        if self._stopped or not self._thread.is_alive():
            self._stopped = True
            return
        self._stopped = True
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=CALL_TIMEOUT_S)

    def __enter__(self) -> HlSimThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def server(self) -> HlSimServer:
        assert self._server is not None, "hlsim not started"
        return self._server

    @property
    def engine(self) -> SimExchange:
        """The engine (only touch it through `call`)."""
        return self.server.engine

    # --- plumbing -------------------------------------------------------------------------

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Runs fn(*args, **kwargs) on the sim loop (awaiting it if it returns an awaitable)."""

        async def runner() -> Any:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        if threading.current_thread() is self._thread:
            raise RuntimeError("HlSimThread.call from the sim thread itself would deadlock")
        return asyncio.run_coroutine_threadsafe(runner(), self._loop).result(CALL_TIMEOUT_S)

    # --- endpoints ------------------------------------------------------------------------

    @property
    def ports(self) -> list[int]:
        return list(self.server.ports)

    @property
    def rest_url(self) -> str:
        return self.url_for(self.server.ports[0])

    @property
    def ws_url(self) -> str:
        return self.rest_url.replace("http", "ws", 1) + "/ws"

    def url_for(self, port: int) -> str:
        return f"http://{self.config.host}:{port}"

    def add_port(self, port: int = 0) -> int:
        """Serves the same exchange on another port (0 = ephemeral); returns it."""
        return self.call(self.server.add_port, port)

    # --- accounts and market --------------------------------------------------------------

    def fund(self, address: str, usdc: float | str | Decimal) -> None:
        self.call(self.engine.fund, address, _dec(usdc))

    def register_agent(self, account: str, agent_address: str) -> None:
        self.call(self.engine.register_agent, account, agent_address)

    def deregister_agent(self, agent_address: str) -> bool:
        return self.call(self.engine.deregister_agent, agent_address)

    def set_book(self, coin: str, bids: Any = (), asks: Any = ()) -> None:
        self._coin(coin)
        self.call(self.engine.set_book, coin, _levels(bids), _levels(asks))

    def trade(self, coin: str, side: str, px: Any, sz: Any) -> None:
        self._coin(coin)
        if side not in ("A", "B"):
            raise ValueError("side must be 'B' (buyer aggressed) or 'A' (seller aggressed)")
        self.call(self.engine.market_trade, coin, side, _dec(px), _dec(sz))

    def fill_order(self, address: str, oid: int, sz: Any = None) -> bool:
        return self.call(self.engine.admin_fill, address, oid, None if sz is None else _dec(sz))

    def cancel_order(self, address: str, oid: int) -> bool:
        return self.call(self.engine.admin_cancel, address, oid)

    def _coin(self, coin: str) -> None:
        if coin not in self.config.coins:
            raise ValueError(f"unknown coin {coin!r}; configured: {list(self.config.coins)}")

    # --- ledger truth ---------------------------------------------------------------------

    def open_orders(self, address: str) -> list[dict[str, Any]]:
        engine = self.engine
        return self.call(lambda: [engine.order_view(o) for o in engine.open_orders(address.lower())])

    def fills(self, address: str) -> list[dict[str, Any]]:
        engine = self.engine

        def get() -> list[dict[str, Any]]:
            acct = engine.accounts.get(address.lower())
            return [dict(f) for f in acct.fills] if acct else []

        return self.call(get)

    def position(self, address: str, coin: str) -> dict[str, Decimal]:
        engine = self.engine

        def get() -> dict[str, Decimal]:
            acct = engine.accounts.get(address.lower())
            pos = acct.positions.get(coin) if acct else None
            if pos is None:
                return {"szi": ZERO, "entry_px": ZERO}
            return {"szi": pos.szi, "entry_px": pos.entry_px}

        return self.call(get)

    def usdc(self, address: str) -> Decimal:
        engine = self.engine
        return self.call(lambda: engine.accounts[address.lower()].usdc if address.lower() in engine.accounts else ZERO)

    def queue_ahead(self, address: str, oid: int) -> float | None:
        engine = self.engine

        def get() -> float | None:
            order = engine.user_orders.get(address.lower(), {}).get(oid)
            return order.queue.front if order else None

        return self.call(get)


def run_hlsim_in_thread(config: HlSimConfig | None = None) -> HlSimThread:
    """Starts hlsim in a background thread (ephemeral port unless configured); stop() or use as a context manager."""
    return HlSimThread(config or HlSimConfig()).start()
