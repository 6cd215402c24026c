"""One live node per account and coin on a machine. A second one's start-up sweep would cancel the
first's ladder as "left by an earlier run", and then both would quote: two ladders, twice the
exposure, each node counting the other's orders as its own.

Each quoted coin of each account is an exclusive `flock` on a file in the machine's temporary
folder (shared by every checkout), held for the life of the process: the kernel releases it
whatever way the process ends (kill -9 included), so no stale lock outlives a node.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from live.errors import StartupError

LOCK_DIR = Path(tempfile.gettempdir()) / "hl-mm-locks"


class InstanceLocks:
    """The locks of this process's node; `release` (or the process's end) frees them."""

    def __init__(self) -> None:
        self._fds: list[int] = []

    def acquire(self, account: str, coins: list[str], lock_dir: Path = LOCK_DIR) -> None:
        """Every (account, coin) lock, or a `StartupError` naming the node that holds one (none is
        kept then). Exit 1: a supervisor retries after a pause, by when a node still shutting
        down has gone."""
        lock_dir.mkdir(parents=True, exist_ok=True)
        for coin in sorted(set(coins)):
            path = lock_dir / f"{account.lower()}_{coin}.lock"
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                os.close(fd)
                self.release()
                raise StartupError(
                    f"another node (pid {holder}) already trades {coin} for account {account} on this machine "
                    f"({path}): stop it first; a second one would cancel its orders at start-up and then quote "
                    "a second ladder beside it. Nothing was sent"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            self._fds.append(fd)

    def release(self) -> None:
        for fd in self._fds:
            os.close(fd)  # closing the descriptor drops its flock
        self._fds.clear()
