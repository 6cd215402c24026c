"""How a run ends: the errors that stop it before it starts, and the exit codes a supervisor sees.

The exit codes are defined here only (the README's service-script section and
`scripts/start_mm_bot.sh` document them for operators):

| code | meaning | restart? |
|---|---|---|
| 0 `CLEAN` | stopped on SIGINT/SIGTERM or after `--run-secs`; no order left on the exchange | no |
| 1 `FAULT` | could not start, or stopped on a fault of the outside world (the exchange, Redis, a component that failed) | yes |
| 2 `CONFIG` | the config or the command line is not usable | no (fix the config) |
| 3 `ORDERS_LEFT` | orders remained open on the exchange after the wind-down (or could not be verified) | yes (the start-up sweep cancels them) |
"""

from __future__ import annotations

import enum


class ExitCode(enum.IntEnum):
    CLEAN = 0
    FAULT = 1
    CONFIG = 2
    ORDERS_LEFT = 3


class ConfigError(ValueError):
    """The node config or the command line is not usable (the message says why)."""


class StartupError(RuntimeError):
    """The node could not start (the message says why); nothing was sent to the exchange."""
