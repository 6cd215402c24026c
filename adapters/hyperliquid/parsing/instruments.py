"""Hyperliquid perpetuals as Nautilus `CryptoPerpetual`s, from `meta` replies or inferred from data.

- Id `COIN-USD-PERP.HYPERLIQUID`; quote and settlement USDC (Hyperliquid perps are USDC-margined;
  the id keeps the exchange's "USD" naming).
- Size precision = `szDecimals`; price precision = `6 - szDecimals` (the perp limit on decimals),
  tick 10^-(6 - szDecimals). Prices are *also* limited to 5 significant figures (integers always
  valid), which a fixed tick cannot express: `common/prices.py` holds that rule.
- Minimum order value $10; maker/taker fees from the fee tier (`fees.py`).
- `szDecimals` comes from a `meta` reply when one is given, else `infer_sz_decimals` guesses it
  from observed sizes and prices (a lower bound: the caller logs a warning).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

from nautilus_trader.model.currencies import USDC
from nautilus_trader.model.identifiers import InstrumentId
from nautilus_trader.model.identifiers import Symbol
from nautilus_trader.model.instruments import CryptoPerpetual
from nautilus_trader.model.objects import Currency
from nautilus_trader.model.objects import Money
from nautilus_trader.model.objects import Price
from nautilus_trader.model.objects import Quantity

from adapters.hyperliquid.common.constants import HYPERLIQUID_VENUE
from adapters.hyperliquid.common.fees import perp_fees
from adapters.hyperliquid.common.prices import MAX_SZ_DECIMALS
from adapters.hyperliquid.common.prices import PERP_MAX_DECIMALS
from adapters.hyperliquid.common.prices import decimals_of
from adapters.hyperliquid.common.prices import price_precision_for

log = logging.getLogger(__name__)

MIN_NOTIONAL_USD = 10


def instrument_id_for(coin: str) -> InstrumentId:
    """`COIN-USD-PERP.HYPERLIQUID` for a perp coin name as Hyperliquid spells it (e.g. `kPEPE`)."""
    if not coin or any(c in coin for c in " .-"):
        raise ValueError(f"invalid Hyperliquid coin name {coin!r}")
    return InstrumentId(Symbol(f"{coin}-USD-PERP"), HYPERLIQUID_VENUE)


def coin_of(instrument_id: InstrumentId | str) -> str:
    """The coin of a `COIN-USD-PERP.HYPERLIQUID` id."""
    symbol = str(instrument_id).split(".", 1)[0]
    if not symbol.endswith("-USD-PERP"):
        raise ValueError(f"not a Hyperliquid perp instrument id: {instrument_id}")
    return symbol.removesuffix("-USD-PERP")


def perp_instrument(
    coin: str,
    sz_decimals: int,
    fee_tier: int = 0,
    ts_ns: int = 0,
    max_leverage: int | None = None,
    asset_index: int | None = None,
) -> CryptoPerpetual:
    """The `CryptoPerpetual` for a Hyperliquid perp with `szDecimals = sz_decimals`."""
    if not isinstance(sz_decimals, int) or not 0 <= sz_decimals <= MAX_SZ_DECIMALS:
        raise ValueError(f"{coin}: szDecimals must be an integer 0..{MAX_SZ_DECIMALS}, got {sz_decimals!r}")
    maker, taker = perp_fees(fee_tier)
    price_precision = price_precision_for(sz_decimals)
    margin_init = margin_maint = None
    if max_leverage is not None:
        if max_leverage <= 0:
            raise ValueError(f"{coin}: maxLeverage must be positive, got {max_leverage}")
        # Hyperliquid's maintenance margin is half the initial margin at max leverage.
        margin_init = Decimal(1) / Decimal(max_leverage)
        margin_maint = margin_init / 2
    info: dict[str, Any] = {"coin": coin, "szDecimals": sz_decimals, "feeTier": fee_tier}
    if max_leverage is not None:
        info["maxLeverage"] = max_leverage
    if asset_index is not None:
        info["asset"] = asset_index
    return CryptoPerpetual(
        instrument_id=instrument_id_for(coin),
        raw_symbol=Symbol(coin),
        base_currency=Currency.from_str(coin, strict=False),
        quote_currency=USDC,
        settlement_currency=USDC,
        is_inverse=False,
        price_precision=price_precision,
        size_precision=sz_decimals,
        price_increment=Price(10.0**-price_precision, price_precision),
        size_increment=Quantity(10.0**-sz_decimals, sz_decimals),
        ts_event=ts_ns,
        ts_init=ts_ns,
        min_notional=Money(MIN_NOTIONAL_USD, USDC),
        margin_init=margin_init,
        margin_maint=margin_maint,
        maker_fee=maker,
        taker_fee=taker,
        info=info,
    )


# -- meta replies -------------------------------------------------------------------------------------


def meta_universe(meta_json: Any) -> list[dict[str, Any]]:
    """The `universe` of a `meta` reply, a `metaAndAssetCtxs` reply, either wrapped as
    `{"request", "response"}` (the shipped info files), their JSON text, or a universe list."""
    if isinstance(meta_json, str | bytes):
        meta_json = json.loads(meta_json)
    if isinstance(meta_json, dict) and "response" in meta_json and "universe" not in meta_json:
        meta_json = meta_json["response"]
    if isinstance(meta_json, list) and meta_json and isinstance(meta_json[0], dict):
        if "universe" not in meta_json[0] and "szDecimals" in meta_json[0]:
            meta_json = {"universe": meta_json}  # already a universe list
        else:
            meta_json = meta_json[0]  # metaAndAssetCtxs: [meta, ctxs]
    if not isinstance(meta_json, dict) or not isinstance(meta_json.get("universe"), list):
        raise ValueError("not a Hyperliquid meta reply: expected an object with a 'universe' list")
    universe = meta_json["universe"]
    for i, asset in enumerate(universe):
        if not isinstance(asset, dict) or not isinstance(asset.get("name"), str):
            raise ValueError(f"meta universe entry {i} has no 'name': {asset!r}")
        if not isinstance(asset.get("szDecimals"), int):
            raise ValueError(f"meta universe entry {asset['name']} has no integer 'szDecimals'")
    return universe


def load_meta_file(path: str | Path) -> list[dict[str, Any]]:
    """Read a saved meta reply (see `meta_universe` for the accepted shapes)."""
    try:
        return meta_universe(Path(path).read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a JSON meta reply ({exc})") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def instruments_from_meta(
    meta_json: Any,
    fee_tier: int = 0,
    ts_ns: int = 0,
    include_delisted: bool = True,
) -> dict[str, CryptoPerpetual]:
    """Instruments by coin for every perp in a meta reply (asset index = position in `universe`)."""
    out: dict[str, CryptoPerpetual] = {}
    for index, asset in enumerate(meta_universe(meta_json)):
        if asset.get("isDelisted") and not include_delisted:
            continue
        out[asset["name"]] = perp_instrument(
            asset["name"],
            asset["szDecimals"],
            fee_tier=fee_tier,
            ts_ns=ts_ns,
            max_leverage=asset.get("maxLeverage"),
            asset_index=index,
        )
    return out


# -- inference from data ------------------------------------------------------------------------------


def infer_sz_decimals(sizes: Iterable[str], prices: Iterable[str] = ()) -> int:
    """Best guess of `szDecimals` from observed size and price strings.

    The most decimals seen in a size is a lower bound of szDecimals; prices bound it from above
    (price decimals ≤ 6 − szDecimals). With few observations the guess can be too low, hence the
    warning callers log: pass a `meta` reply to be sure.
    """
    sz_dec = max((decimals_of(s) for s in sizes), default=None)
    px_dec = max((decimals_of(p) for p in prices), default=0)
    if sz_dec is None:
        raise ValueError("cannot infer szDecimals: no sizes observed")
    if sz_dec > MAX_SZ_DECIMALS:
        raise ValueError(f"observed sizes with {sz_dec} decimals: more than any Hyperliquid perp allows")
    if px_dec + sz_dec > PERP_MAX_DECIMALS:
        raise ValueError(
            f"observed sizes with {sz_dec} decimals and prices with {px_dec}: "
            f"inconsistent with price decimals ≤ {PERP_MAX_DECIMALS} − szDecimals"
        )
    return sz_dec
