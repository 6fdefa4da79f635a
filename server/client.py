"""A Python client for the town hall API: join, resume with `since`, ops with their own
`op_id` resent until answered, typed frames.

Three layers, as the websockets library draws them. `Session` does no I/O: it makes op frames
(a fresh `op_id` each), reads frames (typed by server/edge/wire_frames.py, so a frame that
does not fit its type is an error here, not later), keeps the `seq` to resume from and the
ops still waiting for an answer. `AsyncClient` (asyncio) and `SyncClient` (threads or gevent,
for Locust) move its bytes and reconnect: after a drop, a restart (1012) or a slow-reader
close (4008) they reconnect with `?since=` and send every unanswered op again, with the
same `op_id`, so it counts once. `server.busy`, `server.unavailable` and `rate.limited` are
"not now": the op is sent again after a growing, jittered delay (docs/PROTOCOL.md §3.3).

    async with AsyncClient(base, code, token) as room:
        ack = await room.op("vote", poll_id=3, choice=0)
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote, urlsplit
from urllib.request import Request, urlopen

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection as SyncConnection
from websockets.sync.client import connect as sync_connect
from websockets.typing import Subprotocol

from server.edge.wire_frames import FRAME_TYPES

__all__ = [
    "AsyncClient",
    "OpRefused",
    "Session",
    "SyncClient",
    "create_room",
    "join_room",
]

RETRY_CODES = frozenset({"server.busy", "server.unavailable", "rate.limited"})
BACKOFF_S = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)  # the web client's, halved at random
# Frames that do not bring the room's seq: acks and pongs can run ahead of the view frames.
_NOT_VIEW = frozenset({"ack", "error", "pong"})


class OpRefused(Exception):
    """The server answered an op with an error that is final (nothing changed)."""

    def __init__(self, frame: dict[str, Any]) -> None:
        super().__init__(f"{frame.get('code')}: {frame.get('message')}")
        self.code = str(frame.get("code"))
        self.frame = frame


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = Request(
        url, json.dumps(body).encode(), {"content-type": "application/json"}, method="POST"
    )
    try:
        with urlopen(request, timeout=10) as response:  # an http(s) URL the caller gave
            return dict(json.loads(response.read()))
    except HTTPError as refused:  # the documented JSON error: raise it as one
        raise OpRefused(json.loads(refused.read()).get("error", {})) from None


def create_room(base: str, title: str, **settings: Any) -> dict[str, Any]:
    """`POST /api/rooms`: the room's code, tokens and links."""
    return _post(f"{base}/api/rooms", {"title": title, **settings})


def join_room(base: str, code: str, **fields: Any) -> dict[str, Any]:
    """`POST /api/rooms/{code}/join`: a participant token for this person."""
    return _post(f"{base}/api/rooms/{quote(code)}/join", fields)


def ws_url(base: str, code: str, token: str, since: int | None) -> str:
    parts = urlsplit(base)
    scheme = "wss" if parts.scheme in ("https", "wss") else "ws"
    url = f"{scheme}://{parts.netloc}/ws/rooms/{quote(code)}?token={quote(token)}"
    return url if since is None else f"{url}&since={since}"


@dataclass
class Session:
    """The client's side of the protocol, without I/O."""

    encoding: str = "json"  # or "msgpack"
    prefix: str = field(default_factory=lambda: secrets.token_hex(4))
    seq: int = 0  # the highest seq of a snapshot or view frame: resume from it
    last_size: int = 0  # bytes of the last frame received
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # sent, not answered
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def subprotocol(self) -> str:
        return f"townhall.v1.{self.encoding}"

    def op(self, op: str, op_id: str | None = None, **fields: Any) -> dict[str, Any]:
        """A new op frame (its own op_id unless given), kept until it is answered."""
        frame = {"op": op, "op_id": op_id or f"{self.prefix}-{next(self._ids)}", **fields}
        self.pending[frame["op_id"]] = frame
        return frame

    def encode(self, frame: dict[str, Any]) -> str | bytes:
        if self.encoding == "msgpack":
            return msgspec.msgpack.encode(frame)
        return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))

    def receive(self, data: str | bytes) -> tuple[dict[str, Any], msgspec.Struct | None]:
        """The frame as sent, and typed (None for a frame type this client does not know:
        the server may add some). Raises msgspec.ValidationError for a known type that does
        not fit: the contract was broken."""
        self.last_size = len(data)
        frame: dict[str, Any] = (
            msgspec.msgpack.decode(data) if isinstance(data, bytes) else json.loads(data)
        )
        kind = FRAME_TYPES.get(str(frame.get("type")))
        typed = msgspec.convert(frame, kind, strict=True) if kind is not None else None
        if frame.get("type") not in _NOT_VIEW and isinstance(frame.get("seq"), int):
            self.seq = max(self.seq, frame["seq"])
        return frame, typed

    def answered(self, frame: dict[str, Any]) -> dict[str, Any] | None:
        """The op frame `frame` answers, if it is an ack or a final error; a "not now" error
        leaves the op pending (send it again later)."""
        if frame.get("type") not in ("ack", "error"):
            return None
        op_id = frame.get("op_id")
        if not isinstance(op_id, str) or op_id not in self.pending:
            return None
        if frame["type"] == "error" and frame.get("code") in RETRY_CODES:
            return None
        return self.pending.pop(op_id)

    def since(self) -> int | None:
        return self.seq or None


def backoff(attempt: int) -> float:
    base = BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)]
    return base / 2 + random.random() * base / 2  # jitter, not a secret


