"""Redis broker: committed entries fanned out between processes over Redis pub/sub.

URLs:

- ``redis://host:port/db`` and ``rediss://...`` (TLS): a standalone server (or a
  Sentinel-fronted primary), plain ``PUBLISH`` / ``SUBSCRIBE``.
- ``redis+cluster://host:port`` and ``rediss+cluster://...``: a Redis Cluster (7.0+), with
  sharded pub/sub (``SPUBLISH`` / ``SSUBSCRIBE``), so a message only travels inside the
  shard that owns the room instead of being broadcast over the whole cluster bus. Any node
  of the cluster will do as the seed.

Each room has one channel, ``townhall:{<room>}``: the braces make the room code the
cluster hash tag, so a room's channel always lives on one shard.

Failure model. Pub/sub is fire-and-forget: what is published while a subscriber is away
is lost to it. That is acceptable because only committed entries travel here and every
subscriber backfills gaps from the store, which `on_reconnect` tells the hub to do. So:

- `publish` never raises on an outage: it logs and drops.
- The subscriber owns its reconnection. redis-py's own silent retry is switched off
  (``Retry(NoBackoff(), 0)``): a reconnection it did behind our back would resubscribe
  without telling us that messages were missed.
- A dead server is noticed by a watchdog, not only by socket errors: a SIGSTOPped or
  partitioned Redis keeps the TCP connection open and simply never answers, and redis-py's
  ``health_check_interval`` only sends the PING; with ``get_message(timeout=...)`` a
  missing PONG is never an error. So the reader PINGs when idle and declares the link
  dead when nothing at all has arrived for `dead_after` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Sequence
from typing import Any, Final, Protocol
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.cluster import ClusterPubSub, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from .base import OnMessage, OnReconnect

__all__ = ["CLUSTER_SCHEMES", "RedisBroker", "channel_for", "room_for"]

log = logging.getLogger(__name__)

CHANNEL_PREFIX: Final = "townhall:"
CLUSTER_SCHEMES: Final = {"redis+cluster": "redis", "rediss+cluster": "rediss"}

# Errors that mean "the link is gone"; anything else in the reader is a bug, logged as such.
_LINK_ERRORS: Final = (RedisError, OSError, asyncio.TimeoutError)


def channel_for(room: str) -> str:
    return f"{CHANNEL_PREFIX}{{{room}}}"


def room_for(channel: bytes | str) -> str | None:
    """The room of a ``townhall:{room}`` channel, None for anything else."""
    name = channel.decode() if isinstance(channel, bytes) else channel
    if name.startswith(CHANNEL_PREFIX + "{") and name.endswith("}"):
        return name[len(CHANNEL_PREFIX) + 1 : -1]
    return None


class _Link(Protocol):
    """One subscriber connection (or, on a cluster, one per shard) and its commands."""

    async def open(self) -> None: ...
    async def subscribe(self, channels: Sequence[str]) -> None: ...
    async def unsubscribe(self, channels: Sequence[str]) -> None: ...
    async def read(self, wait: float) -> dict[str, Any] | None: ...
    async def ping(self) -> bool:
        """Send a PING. True when the answer was already awaited, False when it will come
        back through `read` as a ``pong`` message."""
        ...

    async def close(self) -> None: ...


class _StandaloneLink:
    def __init__(self, client: Redis) -> None:
        self._client = client
        self._pubsub: PubSub = client.pubsub()

    async def open(self) -> None:
        await self._pubsub.connect()  # type: ignore[no-untyped-call]

    async def subscribe(self, channels: Sequence[str]) -> None:
        await self._pubsub.subscribe(*channels)

    async def unsubscribe(self, channels: Sequence[str]) -> None:
        await self._pubsub.unsubscribe(*channels)

    async def read(self, wait: float) -> dict[str, Any] | None:
        message: dict[str, Any] | None = await self._pubsub.get_message(timeout=wait)
        return message

    async def ping(self) -> bool:
        await self._pubsub.ping()
        return False

    async def close(self) -> None:
        try:
            await self._pubsub.aclose()  # type: ignore[no-untyped-call]
        finally:
            await self._client.aclose()


class _ClusterLink:
    def __init__(self, client: RedisCluster) -> None:
        self._client = client
        self._pubsub: ClusterPubSub = client.pubsub()
        self._subscribed = asyncio.Event()  # wakes an idle read() on the first SSUBSCRIBE

    async def open(self) -> None:
        await self._client.initialize()

    async def subscribe(self, channels: Sequence[str]) -> None:
        # One SSUBSCRIBE per channel: channels of different rooms are usually on
        # different slots, and a multi-slot SSUBSCRIBE is a CROSSSLOT error.
        for channel in channels:
            await self._pubsub.ssubscribe(channel)
        self._subscribed.set()

    async def unsubscribe(self, channels: Sequence[str]) -> None:
        for channel in channels:
            await self._pubsub.sunsubscribe(channel)

    async def read(self, wait: float) -> dict[str, Any] | None:
        if not self._pubsub.node_pubsub_mapping:
            # Nothing subscribed: get_sharded_message would return at once (busy loop).
            self._subscribed.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._subscribed.wait()
            return None
        # Polls the shards round-robin, a share of `wait` each: keep it short on big clusters.
        message: dict[str, Any] | None = await self._pubsub.get_sharded_message(
            timeout=wait / max(1, len(self._pubsub.node_pubsub_mapping))
        )
        return message

    async def ping(self) -> bool:
        shards = list(self._pubsub.node_pubsub_mapping.values())
        if not shards:
            await self._client.ping()
            return True
        for shard in shards:
            await shard.ping()
        return False

    async def close(self) -> None:
        try:
            await self._pubsub.aclose()
        finally:
            await self._client.aclose()


class RedisBroker:
    def __init__(
        self,
        url: str,
        *,
        ping_interval: float = 1.0,
        dead_after: float = 3.0,
        socket_timeout: float = 2.0,
        backoff_initial: float = 0.1,
        backoff_max: float = 5.0,
    ) -> None:
        parts = urlsplit(url)
        self._cluster = parts.scheme in CLUSTER_SCHEMES
        if self._cluster:
            parts = parts._replace(scheme=CLUSTER_SCHEMES[parts.scheme])
        elif parts.scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"RedisBroker: unsupported URL scheme {parts.scheme!r} in {url!r}")
        self._url = urlunsplit(parts)
        self._ping_interval = ping_interval
        self._dead_after = dead_after
        self._socket_timeout = socket_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._publish_command = "SPUBLISH" if self._cluster else "PUBLISH"

        self._rooms: set[str] = set()
        self._link: _Link | None = None  # set while a link is being opened or is up
        self._up = False
        self._publisher: Redis | RedisCluster | None = None
        self._reader: asyncio.Task[None] | None = None
        self._first_attempt = asyncio.Event()
        self._on_message: OnMessage | None = None
        self._on_reconnect: OnReconnect | None = None
        self._dropping = False  # log an outage's first dropped publish, not every one
        # Channels whose (S)SUBSCRIBE is sent but not yet confirmed by the server.
        self._confirming: dict[str, asyncio.Future[None]] = {}

    # -- the port -------------------------------------------------------------------------

    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect) -> None:
        """Start the reader and wait for its first connection attempt. Does not raise
        when Redis is down: the broker then reports unhealthy and keeps trying."""
        if self._reader is not None:
            raise RuntimeError("RedisBroker.start: already started")
        self._on_message, self._on_reconnect = on_message, on_reconnect
        self._publisher = self._client(publisher=True)
        self._reader = asyncio.create_task(self._read_forever(), name="redis-broker-reader")
        await self._first_attempt.wait()

    async def stop(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        publisher, self._publisher = self._publisher, None
        if publisher is not None:
            await publisher.aclose()

    async def subscribe(self, room: str) -> None:
        """Return once Redis confirmed the subscription, so that whatever the caller reads
        from the store next cannot miss a message. Does not raise on an outage: the next
        connection subscribes, then `on_reconnect` makes the hub backfill."""
        self._rooms.add(room)
        link = self._link
        if link is None:
            return
        channel = channel_for(room)
        confirmed = self._expect(channel)
        try:
            await link.subscribe([channel])
            async with asyncio.timeout(self._socket_timeout):
                await asyncio.shield(confirmed)
        except (*_LINK_ERRORS, TimeoutError) as exc:
            # The reader sees the same failure, reconnects and resubscribes.
            log.debug("redis broker: subscribe %r not confirmed (%r)", room, exc)

    async def unsubscribe(self, room: str) -> None:
        # Not awaited: messages still in flight for the room are filtered out by the reader.
        self._rooms.discard(room)
        link = self._link
        if link is None:
            return
        try:
            await link.unsubscribe([channel_for(room)])
        except _LINK_ERRORS as exc:
            log.debug("redis broker: unsubscribe %r failed (%r)", room, exc)

    async def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        if not messages:
            return
        publisher = self._publisher
        if publisher is None or not self._up:
            # Known outage: drop at once rather than stall the caller for a timeout.
            self._drop(len(messages), "not connected")
            return
        pipe = publisher.pipeline(transaction=False)
        for room, payload in messages:
            pipe.execute_command(self._publish_command, channel_for(room), bytes(payload))
        try:
            await pipe.execute()  # one round trip; execute() also resets the pipeline
        except _LINK_ERRORS as exc:
            self._drop(len(messages), repr(exc))
            return
        if self._dropping:
            self._dropping = False
            log.info("redis broker: publishing again")

    def others_listen(self, room: str) -> bool:
        return True  # other processes subscribe on the Redis server: this one cannot know

    async def healthy(self) -> bool:
        return self._up

    # -- the reader -----------------------------------------------------------------------

    def _client(self, *, publisher: bool = False) -> Redis | RedisCluster:
        options: dict[str, Any] = {
            "socket_timeout": self._socket_timeout,
            "socket_connect_timeout": self._socket_timeout,
        }
        if self._cluster:
            # The cluster client already switches retries off for its node connections.
            return RedisCluster.from_url(self._url, **options)
        if publisher:
            # One immediate retry on a connection error: after a Redis restart the pooled
            # connection is stale and only fails on first use. A resent batch may be
            # delivered twice; subscribers drop entries whose seq they already applied.
            retry = Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,))
        else:
            retry = Retry(NoBackoff(), 0)
        return Redis.from_url(self._url, retry=retry, **options)

    def _new_link(self) -> _Link:
        client = self._client()
        if isinstance(client, RedisCluster):
            return _ClusterLink(client)
        return _StandaloneLink(client)

    async def _read_forever(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._backoff_initial
        while True:
            link = self._new_link()
            try:
                await link.open()
                self._link = link  # before the snapshot: a concurrent subscribe() sends too
                await self._resubscribe(link, loop)
                self._up = True
                delay = self._backoff_initial
                # Every connection but the one start() waited for may have missed
                # messages: a reconnection, or a first connection after a failed start.
                if self._first_attempt.is_set():
                    log.warning(
                        "redis broker: reconnected, resubscribed %d room(s)", len(self._rooms)
                    )
                    await self._call(self._on_reconnect)
                self._first_attempt.set()
                await self._pump(link, loop)
            except _LINK_ERRORS as exc:
                self._lost(exc)
            except Exception:
                # A bug, not an outage; keep the broker alive all the same.
                log.exception("redis broker: reader failed")
                self._lost(None)
            finally:
                self._link = None
                self._up = False
                # Release subscribe() callers; the reconnection will resubscribe their rooms.
                for waiter in self._confirming.values():
                    if not waiter.done():
                        waiter.set_result(None)
                self._confirming.clear()
                with contextlib.suppress(Exception):
                    await link.close()
            self._first_attempt.set()
            # Jitter, so that N processes do not reconnect in lockstep.
            await asyncio.sleep(random.uniform(delay / 2, delay))
            delay = min(delay * 2, self._backoff_max)

    async def _resubscribe(self, link: _Link, loop: asyncio.AbstractEventLoop) -> None:
        """Subscribe every room and wait for the confirmations, so that on_reconnect's
        backfill starts only once nothing published from now on can be missed."""
        channels = [channel_for(r) for r in sorted(self._rooms)]
        if not channels:
            return
        waiters = [self._expect(c) for c in channels]
        await link.subscribe(channels)
        deadline = loop.time() + self._socket_timeout
        while not all(w.done() for w in waiters):
            if loop.time() > deadline:
                raise TimeoutError("Redis did not confirm the subscriptions")
            message = await link.read(wait=0.1)
            if message is not None:
                await self._handle(message)

    def _expect(self, channel: str) -> asyncio.Future[None]:
        waiter = self._confirming.get(channel)
        if waiter is None:
            waiter = self._confirming[channel] = asyncio.get_running_loop().create_future()
        return waiter

    async def _handle(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind in ("message", "smessage"):
            room = room_for(message["channel"])
            if room is not None and room in self._rooms:
                await self._call(self._on_message, room, message["data"])
        elif kind in ("subscribe", "ssubscribe"):
            channel = message["channel"]
            name = channel.decode() if isinstance(channel, bytes) else str(channel)
            waiter = self._confirming.pop(name, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    async def _pump(self, link: _Link, loop: asyncio.AbstractEventLoop) -> None:
        heard = pinged = loop.time()
        poll = min(self._ping_interval, self._dead_after / 3)
        while True:
            message = await link.read(wait=poll)
            now = loop.time()
            if message is not None:
                heard = now
                await self._handle(message)
                continue
            if now - heard > self._dead_after:
                raise TimeoutError(f"no answer from Redis for {now - heard:.1f}s")
            if now - pinged >= self._ping_interval:
                pinged = now
                if await link.ping():
                    heard = loop.time()

    def _lost(self, exc: BaseException | None) -> None:
        if self._up:
            log.warning("redis broker: connection lost (%r); reconnecting", exc)
        else:
            log.debug("redis broker: connection attempt failed (%r)", exc)

    async def _call(self, callback: Any, *args: Any) -> None:
        try:
            await callback(*args)
        except Exception:
            log.exception("redis broker: callback %r failed", callback)

    def _drop(self, count: int, why: str) -> None:
        if not self._dropping:
            self._dropping = True
            log.warning("redis broker: dropped %d message(s) (%s); the store has them", count, why)
        else:
            log.debug("redis broker: dropped %d message(s) (%s)", count, why)
