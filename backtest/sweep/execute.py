"""Cells on Ray: a local Ray instance (every core of this machine) or an existing cluster.

Local: the workers are started from this process's interpreter, whose venv puts the repository
root on sys.path (the .pth file of scripts/setup.sh), so they import the project as this process
does. A cluster's nodes have no checkout: the project's packages a cell imports travel with the
job as Ray `py_modules` (uploaded once per job, a few hundred KB); the nodes must run the pinned
requirements (requirements.txt, constraints.txt) on Python 3.12 and read the catalog at the same
path as this machine (a shared filesystem). Only the path travels, never the data.

Ray is imported here only, when a sweep runs: a plain backtest does not pay for it.
"""

from __future__ import annotations

import importlib.util
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from backtest.sweep.cell import CellTask
from backtest.sweep.cell import empty_row
from backtest.sweep.cell import run_cell
from catalog.shipped_data import PROJECT_ROOT

# What a cell imports: backtest and the packages it may import (the import directions of
# docs/architecture.md); tests/backtest/test_sweep_execute.py holds this list to what a cell loads.
CELL_PACKAGES = ("adapters", "backtest", "catalog", "cli_types", "hlsim", "mm_strategy", "screener_link", "simulation")
# The object store holds only the cells' rows (a few hundred bytes each): Ray's default, 30 % of the
# machine's memory, would reserve gigabytes of /dev/shm for nothing.
LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024


def cluster_runtime_env() -> dict[str, Any]:
    """The runtime_env of a job on a cluster: the project's packages as py_modules."""
    return {
        "py_modules": [str(PROJECT_ROOT / p) for p in CELL_PACKAGES],
        "excludes": ["__pycache__", "*.pyc"],
    }


def check_address(address: str) -> str:
    """`address` if ray.init can take it: "auto" (the cluster this node belongs to), HOST:PORT (a
    cluster's head, from a node of that cluster) or ray://HOST:PORT (Ray Client, which needs the
    ray[client] extra); raises ValueError otherwise."""
    if address == "auto":
        return address
    if address.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        raise ValueError(f"--ray-address {address}: ray:// (Ray Client) needs the ray[client] extra, which is not "
                         "installed; run the sweep on a node of the cluster with --ray-address HEAD:PORT or auto")
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"--ray-address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    return address


def _check_answers(address: str, timeout_s: float = 5.0) -> None:
    """Raises ConnectionError when nothing listens at a HOST:PORT address: Ray itself would retry
    for minutes before giving up."""
    if address == "auto":
        return  # Ray looks for the local cluster and says at once when there is none
    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ConnectionError(f"no Ray cluster answers at {address}: {exc}") from None


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[int]:
    """Ray for one sweep; yields the number of CPUs the cells can use.

    `address` None starts a new local instance with `num_cpus` (default: every core) and stops it
    afterwards; an address joins that cluster. When Ray is already up in this process (a test's
    fixture, a notebook) it is used as it is and left running."""
    import ray

    if ray.is_initialized():
        yield max(1, int(ray.cluster_resources().get("CPU", 1)))
        return
    common: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING, "include_dashboard": False}
    if address is None:
        # "local": a new instance even where another one runs (another user's, another sweep's).
        ray.init(address="local", num_cpus=num_cpus, object_store_memory=LOCAL_OBJECT_STORE_BYTES, **common)
    else:
        _check_answers(check_address(address))
        ray.init(address=address, runtime_env=cluster_runtime_env(), **common)
    try:
        yield max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        ray.shutdown()


class CellPool:
    """Cells in flight on Ray; each takes one CPU. `next_done` hands back rows as cells finish."""

    def __init__(self) -> None:
        import ray

        self._ray = ray
        # No retries: a cell is deterministic, so a retry would fail again (or crash the next worker).
        self._remote = ray.remote(num_cpus=1, max_retries=0)(run_cell)
        self._pending: dict[Any, CellTask] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def submit(self, task: CellTask) -> None:
        self._pending[self._remote.remote(task)] = task

    def next_done(self) -> dict[str, Any]:
        """The row of the next cell to finish (blocks); a worker lost under a cell fails that cell."""
        ready, _ = self._ray.wait(list(self._pending), num_returns=1)
        task = self._pending.pop(ready[0])
        try:
            return self._ray.get(ready[0])
        except self._ray.exceptions.RayError as exc:
            row = empty_row(task)
            row["error"] = f"{type(exc).__name__}: {exc}"
            return row
