"""Wire formatting matches the SDK's: float_to_wire rules and action key order."""

from __future__ import annotations

import math
from decimal import localcontext

import msgpack
import pytest
from hyperliquid.utils import signing as sdk
from hyperliquid.utils.types import Cloid
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from adapters.hyperliquid.signing import batch_modify_action
from adapters.hyperliquid.signing import cancel_action
from adapters.hyperliquid.signing import cancel_by_cloid_action
from adapters.hyperliquid.signing import float_to_wire
from adapters.hyperliquid.signing import modify_action
from adapters.hyperliquid.signing import modify_wire
from adapters.hyperliquid.signing import order_action
from adapters.hyperliquid.signing import order_wire
from adapters.hyperliquid.signing import schedule_cancel_action
from adapters.hyperliquid.signing import validate_cloid

FAST = settings(max_examples=1000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

decimal_floats = st.builds(
    lambda mantissa, decimals, sign: sign * mantissa / 10**decimals,
    st.integers(0, 10**12),
    st.integers(0, 12),
    st.sampled_from([1, -1]),
)
noisy_floats = st.builds(lambda x, eps: x + eps, decimal_floats, st.sampled_from([1e-13, 1e-12, 1e-11, 1e-9, 3e-9]))
any_finite = st.floats(allow_nan=False, allow_infinity=False)


def _sdk_outcome(x: float) -> str | type[Exception]:
    try:
        return sdk.float_to_wire(x)
    except ValueError:
        return ValueError


def _our_outcome(x: float) -> str | type[Exception]:
    try:
        return float_to_wire(x)
    except ValueError:
        return ValueError


@FAST
@given(st.one_of(decimal_floats, noisy_floats, any_finite))
def test_float_to_wire_matches_the_sdk_including_when_it_raises(x: float) -> None:
    assert _our_outcome(x) == _sdk_outcome(x)


@pytest.mark.parametrize(
    ("x", "wire"),
    [(100.0, "100"), (1670.1, "1670.1"), (0.0147, "0.0147"), (0.00000001, "0.00000001"), (1e8, "100000000"),
     (0.0, "0"), (-0.0, "-0"), (123.45600000, "123.456")],
)
def test_float_to_wire_examples(x: float, wire: str) -> None:
    assert float_to_wire(x) == wire == sdk.float_to_wire(x)


# Around the 28 significant digits of the default decimal context, past which the SDK's
# Decimal.normalize() rounds (e.g. 2**70 prints as 1180591620717411303424, 22 digits + 8 decimals).
@pytest.mark.parametrize(
    "x",
    [1e18, 12345678901234567.0, 1e19 + 2048, 1e20, 123456789012345678901.0, 2.0**70, 1e25 + 2**31, 1e300,
     -1e20, -(2.0**70), 9999999999999998.0, 0.99999999, -0.00000001, 5e-324, -5e-324],
)
def test_float_to_wire_matches_the_sdk_around_the_decimal_precision(x: float) -> None:
    assert _our_outcome(x) == _sdk_outcome(x)


@pytest.mark.parametrize("prec", [5, 12, 20, 28, 40])
@pytest.mark.parametrize("x", [1670.1, 0.0147, 123456.12345678, 1e20, 2.0**70, 0.00000001])
def test_float_to_wire_follows_the_decimal_context_like_the_sdk(prec: int, x: float) -> None:
    with localcontext() as ctx:
        ctx.prec = prec
        assert _our_outcome(x) == _sdk_outcome(x)


@pytest.mark.parametrize("x", [0.123456789, 1.000000001, 1e-9])
def test_float_to_wire_raises_when_8_decimals_would_round(x: float) -> None:
    with pytest.raises(ValueError, match="rounding"):
        float_to_wire(x)


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf])
def test_float_to_wire_refuses_non_finite_values(x: float) -> None:
    # Deliberate difference: the SDK would put "NaN"/"Infinity" on the wire.
    with pytest.raises(ValueError, match="non-finite"):
        float_to_wire(x)


@pytest.mark.parametrize("x", ["1.0", None, True])
def test_float_to_wire_refuses_non_numbers(x: object) -> None:
    with pytest.raises(TypeError):
        float_to_wire(x)  # type: ignore[arg-type]


prices = st.builds(lambda m, d: m / 10**d, st.integers(1, 10**7), st.integers(0, 8))
cloids = st.integers(0, 2**128 - 1).map(lambda n: f"{n:#034x}")


