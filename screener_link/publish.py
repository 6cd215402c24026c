"""Publish screener snapshots over Redis: a pub/sub message for running nodes, and the same bytes
stored under a key so a node that starts later reads the latest."""

from __future__ import annotations

from urllib.parse import parse_qsl
from urllib.parse import urlencode
from urllib.parse import urlsplit
from urllib.parse import urlunsplit

import redis
from redis.connection import parse_url

from screener_link.payload import ScreenerSnapshot
from screener_link.payload import encode

DEFAULT_CHANNEL = "mm:screener"
DEFAULT_KEY = "mm:screener:latest"


def redact_url(url: str) -> str:
    """`url` with its password (`redis://user:secret@host`, `?password=secret`) replaced by "***",
    for logs and messages."""
    try:
        parts = urlsplit(url)
        if parts.password is not None:
            user = f"{parts.username}:" if parts.username else ":"
            parts = parts._replace(netloc=f"{user}***@{parts.netloc.rpartition('@')[2]}")
        if "password=" in parts.query:
            query = parse_qsl(parts.query, keep_blank_values=True)
            parts = parts._replace(
                query=urlencode([(k, "***" if k == "password" else v) for k, v in query], safe="*")
            )
        return url if parts == urlsplit(url) else urlunsplit(parts)
    except ValueError:
        return "<unparsable url>"


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


class ScreenerPublisher:
    def __init__(
        self,
        redis_url: str,
        channel: str = DEFAULT_CHANNEL,
        key: str = DEFAULT_KEY,
        timeout_s: float = 5.0,
    ) -> None:
        if not channel or not key:
            raise ValueError("channel and key must be non-empty")
        self.channel = channel
        self.key = key
        self._redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s
        )

    def publish(self, snapshot: ScreenerSnapshot) -> int:
        """Store then publish the validated payload atomically; returns the number of subscribers
        that received it. Raises redis.RedisError when Redis cannot be reached."""
        data = encode(snapshot)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(self.key, data)
            pipe.publish(self.channel, data)
            _, receivers = pipe.execute()
        return int(receivers)

    def close(self) -> None:
        self._redis.close()

    def __enter__(self) -> ScreenerPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
