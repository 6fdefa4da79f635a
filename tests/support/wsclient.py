"""A small client written from docs/PROTOCOL.md only: what an integrator would write."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from typing import Any

import httpx
import msgpack
from websockets.asyncio.client import ClientConnection, connect

__all__ = ["Client", "create_room", "join", "results_of"]

_ids = itertools.count(1)


def create_room(http: str, title: str = "Council meeting", **settings: Any) -> dict[str, Any]:
    response = httpx.post(f"{http}/api/rooms", json={"title": title, **settings}, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def join(http: str, code: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(f"{http}/api/rooms/{code}/join", json=fields, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def results_of(frame: dict[str, Any], poll_id: int) -> dict[str, Any] | None:
    """The results a frame carries for a poll: a `poll.tally`, or any poll frame with results.

    Ticks coalesce: ballots cast in the same tick as, say, a reveal arrive inside the
    `poll.revealed` frame, not as a separate tally.
    """
    if frame.get("type") == "poll.tally" and frame.get("poll_id") == poll_id:
        return frame["results"]  # type: ignore[no-any-return]
    poll = frame.get("poll")
    if isinstance(poll, dict) and poll.get("poll_id") == poll_id and "results" in poll:
        return poll["results"]  # type: ignore[no-any-return]
    if frame.get("type") == "snapshot":
        for poll in frame["room"].get("polls", []):
            if poll.get("poll_id") == poll_id and "results" in poll:
                return poll["results"]  # type: ignore[no-any-return]
    return None


class Client:
    """Keeps every frame it receives; `op` sends and waits for the matching ack or error."""

    def __init__(self, ws: ClientConnection, binary: bool) -> None:
        self.ws = ws
        self.binary = binary
        self.frames: list[dict[str, Any]] = []
        self.seq = 0
        self._answers: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._arrived = asyncio.Event()
        self._reader = asyncio.get_running_loop().create_task(self._read())
        self.closed: asyncio.Future[tuple[int | None, str]] = (
            asyncio.get_running_loop().create_future()
        )

    @classmethod
    async def open(
        cls,
        ws_base: str,
        code: str,
        token: str,
        *,
        since: int | None = None,
        binary: bool = False,
        origin: str | None = None,
        source: str | None = None,
    ) -> Client:
        """`source`: the loopback address to connect from (127.0.0.2 ... look like other
        people to the server's per-address limits)."""
        url = f"{ws_base}/ws/rooms/{code}?token={token}"
        if since is not None:
            url += f"&since={since}"
        protocol = "townhall.v1.msgpack" if binary else "townhall.v1.json"
        ws = await connect(
            url,
            subprotocols=[protocol],
            origin=origin,
            max_size=2**24,  # type: ignore[list-item, arg-type]
            open_timeout=10,
            ping_interval=None,
            **({"local_addr": (source, 0)} if source else {}),
        )
        return cls(ws, binary)

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
                self.frames.append(frame)
                if isinstance(frame.get("seq"), int) and frame["type"] != "ack":
                    self.seq = max(self.seq, frame["seq"])
                op_id = frame.get("op_id")
                if frame["type"] in ("ack", "error") and op_id in self._answers:
                    future = self._answers.pop(op_id)
                    if not future.done():
                        future.set_result(frame)
                self._arrived.set()
        except Exception:
            pass
        finally:
            if not self.closed.done():
                self.closed.set_result((self.ws.close_code, self.ws.close_reason or ""))
            self._arrived.set()

    async def send(self, op: str, op_id: str | None = None, **fields: Any) -> str:
        op_id = op_id or f"op-{next(_ids)}"
        frame = {"op": op, "op_id": op_id, **fields}
        await self.ws.send(msgpack.packb(frame) if self.binary else json.dumps(frame))
        return op_id

    async def op(
        self, op: str, op_id: str | None = None, timeout: float = 10, **fields: Any
    ) -> dict[str, Any]:
        op_id = op_id or f"op-{next(_ids)}"
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._answers[op_id] = future
        await self.send(op, op_id, **fields)
        return await asyncio.wait_for(future, timeout)

    async def wait_for(self, predicate: Any, timeout: float = 10) -> dict[str, Any]:
        """The first frame (already received or arriving) for which predicate(frame) is true."""
        deadline = asyncio.get_running_loop().time() + timeout
        checked = 0
        while True:
            while checked < len(self.frames):
                frame = self.frames[checked]
                checked += 1
                if predicate(frame):
                    return frame
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0 or self.closed.done():
                raise TimeoutError(
                    f"no matching frame; got types {[f['type'] for f in self.frames][-20:]}"
                )
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), remaining)

    async def close(self) -> None:
        await self.ws.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
