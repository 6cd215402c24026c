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

import contextlib
import importlib.util
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from backtest.sweep.cell import CellTask
from backtest.sweep.cell import data_span_s
from backtest.sweep.cell import empty_row
from backtest.sweep.cell import run_cell
from catalog.shipped_data import PROJECT_ROOT

# What a cell imports: backtest and the packages it may import (the import directions of
# docs/architecture.md); tests/backtest/test_sweep_execute.py holds this list to what a cell loads.
CELL_PACKAGES = ("adapters", "backtest", "catalog", "cli_types", "hlsim", "mm_strategy", "screener_link", "simulation")
# The object store holds only the cells' rows (a few hundred bytes each): Ray's default, 30 % of the
# machine's memory, would reserve gigabytes of /dev/shm for nothing.
LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024
CELL_MODULE = run_cell.__module__  # what a local worker imports as it starts
WAIT_STEP_SECS = 0.5  # the longest a Ctrl-C waits to be heard while cells run


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
    scheme, sep, _ = address.partition("://")
    if sep and scheme != "ray":
        raise ValueError(f"--ray-address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto (not {scheme}://)")
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
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s) as conn:
            grpc = _speaks_grpc(conn, timeout_s)
    except OSError as exc:
        raise ConnectionError(f"no Ray cluster answers at {address}: {exc}") from None
    if not grpc:
        # Ray would wait for it without end, deaf to Ctrl-C (Redis, whose port 6379 is also Ray's default).
        raise ConnectionError(f"what answers at {address} is not a Ray head (its GCS, a gRPC server, answers "
                              "HTTP/2; this did not): is it Redis or another service? Start the head on a port "
                              "of its own (ray start --head --port PORT)")


# An HTTP/2 client's connection preface and an empty SETTINGS frame: a gRPC server answers with its
# own SETTINGS frame (frame type 4, the header's fourth byte).
_HTTP2_HELLO = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_HTTP2_SETTINGS = 4


def _speaks_grpc(conn: socket.socket, timeout_s: float) -> bool:
    conn.settimeout(timeout_s)
    try:
        conn.sendall(_HTTP2_HELLO)
        head = b""
        while len(head) < 4:
            chunk = conn.recv(9 - len(head))
            if not chunk:
                return False
            head += chunk
    except OSError:
        return False
    return head[3] == _HTTP2_SETTINGS


class RayStart:
    """Ray for one sweep, started (or joined) in a background thread: the driver goes on with its
    own preparation (making the cells, loading Optuna) while Ray's processes come up, which takes
    seconds and leaves the cores mostly idle. `wait` blocks until Ray is up; `stop` ends it.

    The thread lives until `stop` and shuts Ray down itself: Ray's processes are started with the
    kernel's parent-death signal, which fires when the starting *thread* ends, not the process.

    `address` None starts a new local instance with `num_cpus` (default: every core); an address
    joins that cluster. When Ray is already up in this process (a test's fixture, a notebook) it
    is used as it is and left running."""

    def __init__(self, address: str | None = None, num_cpus: int | None = None) -> None:
        self._error: BaseException | None = None
        self._up = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._own, args=(address, num_cpus), name="ray", daemon=True)
        running = sys.modules.get("ray")  # not imported: not running (the import is the thread's, too)
        if running is not None and running.is_initialized():
            self._up.set()
            return
        if address is not None:
            _check_answers(check_address(address))  # at once: Ray itself would retry for minutes
        _keep_sigterm_exit()
        self._thread.start()

    def _own(self, address: str | None, num_cpus: int | None) -> None:
        common: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.WARNING, "include_dashboard": False}
        try:
            import ray

            if address is None:
                # "local": a new instance even where another one runs (another user's, another sweep's).
                # Worker prestart: the raylet boots a worker per CPU as it starts, not once this driver
                # has connected, and each imports the cell's code (~0.9 s) before it takes work, while
                # this driver is still connecting: the first cells start ~0.3 s sooner on 2 cores.
                with _lean_head(ray):
                    ray.init(address="local", num_cpus=num_cpus, object_store_memory=LOCAL_OBJECT_STORE_BYTES,
                             _system_config={"enable_worker_prestart": True, "preload_python_modules": [CELL_MODULE]},
                             **common)
            else:
                ray.init(address=address, runtime_env=cluster_runtime_env(), **common)
        except BaseException as exc:  # handed to the driver by wait()
            self._error = exc
            return
        finally:
            self._up.set()
        self._stopping.wait()
        ray.shutdown()

    def wait(self) -> int:
        """The number of CPUs the cells can use, once Ray is up; raises what starting it raised."""
        self._up.wait()
        if self._error is not None:
            raise self._error
        import ray

        return max(1, int(ray.cluster_resources().get("CPU", 1)))

    def stop(self, *, wait: bool = True) -> None:
        """Shut down the Ray this started (a Ray found running is left running). `wait` False
        returns at once, so that the driver writes its outputs meanwhile; `stop()` later waits."""
        self._stopping.set()
        if wait and self._thread.ident is not None:
            self._thread.join()


