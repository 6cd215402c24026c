"""Where the screener contract lives on Redis, for both sides: the url (checked, and shown with its
password redacted) and the channel and key names (defaults, checked non-empty).

The publisher (`publish`), the node's feed (`feed`), the governor's config and the screener's command
line all check with these, so a url or name one side accepts the other does too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from redis.connection import parse_url

DEFAULT_CHANNEL = "mm:screener"
DEFAULT_KEY = "mm:screener:latest"
_USERINFO_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^:/?#@]*):.*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*")


def redact_url(url: str) -> str:
    """`url` with its password (`redis://user:secret@host`, `?password=secret`) replaced by "***",
    for logs and messages. Read off the text, not parsed: a password a URL parser would not find
    (an unencoded '#' or '/' in it) is hidden too, up to the URL's last '@'."""
    url = _USERINFO_PASSWORD.sub(r"\1\2:***@", url, count=1)
    return _QUERY_PASSWORD.sub(r"\1***", url)


def check_redis_url(url: str) -> str:
    """`url` if redis-py can connect with it: redis://host[:port][/db], rediss://... or
    unix://path; else ValueError saying why (the password redacted)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # ValueError when not a number or out of 0..65535
        parse_url(url)  # the scheme and the query options (db, timeouts)
        if port == 0:
            raise ValueError("port must be within 1..65535")
        if parts.scheme != "unix":
            if not parts.hostname:
                raise ValueError("no host")
            # redis-py silently ignores a path that is not a db number (redis://host/x → db 0).
            if parts.path.strip("/") and not parts.path.strip("/").isdigit():
                raise ValueError(f"the path must be a database number, got {parts.path!r}")
        elif not parts.path:
            raise ValueError("no socket path")
    except ValueError as exc:
        raise ValueError(f"bad Redis url {redact_url(url)!r}: {exc}") from None
    return url


def check_redis_name(name: str, what: str = "channel or key") -> str:
    """`name` if it can name a Redis channel or key (not empty, not only blanks); else ValueError."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"expected a non-empty Redis {what} name, got {name!r}")
    return name
