"""The cheapest WebSocket client we could write: one asyncio Protocol per socket, no tasks.

A load generator must cost less per socket than the server it measures, or it measures
itself. So: no library, no per-message task or future, no copy of a frame it does not need
to look at. Frames from the server are parsed in place (`on_message(data, start, end)`);
client frames use the all-zero masking key, which RFC 6455 allows (the key must be present,
not unpredictable to the server), so masking is a no-op. Pings are answered (the server
closes sockets that do not pong within 20 s). Fragmented messages are not supported: the
server under test never fragments.

Also a minimal keep-alive HTTP/1.1 JSON client for the joins.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Callable
from typing import Any, cast

__all__ = ["HttpConn", "WsSocket", "open_ws", "text_frame"]

_ZERO_MASK = b"\x00\x00\x00\x00"


def text_frame(payload: bytes, opcode: int = 1) -> bytes:
    size = len(payload)
    if size < 126:
        header = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    return header + _ZERO_MASK + payload


class WsSocket(asyncio.Protocol):
    """One client socket. Subclass or set `on_message`; `opened` resolves after the 101."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.upgraded = False
        self.closed = False
        self.close_code: int | None = None
        self.handshake_status = 0
        self.error: str | None = None
        self._head = b""
        self._buf = b""
        self.opened: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    # -- override -----------------------------------------------------------------------

    def on_message(self, data: bytes, start: int, end: int) -> None:
        """A complete text or binary message: `data[start:end]` (not copied)."""

    def on_closed(self) -> None:
        """The TCP connection went away (after a close frame or not)."""

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)
        self.transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.opened.done():
            self.opened.set_result(False)
            if self.error is None:
                self.error = "connection lost during handshake"
        self.on_closed()

    def data_received(self, data: bytes) -> None:
        if not self.upgraded:
            head = self._head + data
            end = head.find(b"\r\n\r\n")
            if end < 0:
                self._head = head
                return
            self._head = b""
            status = head[9:12]
            self.handshake_status = int(status) if status.isdigit() else 0
            if self.handshake_status != 101:
                self.error = f"handshake {self.handshake_status}"
                if not self.opened.done():
                    self.opened.set_result(False)
                self.abort()
                return
            self.upgraded = True
            if not self.opened.done():
                self.opened.set_result(True)
            data = head[end + 4 :]
            if not data:
                return
        if self._buf:
            data = self._buf + data
            self._buf = b""
        pos = 0
        total = len(data)
        while total - pos >= 2:
            first = data[pos]
            size = data[pos + 1] & 0x7F
            header = 2
            if size == 126:
                if total - pos < 4:
                    break
                size = int.from_bytes(data[pos + 2 : pos + 4], "big")
                header = 4
            elif size == 127:
                if total - pos < 10:
                    break
                size = int.from_bytes(data[pos + 2 : pos + 10], "big")
                header = 10
            end = pos + header + size
            if end > total:
                break
            opcode = first & 0x0F
            if opcode == 1 or opcode == 2:
                self.on_message(data, pos + header, end)
            elif opcode == 9:  # ping: answer with the same payload
                self._write(text_frame(data[pos + header : end], opcode=10))
            elif opcode == 8:
                body = data[pos + header : end]
                self.close_code = int.from_bytes(body[:2], "big") if len(body) >= 2 else 1005
                self._write(text_frame(body[:2], opcode=8))
                if self.transport is not None:
                    self.transport.close()
                return
            pos = end
        if pos < total:
            self._buf = data[pos:]

    # -- sending ---------------------------------------------------------------------------

    def _write(self, frame: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def send_text(self, payload: bytes) -> bool:
        if self.closed or not self.upgraded or self.transport is None:
            return False
        if self.transport.is_closing():
            return False
        self.transport.write(text_frame(payload))
        return True

    def send_json(self, obj: dict[str, Any]) -> bool:
        return self.send_text(json.dumps(obj, separators=(",", ":")).encode())

    def close(self, code: int = 1000) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._write(text_frame(code.to_bytes(2, "big"), opcode=8))
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def pause_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.pause_reading()

    def resume_reading(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()


def handshake_request(host: str, port: int, path: str, protocol: str | None) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
    ]
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


async def open_ws(
    factory: Callable[[], WsSocket],
    host: str,
    port: int,
    *,
    source: str | None = None,
    rcvbuf: int = 0,
    timeout: float = 20.0,  # noqa: ASYNC109 (two waits share it)
) -> WsSocket:
    """Connect from `source` (a 127.0.0.x address), do the handshake; check `.error`."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setblocking(False)
    try:
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source:
            sock.bind((source, 0))
        await asyncio.wait_for(loop.sock_connect(sock, (host, port)), timeout)
    except BaseException:
        sock.close()
        raise
    _, proto = await loop.create_connection(factory, sock=sock)
    try:
        await asyncio.wait_for(asyncio.shield(proto.opened), timeout)
    except TimeoutError:
        proto.error = "handshake timeout"
        proto.abort()
    return proto


class HttpConn:
    """One keep-alive HTTP/1.1 connection speaking JSON (Content-Length bodies only)."""

    def __init__(self, host: str, port: int, source: str | None = None) -> None:
        self.host = host
        self.port = port
        self.source = source
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        local = (self.source, 0) if self.source else None
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, local_addr=local
        )

    async def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, token: str | None = None
    ) -> tuple[int, Any]:
        for attempt in range(2):
            if self._writer is None:
                await self._connect()
            assert self._reader is not None and self._writer is not None
            data = json.dumps(body).encode() if body is not None else b""
            head = [
                f"{method} {path} HTTP/1.1",
                f"Host: {self.host}:{self.port}",
                "Content-Type: application/json",
                f"Content-Length: {len(data)}",
            ]
            if token:
                head.append(f"Authorization: Bearer {token}")
            try:
                self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
                raw = await self._reader.readuntil(b"\r\n\r\n")
                status = int(raw[9:12])
                length = 0
                for line in raw.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                payload = await self._reader.readexactly(length) if length else b""
                return status, (json.loads(payload) if payload else None)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            self._reader = None
