"""Publish screener snapshots over Redis: a pub/sub message for running nodes, and the same bytes
stored under a key so a node that starts later reads the latest."""

from __future__ import annotations

import redis

from screener_link.payload import ScreenerSnapshot
from screener_link.payload import encode
from screener_link.redis_target import DEFAULT_CHANNEL
from screener_link.redis_target import DEFAULT_KEY
from screener_link.redis_target import check_redis_name
from screener_link.redis_target import check_redis_url


class ScreenerPublisher:
    def __init__(
        self,
        redis_url: str,
        channel: str = DEFAULT_CHANNEL,
        key: str = DEFAULT_KEY,
        timeout_s: float = 5.0,
    ) -> None:
        self.channel = check_redis_name(channel, "channel")
        self.key = check_redis_name(key, "key")
        self._redis = redis.Redis.from_url(
            check_redis_url(redis_url), socket_connect_timeout=timeout_s, socket_timeout=timeout_s
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