class _SigtermNotice(logging.Filter):
    """Drops ray.init's notice that it set no SIGTERM handler off the main thread: `_keep_sigterm_exit` does."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("SIGTERM handler is not set")


def _keep_sigterm_exit() -> None:
    """What ray.init does on the main thread, which it cannot do from RayStart's: SIGTERM exits the
    driver through its atexit hooks (Ray's shutdown among them). A handler already set is kept."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(signum))
    ray_worker_log = logging.getLogger("ray._private.worker")
    if not any(isinstance(f, _SigtermNotice) for f in ray_worker_log.filters):
        ray_worker_log.addFilter(_SigtermNotice())


# The head processes a local sweep never uses, left out of its start (`_lean_head`): Ray's API server
# (the dashboard's head process; the sweep uses none of its HTTP APIs, and ray.init waits for it to
# publish its address), the autoscaler's monitor (one machine has nothing to autoscale; at shutdown
# it also reported to the stopped GCS until Ray's one-second grace ran out) and the log monitor
# (it streams the workers' output to the driver, which ray.init's log_to_driver=False turns away;
# the output stays in Ray's session logs). Each is a Python process that takes ~0.5 s of CPU to
# start, on the same two cores as the raylet's own processes: ~1 s of every sweep's start here.
_UNUSED_HEAD_PROCESSES = ("start_api_server", "start_monitor", "start_log_monitor")


@contextmanager
def _lean_head(ray: Any) -> Iterator[None]:
    """A local instance started without `_UNUSED_HEAD_PROCESSES` (`ray start --head --no-monitor`
    does the same for the monitor; ray.init has no such option). Ray's internals (pinned in
    constraints.txt); restored after ray.init, so a later ray.init in this process (a cluster's, a
    notebook's) is Ray's own."""
    node_class = ray._private.node.Node
    # Only a speed-up: a name a later Ray no longer has is left alone (that process then starts).
    saved = {name: getattr(node_class, name) for name in _UNUSED_HEAD_PROCESSES if hasattr(node_class, name)}
    for name in saved:
        setattr(node_class, name, lambda self, *args, **kwargs: None)
    try:
        yield
    finally:
        for name, method in saved.items():
            setattr(node_class, name, method)


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[int]:
    """Ray for one block; yields the number of CPUs the cells can use (see `RayStart`)."""
    ray = RayStart(address, num_cpus)
    try:
        yield ray.wait()
    finally:
        ray.stop()


def longest_first(cells: list[CellTask]) -> list[CellTask]:
    """The cells in the order to submit them: the most data to replay first (ties keep their
    order), so that the last to finish are short ones and no core idles long at the end."""
    return sorted(cells, key=data_span_s, reverse=True)


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
        ready: list[Any] = []
        while not ready:  # in steps, so that Ctrl-C is heard between them
            ready, _ = self._ray.wait(list(self._pending), num_returns=1, timeout=WAIT_STEP_SECS)
        task = self._pending.pop(ready[0])
        try:
            return self._ray.get(ready[0])
        except self._ray.exceptions.RayError as exc:
            row = empty_row(task)
            row["error"] = f"{type(exc).__name__}: {exc}"
            return row

    def cancel_all(self) -> int:
        """Cancel every cell not finished (their workers are stopped); returns how many."""
        pending, self._pending = list(self._pending), {}
        for ref in pending:
            with contextlib.suppress(Exception):
                self._ray.cancel(ref, force=True)
        return len(pending)
