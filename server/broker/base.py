"""The fan-out port between processes: committed entries, published after commit.

A broker carries only what the store already holds, so a lost message costs latency, never
data: every subscriber tracks the last seq it applied per room and backfills gaps from the
store. Payloads are bytes (the hub's msgpack of committed entries); the in-memory broker
copies them too, so that it behaves like the real one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

__all__ = ["Broker", "OnMessage", "OnReconnect"]

OnMessage = Callable[[str, bytes], Awaitable[None]]
"""Called with (room, payload) for every message on a subscribed room, in arrival order."""

OnReconnect = Callable[[], Awaitable[None]]
"""Called after the broker lost and regained its connection: messages may have been missed."""


class Broker(Protocol):
    async def start(self, on_message: OnMessage, on_reconnect: OnReconnect) -> None:
        """Connect and begin delivering; reconnect by itself with backoff when cut off."""

    async def stop(self) -> None: ...

    async def subscribe(self, room: str) -> None: ...

    async def unsubscribe(self, room: str) -> None: ...

    async def publish(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Publish (room, payload) pairs in one round trip (pipelined). Never raises on a
        broker outage: the store has the data, subscribers will backfill."""

    async def healthy(self) -> bool: ...

    def others_listen(self, room: str) -> bool:
        """Might a process other than this one hear what is published on `room`? A broker
        that cannot tell says True. When nobody else can, the hub publishes nothing: it has
        applied every entry it would hear back (one process, the embedded default)."""
