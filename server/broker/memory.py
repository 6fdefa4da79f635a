"""In-process broker: the embedded default, and the stand-in for Redis in tests.

Several `MemoryBroker`s sharing one `MemoryBus` behave like processes on one Redis server:
every broker subscribed to a room gets every message published on it, its own included.
It copies payloads and always delivers from its own task, never from inside `publish`, so
code that works against it does not depend on anything the real broker cannot promise.

`MemoryBus.set_down(True)` simulates an outage (publish drops, `healthy()` is False, and on
recovery every started broker calls `on_reconnect`), so the hub's backfill path can be
tested without a Redis server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Final

from .base import OnMessage, OnReconnect

__all__ = ["MemoryBroker", "MemoryBus"]

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE: Final = 10_000

# Queued in place of a message when the subscriber must resync, like a Redis client that
# was disconnected for being too slow (client-output-buffer-limit) and came back.
_RESYNC: Final = None

_Item = tuple[str, bytes] | None


class MemoryBus:
    """What the brokers of one "server" share: who listens to which room."""

    def __init__(self) -> None:
        self._rooms: dict[str, set[MemoryBroker]] = {}
        self._brokers: set[MemoryBroker] = set()
        self._down = False

    @property
    def down(self) -> bool:
        return self._down

    def set_down(self, down: bool) -> None:
        """Simulate losing (True) or regaining (False) the server."""
        if self._down and not down:
            for broker in self._brokers:
                broker._enqueue(_RESYNC)
        self._down = down

    def _attach(self, broker: MemoryBroker) -> None:
        self._brokers.add(broker)

    def _detach(self, broker: MemoryBroker) -> None:
        self._brokers.discard(broker)
        for room in list(self._rooms):
            self._leave(room, broker)

    def _join(self, room: str, broker: MemoryBroker) -> None:
        self._rooms.setdefault(room, set()).add(broker)

    def _leave(self, room: str, broker: MemoryBroker) -> None:
        members = self._rooms.get(room)
        if members is not None:
            members.discard(broker)
            if not members:
                del self._rooms[room]

    def _publish(self, room: str, payload: bytes) -> None:
        for broker in self._rooms.get(room, ()):
            broker._enqueue((room, payload))

    def _others(self, room: str, broker: MemoryBroker) -> bool:
        return any(member is not broker for member in self._rooms.get(room, ()))


_default_bus = MemoryBus()


def default_bus() -> MemoryBus:
    """The bus shared by every `MemoryBroker()` built without one (one server process)."""
    return _default_bus


class MemoryBroker:
    def __init__(self, hub: MemoryBus | None = None, *, queue_size: int = DEFAULT_QUEUE_SIZE):
        self._bus = hub if hub is not None else _default_bus
        # Bounded so a stuck subscriber cannot eat the process; on overflow it resyncs.
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(maxsize=queue_size)
        self._task: asyncio.Task[None] | None = None
        self._on_message: OnMessage | None = None
        self._on_reconnect: OnReconnect | None = None

    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect) -> None:
        if self._task is not None:
            raise RuntimeError("MemoryBroker.start: already started")
        self._on_message, self._on_reconnect = on_message, on_reconnect
        self._bus._attach(self)
        self._task = asyncio.create_task(self._deliver(), name="memory-broker")

    async def stop(self) -> None:
        self._bus._detach(self)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def subscribe(self, room: str) -> None:
        self._bus._join(room, self)

    async def unsubscribe(self, room: str) -> None:
        self._bus._leave(room, self)
        # Like Redis, anything already queued for the room may still arrive; the hub
        # ignores rooms it no longer hosts.

    async def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        if self._bus.down:
            log.warning("memory broker down: dropped %d message(s)", len(messages))
            return
        for room, payload in messages:
            self._bus._publish(room, bytes(payload))

    async def healthy(self) -> bool:
        return self._task is not None and not self._bus.down

    def others_listen(self, room: str) -> bool:
        return self._bus._others(room, self)

    def _enqueue(self, item: _Item) -> None:
        if self._task is None:
            return
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            # Drop what is queued and ask for a resync: the store has everything.
            log.warning("memory broker subscriber overflowed: resyncing")
            while not self._queue.empty():
                self._queue.get_nowait()
            self._queue.put_nowait(_RESYNC)

    async def _deliver(self) -> None:
        assert self._on_message is not None and self._on_reconnect is not None
        while True:
            item = await self._queue.get()
            try:
                if item is None:  # _RESYNC
                    await self._on_reconnect()
                else:
                    await self._on_message(*item)
            except Exception:
                # A failing callback must not stop delivery to the others.
                log.exception("memory broker callback failed")
