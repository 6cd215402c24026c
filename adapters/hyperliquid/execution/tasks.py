"""How the client's parts run background work.

One-off tasks start under the client's supervision (Nautilus's `create_task`), so a failure is
logged with what the task was doing; loop tasks (the fill audit, the dead man's switch) are
their own and are stopped at disconnect, where cancelling them is normal.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from collections.abc import Coroutine
from typing import Any

# (coroutine, what it does) -> the task.
StartTask = Callable[[Coroutine[Any, Any, Any], str], Any]


async def stop_task(task: asyncio.Task | None) -> None:
    """Cancel a loop task of the client's and wait for it to end."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
