"""Loading the agent (API wallet) key from the environment or a key file, without ever showing it."""

from __future__ import annotations

import os
import re
from pathlib import Path

_KEY_RE = re.compile(r"^(0x)?[0-9a-fA-F]{64}$")


class AgentKey:
    """A private key that refuses to print itself (repr/str show only that it is redacted)."""

    __slots__ = ("_hex",)

    def __init__(self, key_hex: str) -> None:
        key_hex = key_hex.strip()
        if not _KEY_RE.match(key_hex):
            # Never echo the value: a malformed key is still mostly a key.
            raise ValueError("agent key must be 64 hex digits (optionally 0x-prefixed)")
        self._hex = key_hex if key_hex.startswith("0x") else "0x" + key_hex

    def reveal(self) -> str:
        """The key as 0x-hex, for the signer only."""
        return self._hex

    def __repr__(self) -> str:
        return "AgentKey(<redacted>)"

    __str__ = __repr__

    def __reduce__(self) -> None:  # never pickled into a cache or a subprocess
        raise TypeError("AgentKey cannot be pickled")


def load_agent_key(env_var: str, key_file: str | None) -> AgentKey:
    """The key file when given, else the environment variable; a clear error when neither holds a key."""
    if key_file is not None:
        path = Path(key_file).expanduser()
        if not path.is_file():
            raise FileNotFoundError(f"agent key file not found: {path}")
        return AgentKey(path.read_text())
    if looks_like_a_key(env_var):
        # The key itself where the variable's name belongs: say so without echoing it.
        raise ValueError("agent_key_env holds no environment variable name (it looks like a private key, "
                         "or part of one): it takes the name of a variable that holds the key, never the key")
    value = os.environ.get(env_var)
    if not value:
        raise KeyError(f"agent key not found: set the environment variable {env_var} or give key_file")
    return AgentKey(value)


def looks_like_a_key(text: str) -> bool:
    """Not to be shown as a variable's name: a long run of hex digits (a key, whole or cut short) or
    anything that is no environment variable name at all."""
    return _LONG_HEX.search(text) is not None or _ENV_NAME.fullmatch(text) is None


_LONG_HEX = re.compile(r"[0-9a-fA-F]{24,}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
