"""POST /info: read-only queries answered from the engine's state, in the exchange's shapes."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from hlsim.api.l2view import all_mids
from hlsim.api.l2view import l2_book_data
from hlsim.engine.accounts import clearinghouse_state
from hlsim.engine.actions import DESERIALIZE_PREFIX
from hlsim.engine.exchange import SimExchange
from hlsim.engine.limits import budget_cap
from hlsim.engine.numbers import fmt
from hlsim.engine.numbers import fmt_usd
from hlsim.engine.validation import is_valid_address
from hlsim.engine.validation import is_valid_cloid

USDC_TOKEN = {
    "name": "USDC",
    "szDecimals": 8,
    "weiDecimals": 8,
    "index": 0,
    "tokenId": "0x6d1e7cde53ba9467b783cb7c530ce054",
    "isCanonical": True,
    "evmContract": None,
    "fullName": None,
}

CANDLE_MS = {
    "1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "30m": 1_800_000, "1h": 3_600_000,
    "2h": 7_200_000, "4h": 14_400_000, "8h": 28_800_000, "12h": 43_200_000, "1d": 86_400_000,
}
MAX_FILLS_REPLY = 2000


class InfoError(Exception):
    """A request the exchange cannot deserialize: HTTP 422 with this text."""

    def __init__(self, detail: str) -> None:
        super().__init__(DESERIALIZE_PREFIX + detail)
        self.text = DESERIALIZE_PREFIX + detail


def _user(req: dict[str, Any]) -> str:
    user = req.get("user")
    if not is_valid_address(user):
        raise InfoError(f"invalid or missing field `user`: {user!r}")
    return user.lower()


def _coin(engine: SimExchange, req: dict[str, Any]) -> str | None:
    coin = req.get("coin")
    if not isinstance(coin, str):
        raise InfoError("missing field `coin`")
    return coin if coin in engine.asset_of else None


def _int(req: dict[str, Any], key: str, default: int | None = None) -> int:
    value = req.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InfoError(f"invalid type for field `{key}`: expected an integer")
    return value


def meta(engine: SimExchange, req: dict[str, Any]) -> Any:
    cfg = engine.config
    caps = sorted({cfg.leverage_cap(coin) for coin in engine.coins})
    return {
        "universe": [
            {
                "name": coin,
                "szDecimals": engine.sz_decimals[coin],
                "maxLeverage": cfg.leverage_cap(coin),
                "marginTableId": cfg.leverage_cap(coin),
            }
            for coin in engine.coins
        ],
        "marginTables": [
            [cap, {"description": "", "marginTiers": [{"lowerBound": "0.0", "maxLeverage": cap}]}] for cap in caps
        ],
        "collateralToken": 0,
    }


def spot_meta(engine: SimExchange, req: dict[str, Any]) -> Any:
    return {"universe": [], "tokens": [USDC_TOKEN]}


def meta_and_asset_ctxs(engine: SimExchange, req: dict[str, Any]) -> Any:
    marks = engine.marks()
    ctxs = []
    for coin in engine.coins:
        mid = engine.books[coin].mid()
        mark = marks.get(coin)
        mark_s = fmt(mark) if mark is not None else "0.0"
        bids, asks = engine.l2_levels(coin, 1)
        impact = [fmt(bids[0][0]), fmt(asks[0][0])] if bids and asks else None
        ctxs.append(
            {
                "dayNtlVlm": "0.0",
                "funding": "0.0",
                "impactPxs": impact,
                "markPx": mark_s,
                "midPx": fmt(mid) if mid is not None else None,
                "openInterest": "0.0",
                "oraclePx": mark_s,
                "premium": "0.0" if mid is not None else None,
                "prevDayPx": mark_s,
                "dayBaseVlm": "0.0",
            }
        )
    return [meta(engine, req), ctxs]


def l2_book(engine: SimExchange, req: dict[str, Any]) -> Any:
    coin = _coin(engine, req)
    if coin is None:
        return None
    n_sig = req.get("nSigFigs")
    mantissa = req.get("mantissa")
    if n_sig is not None and n_sig not in (2, 3, 4, 5):
        raise InfoError(f"invalid value for `nSigFigs`: {n_sig!r}")
    if mantissa is not None and mantissa not in (1, 2, 5):
        raise InfoError(f"invalid value for `mantissa`: {mantissa!r}")
    return l2_book_data(engine, coin, n_sig=n_sig, mantissa=mantissa)


def clearinghouse(engine: SimExchange, req: dict[str, Any]) -> Any:
    user = _user(req)
    max_lev = {coin: engine.config.leverage_cap(coin) for coin in engine.coins}
    return clearinghouse_state(
        engine.accounts.get(user), engine.marks(), engine.config.default_leverage_for, max_lev, engine.now_ms()
    )


def open_orders(engine: SimExchange, req: dict[str, Any]) -> Any:
    return [engine.order_view(o) for o in engine.open_orders(_user(req))]


def frontend_open_orders(engine: SimExchange, req: dict[str, Any]) -> Any:
    return [engine.frontend_view(o) for o in engine.open_orders(_user(req))]


def _fills(engine: SimExchange, user: str) -> list[dict[str, Any]]:
    acct = engine.accounts.get(user)
    return list(reversed(acct.fills)) if acct else []


def user_fills(engine: SimExchange, req: dict[str, Any]) -> Any:
    return _fills(engine, _user(req))[:MAX_FILLS_REPLY]


def user_fills_by_time(engine: SimExchange, req: dict[str, Any]) -> Any:
    """The window's fills oldest first, at most `MAX_FILLS_REPLY` (the oldest ones): a client pages
    on by starting the next request at the last fill's time, as the exchange's documentation says."""
    user = _user(req)
    start = _int(req, "startTime")
    end = req.get("endTime")
    if end is not None:
        end = _int(req, "endTime")
    acct = engine.accounts.get(user)
    fills = [f for f in (acct.fills if acct else []) if f["time"] >= start and (end is None or f["time"] <= end)]
    return fills[:MAX_FILLS_REPLY]


def order_status(engine: SimExchange, req: dict[str, Any]) -> Any:
    user = _user(req)
    oid = req.get("oid")
    if isinstance(oid, str) and is_valid_cloid(oid):
        cloid = oid.lower()
        found = engine.cloids.get((user, cloid)) or engine.user_cloid_history.get((user, cloid))
        oid = found
    elif isinstance(oid, bool) or not isinstance(oid, int):
        raise InfoError("invalid type for field `oid`: expected an integer or a cloid")
    entry = engine.history.get(oid) if oid is not None else None
    if entry is None or engine.history_owner.get(oid) != user:
        return {"status": "unknownOid"}
    order = engine.orders.get(oid)
    if order is not None:
        entry = {"order": engine.frontend_view(order), "status": "open", "statusTimestamp": entry["statusTimestamp"]}
    return {"status": "order", "order": entry}


def user_rate_limit(engine: SimExchange, req: dict[str, Any]) -> Any:
    user = _user(req)
    acct = engine.accounts.get(user)
    used = acct.n_requests_used if acct else 0
    vlm = acct.cum_volume if acct else Decimal(0)
    cap = budget_cap(acct, engine.config.address_initial_budget) if acct else engine.config.address_initial_budget
    return {
        "cumVlm": fmt_usd(vlm),
        "nRequestsUsed": used,
        "nRequestsCap": cap,
        "nRequestsSurplus": 0,
    }


def candle_snapshot(engine: SimExchange, req: dict[str, Any]) -> Any:
    body = req.get("req")
    if not isinstance(body, dict):
        raise InfoError("missing field `req`")
    coin = _coin(engine, body)
    interval = body.get("interval")
    if interval not in CANDLE_MS:
        raise InfoError(f"unknown variant `{interval}` for field `interval`")
    start, end = _int(body, "startTime"), _int(body, "endTime")
    if coin is None:
        return []
    step = CANDLE_MS[interval]
    candles: dict[int, dict[str, Any]] = {}
    for t, px, sz in engine.trade_log[coin]:
        if not start <= t <= end:
            continue
        key = t - t % step
        c = candles.get(key)
        if c is None:
            c = candles[key] = {"t": key, "T": key + step - 1, "s": coin, "i": interval, "o": px, "c": px,
                                "h": px, "l": px, "v": Decimal(0), "n": 0}
        c["c"] = px
        c["h"] = max(c["h"], px)
        c["l"] = min(c["l"], px)
        c["v"] += sz
        c["n"] += 1
    out = []
    for key in sorted(candles)[-5000:]:
        c = candles[key]
        out.append({**c, "o": fmt(c["o"]), "c": fmt(c["c"]), "h": fmt(c["h"]), "l": fmt(c["l"]), "v": fmt(c["v"])})
    return out


def perp_dexs(engine: SimExchange, req: dict[str, Any]) -> Any:
    return [None]


def user_fees(engine: SimExchange, req: dict[str, Any]) -> Any:
    _user(req)
    return {
        "userCrossRate": engine.config.taker_rate,
        "userAddRate": engine.config.maker_rate,
        "activeReferralDiscount": "0.0",
        "dailyUserVlm": [],
    }


def user_role(engine: SimExchange, req: dict[str, Any]) -> Any:
    """`{"role": "agent", "data": {"user": master}}` for an approved agent, `user` for a known account,
    else `missing` (vaults and sub-accounts are not simulated)."""
    user = _user(req)
    master = engine.agents.get(user)
    if master is not None:
        return {"role": "agent", "data": {"user": master}}
    return {"role": "user" if user in engine.accounts else "missing"}


HANDLERS: dict[str, Callable[[SimExchange, dict[str, Any]], Any]] = {
    "meta": meta,
    "spotMeta": spot_meta,
    "metaAndAssetCtxs": meta_and_asset_ctxs,
    "allMids": lambda engine, req: all_mids(engine),
    "l2Book": l2_book,
    "clearinghouseState": clearinghouse,
    "openOrders": open_orders,
    "frontendOpenOrders": frontend_open_orders,
    "userFills": user_fills,
    "userFillsByTime": user_fills_by_time,
    "orderStatus": order_status,
    "userRateLimit": user_rate_limit,
    "candleSnapshot": candle_snapshot,
    "perpDexs": perp_dexs,
    "userFees": user_fees,
    "userRole": user_role,
}


def handle_info(engine: SimExchange, req: Any) -> Any:
    """The reply to one /info body; InfoError (→ 422) when it does not deserialize."""
    if not isinstance(req, dict):
        raise InfoError("expected a JSON object")
    kind = req.get("type")
    handler = HANDLERS.get(kind) if isinstance(kind, str) else None
    if handler is None:
        raise InfoError(f"unknown variant `{kind}`")
    return handler(engine, req)
