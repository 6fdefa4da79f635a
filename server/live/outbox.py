"""Where a socket's outgoing bytes go: straight to the transport, or through ASGI.

The fan-out builds each WebSocket frame once per view and tick; writing those bytes to each
socket's transport costs a microsecond or two and never awaits. That needs the uvicorn
sans-I/O protocol object (captured by `server.live.asgi.capture_raw_send`). Any other server falls
back to a bounded queue drained by one sender task per socket. Both report their backlog the
same way, which is how the hub spots a client that stopped reading.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

__all__ = ["AsgiOutbox", "Outbox", "RawOutbox", "make_outbox", "unframe"]

log = logging.getLogger("townhall.outbox")

Send = Callable[[dict[str, Any]], Awaitable[None]]


class Outbox(Protocol):
    def write(self, frame: bytes, text: bool) -> bool:
        """Queue an already framed message. False when the socket is gone or closing."""

    def fan_out(self, text: bool) -> tuple[Callable[[bytes], object], Callable[[], int]]:
        """The cheapest calls that write one shared, framed message and read the backlog
        (the tick's fan-out makes both once per socket per tick). The write may skip the
        closing checks `write` makes only when the socket's protocol reports its closing
        to the Connection itself."""

    def backlog(self) -> int:
        """Bytes written but not yet taken by the peer."""

    def close(self) -> None: ...


class RawOutbox:
    """Writes pre-built frames to uvicorn's transport, bypassing per-message ASGI plumbing."""

    # The transport's methods are looked up once: this runs once per socket per tick.
    __slots__ = ("_buffered", "_closes_reported", "_is_closing", "_proto", "_transport", "_write")

    def __init__(self, proto: Any, closes_reported: bool = False) -> None:
        self._proto = proto
        # The lean protocol (server/live/lean.py) marks the Connection closed the moment a
        # close frame goes out or the transport starts closing, so the fan-out can call the
        # transport's own write with no check of its own: about a microsecond per frame.
        self._closes_reported = closes_reported
        self._transport: asyncio.WriteTransport = proto.transport
        self._write: Callable[[bytes], None] = self._transport.write
        self._is_closing: Callable[[], bool] = self._transport.is_closing
        self._buffered: Callable[[], int] = self._transport.get_write_buffer_size

    def write(self, frame: bytes, text: bool) -> bool:
        proto = self._proto
        if proto.close_sent or proto.disconnected or self._is_closing():
            return False
        self._write(frame)
        return True

    def fan_out(self, text: bool) -> tuple[Callable[[bytes], object], Callable[[], int]]:
        if self._closes_reported:
            return self._write, self._buffered
        return partial(self.write, text=text), self._buffered

    def backlog(self) -> int:
        return self._buffered()

    def close(self) -> None:
        pass

    def fileno(self) -> int:
        """The socket's descriptor, for the tick's worker thread (server/live/thread_fanout.py):
        only where the protocol reports its closes, so a closing socket is never picked."""
        sock = self._transport.get_extra_info("socket") if self._closes_reported else None
        return sock.fileno() if sock is not None else -1

    def limit_kernel_buffer(self, size: int) -> None:
        sock = self._transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)


class AsgiOutbox:
    """Portable path: one sender task per socket draining a bounded queue through ASGI."""

    __slots__ = ("_bytes", "_queue", "_send", "_task")

    def __init__(self, send: Send) -> None:
        self._send = send
        self._queue: asyncio.Queue[tuple[bytes, bool] | None] = asyncio.Queue()
        self._bytes = 0
        self._task = asyncio.get_running_loop().create_task(self._drain())

    def write(self, frame: bytes, text: bool) -> bool:
        if self._task.done():
            return False
        self._queue.put_nowait((frame, text))
        self._bytes += len(frame)
        return True

    def fan_out(self, text: bool) -> tuple[Callable[[bytes], object], Callable[[], int]]:
        return partial(self.write, text=text), self.backlog

    def backlog(self) -> int:
        return self._bytes

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def _drain(self) -> None:
        while (item := await self._queue.get()) is not None:
            frames, text = item
            self._bytes -= len(frames)
            for payload in unframe(frames):
                message: dict[str, Any] = {"type": "websocket.send"}
                message["text" if text else "bytes"] = payload.decode() if text else payload
                try:
                    await self._send(message)
                except Exception:  # the peer went away: the receive loop will clean up
                    log.debug("send failed; dropping the rest of the queue", exc_info=True)
                    return


def unframe(frames: bytes) -> list[bytes]:
    """The payloads of the unmasked frames `server.live.wsframe` built, back to back (a
    tick's frames, a resume's missed ticks): the ASGI path frames each message itself."""
    payloads: list[bytes] = []
    at = 0
    while at < len(frames):
        length = frames[at + 1] & 0x7F
        if length < 126:
            start = at + 2
        elif length == 126:
            length, start = int.from_bytes(frames[at + 2 : at + 4], "big"), at + 4
        else:
            length, start = int.from_bytes(frames[at + 2 : at + 10], "big"), at + 10
        payloads.append(frames[start : start + length])
        at = start + length
    return payloads


def make_outbox(raw_send: Send | None, asgi_send: Send, closes_reported: bool = False) -> Outbox:
    """`closes_reported`: the socket's protocol tells its Connection when it starts closing
    (the lean intake does), so shared frames may go to the transport unchecked."""
    proto = getattr(raw_send, "__self__", None)
    if (
        proto is not None
        and isinstance(proto, WebSocketsSansIOProtocol)  # the lean intake's subclass too
        and hasattr(proto, "transport")
        and hasattr(proto, "close_sent")
        and hasattr(proto, "disconnected")
    ):
        return RawOutbox(proto, closes_reported)
    return AsgiOutbox(asgi_send)
