"""µs per L1 signature and recovery for a 6-order batch: ours vs the official SDK in the same run.

Run: .venv/bin/python bench/signing.py   (writes bench/results/signing.json)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

import bench_paths  # noqa: F401  (first: takes bench/ off sys.path)
import eth_account
from hyperliquid.utils import signing as sdk

from adapters.hyperliquid.signing import L1Signer
from adapters.hyperliquid.signing import order_action
from adapters.hyperliquid.signing import order_wire
from adapters.hyperliquid.signing import recover_l1_signer

KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"  # the SDK's public test key
NONCE = 1700000000123
RESULT = Path(__file__).resolve().parent / "results" / "signing.json"


def six_order_batch() -> dict[str, Any]:
    return order_action(
        [
            order_wire(4, i % 2 == 0, 1670.1 + i, round(0.0147 * (i + 1), 4), False, "Alo", f"{i + 1:#034x}")
            for i in range(6)
        ]
    )


def median_us(fn: Callable[[], Any], iterations: int, warmup: int = 50) -> float:
    for _ in range(warmup):
        fn()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(iterations):
        start = clock()
        fn()
        samples.append(clock() - start)
    return statistics.median(samples) / 1000


def main() -> None:
    signer = L1Signer(KEY)
    wallet = eth_account.Account.from_key(KEY)
    action = six_order_batch()
    signature = signer.sign_action(action, NONCE, is_mainnet=True)
    if signature != sdk.sign_l1_action(wallet, action, None, NONCE, None, True):
        raise SystemExit("our signature differs from the SDK's: refusing to benchmark")

    sign_us = median_us(lambda: signer.sign_action(action, NONCE, is_mainnet=True), 20000)
    recover_us = median_us(lambda: recover_l1_signer(action, signature, NONCE, is_mainnet=True), 20000)
    build_and_sign_us = median_us(lambda: signer.sign_action(six_order_batch(), NONCE, is_mainnet=True), 10000)
    sdk_sign_us = median_us(lambda: sdk.sign_l1_action(wallet, action, None, NONCE, None, True), 2000, warmup=20)
    sdk_recover_us = median_us(
        lambda: sdk.recover_agent_or_user_from_l1_action(action, signature, None, NONCE, None, True), 1000, warmup=10
    )

    result = {
        "sign_us": round(sign_us, 2),
        "recover_us": round(recover_us, 2),
        "sdk_sign_us": round(sdk_sign_us, 2),
        "speedup": round(sdk_sign_us / sign_us, 1),
        "command": ".venv/bin/python bench/signing.py",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    print(f"6-order batch, median per call ({sys.platform}, python {sys.version.split()[0]})")
    print(f"  ours sign          {sign_us:9.1f} µs   (target ≤ 100)")
    print(f"  ours recover       {recover_us:9.1f} µs")
    print(f"  ours build + sign  {build_and_sign_us:9.1f} µs   (incl. 6 order_wire/float_to_wire)")
    print(f"  SDK sign_l1_action {sdk_sign_us:9.1f} µs")
    print(f"  SDK recover        {sdk_recover_us:9.1f} µs")
    print(f"  speedup (sign)     {sdk_sign_us / sign_us:9.1f} x")
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {RESULT}")


if __name__ == "__main__":
    main()
