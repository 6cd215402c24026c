"""Where the screener contract lives on Redis, for both sides: the url (checked, and shown with its
password redacted) and the channel and key names (defaults, checked non-empty).

Anywhere a Redis url is configured, `env:NAME` stands for the url environment variable NAME holds:
a password then stays out of config files and `ps`, and out of the actors' config objects (only
Nautilus's cache settings need it as such).

The publisher (`publish`), the node's feed (`feed`), the governor's config and the screener's command
line all check with these, so a url or name one side accepts the other does too.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

from redis.connection import parse_url

DEFAULT_CHANNEL = "mm:screener"
DEFAULT_KEY = "mm:screener:latest"
_USERINFO_PASSWORD = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^:/?#@]*):.*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&]*")
ENV_URL_PREFIX = "env:"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def env_url_name(url: str) -> str | None:
    """NAME of an `env:NAME` url (checked to be a variable's name), None for a url written out."""
    if not url.startswith(ENV_URL_PREFIX):
        return None
    name = url[len(ENV_URL_PREFIX):]
    if not _ENV_NAME.fullmatch(name):
        raise ValueError(f"{url!r} must name an environment variable, e.g. env:MM_REDIS_URL")
    return name


def url_from_env(url: str) -> str:
    """`url`, or for `env:NAME` the url environment variable NAME holds (ValueError when unset)."""
    name = env_url_name(url)
    if name is None:
        return url
    value = os.environ.get(name, "").strip()
    if not value:
        raise ValueError(f"{url}: the environment variable {name} is not set")
    if value.startswith(ENV_URL_PREFIX):
        raise ValueError(f"{url}: {name} holds another env: name, not a url")
    return value


def redact_url(url: str) -> str:
    """`url` with its password (`redis://user:secret@host`, `?password=secret`) replaced by "***",
    for logs and messages. Read off the text, not parsed: a password a URL parser would not find
    (an unencoded '#' or '/' in it) is hidden too, up to the URL's last '@'."""
    url = _USERINFO_PASSWORD.sub(r"\1\2:***@", url, count=1)
    url = _QUERY_PASSWORD.sub(r"\1***", url)
    if "@" in url and "***@" not in url:
        # No `scheme://user:` before it (a mistyped URL, `:pw@host` or `redis//:pw@host`): all of
        # what precedes the last '@' may be the password.
        head, _, tail = url.rpartition("@")
        url = f"{head.split('://', 1)[0] + '://' if '://' in head else ''}***@{tail}"
    return url


def holds_password(url: str) -> bool:
    """Whether `url` as written (not an `env:NAME`) carries a password."""
    return redact_url(url) != url


def check_redis_url(url: str) -> str:
    """`url` (for `env:NAME`, the url NAME holds) if redis-py can connect with it:
    redis://host[:port][/db], rediss://... or unix://path; else ValueError saying why (the password
    redacted)."""
    written, url = url, url_from_env(url)
    source = f" (from {written})" if written != url else ""
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
        raise ValueError(f"bad Redis url {redact_url(url)!r}{source}: {exc}") from None
    return url


def check_redis_name(name: str, what: str = "channel or key") -> str:
    """`name` if it can name a Redis channel or key (not empty, not only blanks); else ValueError."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"expected a non-empty Redis {what} name, got {name!r}")
    return name
