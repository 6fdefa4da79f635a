"""Fan-out between processes, chosen by URL; implementations are imported lazily so the
embedded server never imports redis.

- ``memory://``: in-process (one server process, zero setup).
- ``redis://``, ``rediss://``: a standalone Redis, PUBLISH / SUBSCRIBE.
- ``redis+cluster://``, ``rediss+cluster://``: a Redis Cluster, sharded pub/sub.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .base import Broker, OnMessage, OnReconnect

__all__ = ["Broker", "OnMessage", "OnReconnect", "open_broker"]


def open_broker(url: str) -> Broker:
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        from .memory import MemoryBroker

        return MemoryBroker()
    if scheme in ("redis", "rediss", "redis+cluster", "rediss+cluster"):
        from .redis import RedisBroker

        return RedisBroker(url)
    raise ValueError(
        f"unknown broker URL scheme {scheme!r} in {url!r}: expected memory://, redis://, "
        "rediss://, redis+cluster:// or rediss+cluster://"
    )