@FAST
@given(
    asset=st.integers(0, 200_000),
    is_buy=st.booleans(),
    px=prices,
    sz=prices,
    reduce_only=st.booleans(),
    tif=st.sampled_from(["Alo", "Gtc", "Ioc"]),
    cloid=st.none() | cloids,
)
def test_order_wire_packs_exactly_like_the_sdks(
    asset: int, is_buy: bool, px: float, sz: float, reduce_only: bool, tif: str, cloid: str | None
) -> None:
    request = {
        "coin": "X",
        "is_buy": is_buy,
        "sz": sz,
        "limit_px": px,
        "order_type": {"limit": {"tif": tif}},
        "reduce_only": reduce_only,
        "cloid": None if cloid is None else Cloid(cloid),
    }
    ours = order_action([order_wire(asset, is_buy, px, sz, reduce_only, tif, cloid)])  # type: ignore[arg-type]
    theirs = sdk.order_wires_to_order_action([sdk.order_request_to_order_wire(request, asset)])
    assert msgpack.packb(ours) == msgpack.packb(theirs)


def test_order_wire_key_order_is_a_b_p_s_r_t_c() -> None:
    wire = order_wire(4, False, 3000.5, 0.5, True, "Alo", "0x0000000000000000000000000000abcd")
    assert list(wire) == ["a", "b", "p", "s", "r", "t", "c"]
    assert wire == {"a": 4, "b": False, "p": "3000.5", "s": "0.5", "r": True, "t": {"limit": {"tif": "Alo"}},
                    "c": "0x0000000000000000000000000000abcd"}


def test_order_wire_without_cloid_has_no_c_key() -> None:
    assert "c" not in order_wire(1, True, 100, 1, False, "Gtc")


@pytest.mark.parametrize("tif", ["alo", "FOK", "", None])
def test_order_wire_rejects_unknown_tif(tif: object) -> None:
    with pytest.raises(ValueError, match="tif"):
        order_wire(1, True, 100, 1, False, tif)  # type: ignore[arg-type]


@pytest.mark.parametrize("asset", [-1, 1.0, "1", True])
def test_order_wire_rejects_bad_asset(asset: object) -> None:
    with pytest.raises(ValueError, match="asset"):
        order_wire(asset, True, 100, 1, False, "Alo")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "cloid",
    [
        "0x1",
        "00000000000000000000000000000000ab",
        "0x0000000000000000000000000000000g",
        "0x" + "0" * 33,
        "0X" + "0" * 32,
        "0x" + "0" * 32 + "\n",
        "0x" + "0" * 31 + "\u0663",  # an Arabic-Indic digit
        "0x" + "0" * 15 + "_" + "0" * 16,
        " 0x" + "0" * 31,
    ],
)
def test_bad_cloid_is_rejected(cloid: str) -> None:
    with pytest.raises(ValueError, match="cloid"):
        validate_cloid(cloid)


def test_cancel_action_shape() -> None:
    assert msgpack.packb(cancel_action([(4, 123456), (0, 987654321)])) == msgpack.packb(
        {"type": "cancel", "cancels": [{"a": 4, "o": 123456}, {"a": 0, "o": 987654321}]}
    )


def test_cancel_by_cloid_action_shape() -> None:
    action = cancel_by_cloid_action([(4, "0x0000000000000000000000000000abcd")])
    assert msgpack.packb(action) == msgpack.packb(
        {"type": "cancelByCloid", "cancels": [{"asset": 4, "cloid": "0x0000000000000000000000000000abcd"}]}
    )


def test_batch_modify_action_equals_the_shipped_vector(signing_vectors: dict) -> None:
    (vector,) = [v for v in signing_vectors["vectors"] if v["name"] == "batch_modify" and v["mainnet"]]
    action = batch_modify_action([modify_wire(42, order_wire(4, True, 3000.5, 0.5, False, "Alo"))])
    assert msgpack.packb(action) == msgpack.packb(vector["action"])


def test_modify_action_key_order() -> None:
    action = modify_action(7, order_wire(4, True, 1, 1, False, "Alo"))
    assert list(action) == ["type", "oid", "order"]


def test_modify_by_cloid_keeps_the_cloid_string() -> None:
    assert modify_wire("0x0000000000000000000000000000abcd", {})["oid"] == "0x0000000000000000000000000000abcd"


def test_schedule_cancel_action_with_and_without_time() -> None:
    assert schedule_cancel_action() == {"type": "scheduleCancel"}
    assert list(schedule_cancel_action(123456789).items()) == [("type", "scheduleCancel"), ("time", 123456789)]
    with pytest.raises(ValueError, match="time"):
        schedule_cancel_action(-1)


@pytest.mark.parametrize(("px", "sz"), [(0.0, 1.0), (-1.0, 1.0), (100.0, 0.0), (100.0, -0.5)])
def test_order_wire_rejects_non_positive_price_or_size(px: float, sz: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        order_wire(1, True, px, sz, False, "Alo")
