"""Small shared helpers of the adapter."""

from __future__ import annotations

from typing import Protocol


class LogLike(Protocol):
    """What the adapter's plain modules need from a logger: Nautilus's `Logger` or `logging.Logger`.

    Messages are passed preformatted (one string), which both accept.
    """

    def debug(self, message: str) -> None: ...

    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def error(self, message: str) -> None: ...
