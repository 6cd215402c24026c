"""Argument types for the project's command lines: each parses one value and refuses a bad one
with an `argparse.ArgumentTypeError` that says what was expected (argparse turns it into a usage
error naming the option). Non-finite numbers ("nan", "inf" parse as floats) are refused everywhere.
"""

from __future__ import annotations

import argparse
import math

from adapters.hyperliquid.fees import PERP_FEE_TIERS
from adapters.hyperliquid.fees import perp_fee_tier

# Nautilus's log levels (any other string aborts the process in its Rust logger).
LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "OFF")


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def finite_float(text: str) -> float:
    return _number(text)


def non_negative_float(text: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def positive_float(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


def non_negative_int(text: str) -> int:
    value = _integer(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}")
    return value


def positive_int(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text!r}")
    return value


def port(text: str) -> int:
    value = _integer(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0..65535, got {text!r}")
    return value


def fee_tier(text: str) -> int:
    try:
        return perp_fee_tier(int(text)).tier
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"fee tier must be an integer 0..{len(PERP_FEE_TIERS) - 1}, got {text!r}"
        ) from None
