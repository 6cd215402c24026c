"""The error raised when the node config or the command line is not usable."""

from __future__ import annotations


class ConfigError(ValueError):
    """The node config or the command line is not usable (the message says why)."""


class StartupError(RuntimeError):
    """The node could not start (the message says why); nothing was sent to the exchange."""
