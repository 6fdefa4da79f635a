"""One WebSocket as the hub sees it: who, which view, what it has been sent, how far behind."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from moderation.roles import Role
from server.live.codec import Encoding, encode, wire_frame
from server.live.outbox import Outbox
from server.live.ratelimit import Bucket

__all__ = ["CLOSE_LAGGING", "CLOSE_RESTART", "Connection"]

CLOSE_LAGGING = 4008  # stopped reading: reconnect with ?since=<last seq> to resume
CLOSE_BANNED = 4003
CLOSE_RESTART = 1012  # server restarting: reconnect (possibly to another process)
CLOSE_POLICY = 1008

_ids = itertools.count(1)


class Connection:
    __slots__ = (
        "_close",
        "_closing",
        "_put",
        "bucket",
        "buffered",
        "closed",
        "encoding",
        "fd",
        "hard_limit",
        "held",
        "id",
        "ip",
        "lag_started",
        "lean",
        "outbox",
        "participant_id",
        "put",
        "refused_in_a_row",
        "role",
        "room",
        "sent_seq",
        "text",
    )

    def __init__(
        self,
        *,
        room: str,
        role: Role,
        participant_id: str,
        encoding: Encoding,
        outbox: Outbox,
        ip: str,
        bucket: Bucket,
        close: Callable[[int, str], None],
        hard_limit: int = 1024 * 1024,
    ) -> None:
        self.id = next(_ids)
        self.room = room
        self.role = role
        self.participant_id = participant_id
        self.encoding = encoding
        self.text = encoding is Encoding.JSON  # text frames (JSON) or binary (msgpack)
        self.outbox = outbox
        # The fan-out's two calls per socket per tick, looked up once (server/live/audience.py
        # `Delivery.write`): how far behind the peer is, and the write of a shared frame.
        self.put, self.buffered = outbox.fan_out(self.text)
        self._put = self.put
        # The socket's descriptor where the tick's worker thread may write to it (a lean
        # socket, server/live/thread_fanout.py), else -1.
        fileno = getattr(outbox, "fileno", None)
        self.fd: int = fileno() if fileno is not None else -1
        self.held: list[bytes] | None = None  # what waits while the worker writes to it
        self._closing: tuple[int, str] | None = None
        self.ip = ip
        self.bucket = bucket
        self._close = close
        self.hard_limit = hard_limit
        self.sent_seq = 0  # the seq of the last view frame this socket was given
        self.lag_started: float | None = None  # set while frames are being skipped
        self.refused_in_a_row = 0
        self.closed = False
        self.lean = False  # its frames come through the lean intake (server/live/lean.py)

    def push(self, frame: bytes, seq: int, soft_limit: int, now: float) -> None:
        """Give this socket a shared, pre-built view frame, or skip it if the peer lags.
        (`Delivery.write` does the same inline, for thousands of sockets a tick.)"""
        if self.closed or self.lag_started is not None:
            return
        if self.buffered() > soft_limit:
            self.lag_started = now
            return
        self.put(frame)
        self.sent_seq = seq

    def send(self, obj: dict[str, Any]) -> None:
        """A frame for this socket alone (acks, errors, personal notices). Never skipped: a
        peer that lets them pile up past the hard limit is closed instead (it resumes)."""
        if self.closed:
            return
        if self.buffered() > self.hard_limit:
            self.close(CLOSE_LAGGING, "too slow: reconnect with ?since=<last seq>")
            return
        self.put(wire_frame(encode(obj, self.encoding), self.encoding))

    def close(self, code: int, reason: str) -> None:
        if not self.closed:
            self.closed = True
            if self.held is not None:
                self._closing = (code, reason)  # after the worker's send, and what waited
                return
            self._close(code, reason)

    def hold(self) -> None:
        """The worker thread is writing to this socket: what the loop writes waits."""
        held: list[bytes] = []
        self.held = held
        self.put = held.append

    def release(self, first: bytes | None = None) -> None:
        """The worker's send is back: `first` (what of its frame the kernel did not take),
        then what waited, then a close asked for meanwhile."""
        held = self.held or ()
        self.held = None
        put = self.put = self._put
        if first:
            put(first)
        for frame in held:
            put(frame)
        if self._closing is not None:
            code, reason = self._closing
            self._closing = None
            self._close(code, reason)


def schedule_close(websocket_close: Callable[[int, str], Any]) -> Callable[[int, str], None]:
    """Closing goes through ASGI; do it in a task so the fan-out never awaits a socket."""

    def close(code: int, reason: str) -> None:
        asyncio.get_running_loop().create_task(websocket_close(code, reason))

    return close