# Close codes after which reconnecting is right: a restart, a slow reader, a lost link.
RECONNECT = frozenset({1001, 1006, 1011, 1012, 1013, 4008})


class AsyncClient:
    """One room over one WebSocket at a time (asyncio); reconnects and resends by itself."""

    def __init__(
        self,
        base: str,
        code: str,
        token: str,
        *,
        encoding: str = "json",
        on_frame: Callable[[dict[str, Any], msgspec.Struct | None], None] | None = None,
    ) -> None:
        self.base, self.code, self.token = base, code, token
        self.session = Session(encoding=encoding)
        self.on_frame = on_frame
        self.frames: list[dict[str, Any]] = []
        self.snapshot: dict[str, Any] | None = None
        self.reconnects = 0
        self._ws: ClientConnection | None = None
        self._answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    async def __aenter__(self) -> AsyncClient:
        await self.connect()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def connect(self) -> None:
        url = ws_url(self.base, self.code, self.token, self.session.since())
        self._ws = await connect(
            url,
            subprotocols=[Subprotocol(self.session.subprotocol)],
            open_timeout=10,
            max_size=2**24,
        )
        self._reader = asyncio.create_task(self._read(self._ws))
        for frame in list(self.session.pending.values()):  # what went unanswered: again
            await self._ws.send(self.session.encode(frame))

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for data in ws:
                frame, typed = self.session.receive(data)
                self.frames.append(frame)
                if frame.get("type") == "snapshot":
                    self.snapshot = frame
                if self.on_frame is not None:
                    self.on_frame(frame, typed)
                self._settle(frame)
        except ConnectionClosed:
            pass
        if not self._closing and (ws.close_code is None or ws.close_code in RECONNECT):
            asyncio.get_running_loop().create_task(self._reconnect())

    def _settle(self, frame: dict[str, Any]) -> None:
        op = self.session.answered(frame)
        if op is not None:
            future = self._answers.pop(op["op_id"], None)
            if future is not None and not future.done():
                future.set_result(frame)
        elif frame.get("type") == "error" and frame.get("op_id") in self._answers:
            future = self._answers[frame["op_id"]]
            if not future.done():
                future.set_result(frame)  # a "not now": `op` waits and sends it again

    async def _reconnect(self) -> None:
        for attempt in itertools.count():
            await asyncio.sleep(backoff(attempt))
            if self._closing:
                return
            try:
                await self.connect()
            except (TimeoutError, OSError, ConnectionClosed):
                continue
            except Exception:  # refused at the handshake (a 4xx): not for retrying blindly
                if attempt >= len(BACKOFF_S):
                    raise
                continue
            self.reconnects += 1
            return

    async def op(
        self, op: str, op_id: str | None = None, within: float = 60, **fields: Any
    ) -> dict[str, Any]:
        """Send an op; its ack. Raises OpRefused for a final error. A "not now" error, or a
        connection lost before the answer, sends it again (same op_id) for up to `within` s."""
        frame = self.session.op(op, op_id, **fields)
        deadline = time.monotonic() + within
        for attempt in itertools.count():
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._answers[frame["op_id"]] = future
            if self._ws is not None:
                with contextlib.suppress(ConnectionClosed):
                    await self._ws.send(self.session.encode(frame))
            answer = await asyncio.wait_for(future, max(0.0, deadline - time.monotonic()))
            if answer["type"] == "ack":
                return answer
            if answer.get("code") not in RETRY_CODES:
                raise OpRefused(answer)
            await asyncio.sleep(min(backoff(attempt), max(0.0, deadline - time.monotonic())))
        raise AssertionError("unreachable")

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], within: float = 10
    ) -> dict[str, Any]:
        deadline = time.monotonic() + within
        seen = 0
        while time.monotonic() < deadline:
            for frame in self.frames[seen:]:
                if predicate(frame):
                    return frame
            seen = len(self.frames)
            await asyncio.sleep(0.02)
        raise TimeoutError("no such frame arrived")

    async def close(self) -> None:
        self._closing = True
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


class SyncClient:
    """The same, blocking (threads, or gevent's greenlets in Locust): `recv` one frame at a
    time; ops are sent with `send_op` and answered through `recv`."""

    def __init__(self, base: str, code: str, token: str, *, encoding: str = "json") -> None:
        self.base, self.code, self.token = base, code, token
        self.session = Session(encoding=encoding)
        self.ws: SyncConnection = self._connect()

    def _connect(self) -> SyncConnection:
        url = ws_url(self.base, self.code, self.token, self.session.since())
        # A context manager on every websockets version: closed with the client.
        self._stack = contextlib.ExitStack()
        ws = self._stack.enter_context(
            sync_connect(
                url,
                subprotocols=[Subprotocol(self.session.subprotocol)],
                open_timeout=20,
                max_size=2**24,
            )
        )
        for frame in list(self.session.pending.values()):
            ws.send(self.session.encode(frame))
        return ws

    def send_op(self, op: str, **fields: Any) -> str:
        frame = self.session.op(op, **fields)
        self.ws.send(self.session.encode(frame))
        return str(frame["op_id"])

    def recv(self, timeout: float | None = None) -> tuple[dict[str, Any], msgspec.Struct | None]:
        """The next frame; after a restart or a drop, reconnects (with since) and goes on."""
        while True:
            try:
                return self.session.receive(self.ws.recv(timeout))
            except ConnectionClosed as closed:
                code = closed.rcvd.code if closed.rcvd is not None else None
                if code is not None and code not in RECONNECT:
                    raise
                self._stack.close()
                time.sleep(backoff(0))
                self.ws = self._connect()

    def close(self) -> None:
        self._stack.close()
