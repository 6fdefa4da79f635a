"""The lean intake: client frames go from the WebSocket protocol straight to the edge.

Through ASGI, every client frame is a message dict on a per-socket queue, a read paused and
resumed, and a wake-up of the socket's own task, which holds its coroutine stack (Starlette's
route, middleware, the endpoint) for the socket's whole life. `LeanWebSocketProtocol` is
uvicorn's sans-I/O WebSocket protocol with one change: once the endpoint has admitted a
socket and `adopt`ed it, complete messages are handed to the socket's `Receiver` in the
protocol's own callback, at most MESSAGES_PER_TURN per turn of the loop (the rest wait
with reading paused), and the endpoint returns. The handshake, the
admission and every check on a frame are the endpoint's, exactly as before; only the
plumbing between the parser and those checks is gone. Writes already bypass ASGI
(`server.live.outbox.RawOutbox`); closing does too (`close_now`).

Once the handshake is done, the small, whole, masked text and binary frames that make up
nearly all of a phone's traffic are cut off the stream and unmasked in C (`_wsread.split`,
server/live/_wsread.c) instead of going through websockets' generator-based parser; every
other frame, and anything while that parser is partway through one, is still websockets'.

`server.tools.cli` serves with this class; under any other server the endpoint keeps its
ASGI receive loop. `townhall_connections_by_intake` in /metrics says which one is in use.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from starlette.types import Scope
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State
from websockets.streams import StreamReader

from server.live.asgi import RAW_SEND
from server.live.intake_turns import IntakeTurns, turns_of

__all__ = ["SPLIT", "LeanWebSocketProtocol", "Receiver", "lean_socket"]

log = logging.getLogger("townhall.ws")

# Messages one socket may have handled per turn of the event loop (as many as the ASGI path
# managed). The rest wait, with the socket's reading paused, for the next turn: a flood from
# thousands of sockets at once holds the loop for this many messages each, and commits and
# acks run in between. Without this bound one turn handled every buffered message of every
# socket: at 20,000 votes/s offered the loop stalled for a minute and nothing was acked.
MESSAGES_PER_TURN = 1

try:  # client frames split in C (server/live/_wsread.c); else websockets parses them all
    from server.live import _wsread
except ImportError:  # pragma: no cover - built wherever a C compiler was at install
    _wsread = None  # type: ignore[assignment]

# websockets' frame parser waits here, and only here, between two frames with nothing of
# the next one read: the one state in which the stream may be split past it.
_BETWEEN_FRAMES = StreamReader.at_eof.__code__
# A frame this large or larger is never split here: websockets refuses it (1009).
_NO_LIMIT = 1 << 62
_STUCK = -1  # the split's `need` where a frame only websockets reads comes next
# A split's count before adoption (the ASGI queue takes every frame) and while closing.
_UNLIMITED = 1 << 62

# Frames one split cuts off an adopted socket's bytes. A socket's frames are handled one
# per turn (MESSAGES_PER_TURN), and in a surge a held socket, read again, brings hundreds at
# once (its kernel buffer's worth): split all at once, each waited as a Python object (a
# tuple, the payload, its text), and thousands of sockets so held the surge's backlog in
# the heap (`burst` in make bench: 282,000 frames, the RSS growing 5 MB every 5 s). The
# rest stay as the bytes they came in, one bytearray per socket, cut up as they are handled.
FRAMES_PER_SPLIT = 8


class _SplitCount:
    """Client frames the C split took (`townhall_frames_split_total`, tests). Not a class
    attribute of the protocol: writing one changes the class, and every attribute lookup
    on every socket's protocol would then miss CPython's inline caches."""

    __slots__ = ("frames",)

    def __init__(self) -> None:
        self.frames = 0


SPLIT = _SplitCount()


class _Dropped:
    """Stands in for the ASGI receive queue of an adopted socket. uvicorn still posts a
    `websocket.disconnect` to it when the socket goes, but the app has returned and nobody
    will ever read it; an idle asyncio.Queue is four deques (~3 KB) per socket."""

    __slots__ = ()

    def put_nowait(self, message: object) -> None:
        pass

    def empty(self) -> bool:
        return True


class _NeverWaits:
    """Stands in for the `writable` event of an adopted socket: only the ASGI `send` waits
    on it, and after adoption every write goes straight to the transport (RawOutbox), which
    sees the backlog itself. uvicorn's pause/resume calls become no-ops (one deque saved)."""

    __slots__ = ()

    def set(self) -> None:
        pass

    def clear(self) -> None:
        pass

    async def wait(self) -> bool:
        return True


# What uvicorn reads only to build the ASGI scope and answer the handshake (`handle_connect`,
# `send` before the handshake completed, the start of `run_asgi`). The rest of its attributes
# are read again while the socket lives: keepalive, closing, `connection_lost`, `shutdown`.
_HANDSHAKE_ONLY = (
    "app",
    "app_state",
    "asgi_version",
    "config",
    "default_headers",
    "handshake_initiated",
    "request",
    "response",
    "root_path",
    "scheme",
    "scope",
    "server",
)

_DROPPED = _Dropped()
_NEVER_WAITS = _NeverWaits()


class Receiver(Protocol):
    def frame(self, text: str | None, data: bytes | None) -> None:
        """One complete client message: text for a text frame, else the bytes."""

    def held(self, resume: Callable[[], None]) -> bool:
        """Must the next message wait (its room is saturated: server/live/intake_gate.py)?
        If so, `resume` is called once, when it may go on."""

    def closing(self) -> None:
        """A close frame went out, or the peer's close is being answered: write no more.
        May come more than once, and before `lost`."""

    def lost(self) -> None:
        """The connection is gone (closed by either side, or dropped). Called once."""


class LeanWebSocketProtocol(WebSocketsSansIOProtocol):
    receiver: Receiver | None = None
    adopted = False
    # Parsed, not yet handled; None while there are none: an empty deque is ~700 bytes, and
    # an idle socket (almost every socket) has nothing waiting.
    _waiting: deque[tuple[str | None, bytes | None]] | None = None
    _scheduled = False
    _close_sent = False
    # The start of a client frame still arriving (the C split's), and how long it must grow
    # before a split can tell more; None while websockets' parser reads the stream, and
    # whenever nothing is pending.
    _tail: bytearray | None = None
    _tail_need = 0

    @property
    def _turns(self) -> IntakeTurns:
        """The frames this loop's turn has left, shared by every lean socket on it."""
        return turns_of(self.loop)

    # uvicorn sets `close_sent` wherever it sends a close frame (keepalive timeout, a parser
    # error, ASGI's close, ours in `close_now`); as a property, each of those also tells the
    # receiver, whose Connection then stops taking frames. That is what lets the fan-out write
    # to the transport with no closing check of its own (server/live/outbox.py `sender`).
    @property
    def close_sent(self) -> bool:
        return self._close_sent

    @close_sent.setter
    def close_sent(self, value: bool) -> None:
        self._close_sent = value
        if value:
            self._report_closing()
            if self._tail is not None:
                # Bytes not yet split may hold the peer's close: websockets reads them now.
                self.loop.call_soon(self._tail_to_parser)

    def _report_closing(self) -> None:
        receiver = self.receiver
        if receiver is not None:
            receiver.closing()

    def handle_close(self, event: Any) -> None:
        self._report_closing()  # the peer closed: its close is answered, nothing after it
        super().handle_close(event)

    def shutdown(self) -> None:
        self._report_closing()  # the server is stopping: a 1012 goes out, nothing after it
        super().shutdown()

    def adopt(self, receiver: Receiver) -> None:
        """From now on messages go to `receiver`; the ASGI app may return without the
        connection closing. Messages that arrived before are handed over first, in order."""
        self.receiver = receiver
        self.adopted = True
        waiting: deque[tuple[str | None, bytes | None]] = deque()
        while not self.queue.empty():
            message: Any = self.queue.get_nowait()
            if message["type"] == "websocket.receive":
                waiting.append((message.get("text"), message.get("bytes")))
        self._waiting = waiting or None
        self._shed()
        if self.close_sent or self.transport.is_closing():
            receiver.closing()
        if self.disconnected:  # lost before the adoption: connection_lost found no receiver
            self._lose()
            return
        self._handle()

    def _shed(self) -> None:
        """Drop what only the handshake and the ASGI receive path needed, for the rest of the
        socket's life (issue 18: RSS per idle socket). The ASGI scope (headers, state copy),
        the parsed request and the response to it are read only while the handshake is
        answered; the queue and the `writable` event only by the ASGI receive and send the
        app no longer calls. websockets' parser generator keeps the request as a local for
        the connection's whole life, so its headers are emptied rather than let go."""
        self.queue = _DROPPED  # type: ignore[assignment]
        self.writable = _NEVER_WAITS  # type: ignore[assignment]
        kept = self.__dict__
        request = kept.get("request")
        if request is not None:
            request.headers.clear()
        for name in _HANDSHAKE_ONLY:
            kept.pop(name, None)
        # A dict never shrinks when keys leave it; a copy is sized to what is left (~0.7 KB
        # less than uvicorn's forty-odd attributes).
        self.__dict__ = dict(kept)

    def data_received(self, data: bytes) -> None:
        tail = self._tail
        if tail is not None:
            tail += data
            # With frames waiting, the tail is split as they are handled (`_handle`).
            if (self._waiting is None or self.close_sent) and len(tail) >= self._tail_need:
                self._split_frames(tail)
        elif self._splittable():
            self._split_frames(data)
        else:
            super().data_received(data)  # parses; each complete message joins `_waiting`
        if self._waiting is not None and not self._scheduled:
            self._handle()

    def _splittable(self) -> bool:
        """May this side split the stream now? Only once the handshake is done, on an open
        connection with no extension (none is negotiated: server/live/wsframe.py), and only
        while websockets' parser sits between two frames with nothing buffered, outside a
        fragmented message: there, taking whole frames off the stream before it sees them
        leaves it exactly as if it had read them itself."""
        if _wsread is None or not self.handshake_complete or self.close_sent:
            return False
        conn = self.conn
        if conn.state is not State.OPEN or conn.extensions or conn.current_size is not None:
            return False
        if conn.reader.buffer:
            return False
        # The innermost generator the parser waits in (the server's parse delegates to the
        # frames' parse, which waits in the reader's).
        waiting = conn.parser
        while (inner := getattr(waiting, "gi_yieldfrom", None)) is not None:
            waiting = inner
        return getattr(waiting, "gi_code", None) is _BETWEEN_FRAMES

    def _split_frames(self, buf: bytes | bytearray) -> None:
        """The whole, small, masked text and binary frames at the start of `buf` go to the
        app as websockets would have given them (`send_receive_event_to_app`), at most
        FRAMES_PER_SPLIT of them once the socket is adopted; the bytes past them are kept
        (`_tail`: more frames, or the start of one still arriving); from anything else on (a
        ping, a pong, a close, a fragment, a frame too large or malformed), websockets' own
        parser reads the stream, until it is between frames again. `buf` is the data just
        read, or the tail itself."""
        conn = self.conn
        limits = [size for size in (conn.max_message_size, conn.max_fragment_size) if size]
        count = FRAMES_PER_SPLIT if self.adopted and not self.close_sent else _UNLIMITED
        frames, used, need = _wsread.split(buf, min(limits, default=_NO_LIMIT), 0, count)
        tail, self._tail = self._tail, None
        start = split = 0
        for opcode, payload, end in frames:
            if self.close_sent:  # closing (a text frame was not UTF-8): the rest is theirs
                used, need = start, _STUCK
                break
            self.curr_msg_data_type = "text" if opcode == 1 else "bytes"
            self.frames = [payload]
            self.send_receive_event_to_app()
            start = end
            split += 1
        SPLIT.frames += split
        if need == _STUCK:
            if used < len(buf):
                super().data_received(bytes(buf[used:]))
        elif need:
            if buf is tail:
                del tail[:used]  # cheap: a bytearray moves its start, not its bytes
                self._tail = tail
            else:
                self._tail = bytearray(buf[used:])
            self._tail_need = need

    def _tail_ready(self) -> bool:
        """Do bytes not yet split hold a frame the split can take (or tell more of)?"""
        tail = self._tail
        return tail is not None and len(tail) >= self._tail_need

    def _tail_to_parser(self) -> None:
        """Closing: whatever of the peer's stream was not split goes to websockets (which
        drops data frames from here on and answers a close)."""
        tail = self._tail
        if tail is not None and not self.disconnected:
            self._split_frames(tail)

    def _handle(self) -> None:
        """Up to MESSAGES_PER_TURN waiting messages to the receiver, while the loop's turn
        has frames left (server/live/intake_turns.py); the rest in a later turn."""
        self._scheduled = False
        waiting = self._waiting
        tail = self._tail
        if not waiting and tail is not None and len(tail) >= self._tail_need:
            self._split_frames(tail)  # the next frames, as they are about to be handled
            waiting = self._waiting
        turns = self._turns
        spent = held = False
        if waiting is not None:
            for _ in range(min(len(waiting), MESSAGES_PER_TURN)):
                receiver = self.receiver
                if receiver is None or self.close_sent:
                    waiting.clear()
                    break
                if receiver.held(self._handle):
                    held = True  # the room calls `_handle` again once it takes more
                    break
                if not turns.take():
                    spent = True
                    break
                text, data = waiting.popleft()
                receiver.frame(text, data)
            if not waiting and self._waiting is waiting:
                self._waiting = None
        closing = self.close_sent or self.transport.is_closing()
        if (waiting or self._tail_ready()) and not closing:
            if not self.read_paused:
                self.read_paused = True
                self.transport.pause_reading()
            self._scheduled = True
            if held:
                pass
            elif spent:
                turns.wait(self._handle)  # in line, behind the sockets that waited first
            else:
                self.loop.call_soon(self._handle)
        elif self.read_paused and not closing:
            self.read_paused = False
            self.transport.resume_reading()

    def send_receive_event_to_app(self) -> None:
        if not self.adopted:  # not adopted (yet): the ASGI queue, as uvicorn does it
            super().send_receive_event_to_app()
            return
        frames, self.frames = self.frames, []
        if self.close_sent:  # closing: what the peer still sends is read and dropped
            return
        waiting = self._waiting
        if waiting is None:
            waiting = self._waiting = deque()
        data = frames[0] if len(frames) == 1 else b"".join(frames)
        if self.curr_msg_data_type == "text":
            try:
                text = data.decode()
            except UnicodeDecodeError:
                log.debug("a text frame that is not UTF-8: closing with 1007")
                self.conn.send_close(1007)
                self.handle_parser_exception()
                return
            waiting.append((text, None))
        else:
            waiting.append((None, data if isinstance(data, bytes) else bytes(data)))

    def keepalive_timeout(self) -> None:
        """No pong within `ws_ping_timeout`: uvicorn closes with 1011, unless this side holds
        frames the peer sent. Then its reading is paused on purpose (the intake's line, a
        surge of votes), and the pong waits in the kernel behind those frames: the peer is
        alive and we are the slow one. Closing it would drop a phone for the server's own
        backlog, and its reconnect add to the surge (`burst` in make bench dropped about
        1,400 of 4,000 phones this way). The next ping goes out as if the pong had come;
        once its frames are handled and reading resumes, a silent peer is closed as before."""
        if self.adopted and (self.read_paused or self._waiting is not None or self._tail_ready()):
            self.pong_timer = None
            self.pending_ping_payload = None
            if not (self.close_sent or self.transport.is_closing()):
                self.schedule_ping()
            return
        super().keepalive_timeout()

    def close_now(self, code: int, reason: str) -> None:
        """Send a close frame now (no ASGI, no task); the transport closes when the peer
        answers it, or after `close_timeout`."""
        if self.close_sent or self.transport.is_closing():
            return
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.close_timeout, self.transport.close)

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._lose()

    def _lose(self) -> None:
        self._tail = None
        if self._waiting is not None:
            self._waiting.clear()
            self._waiting = None
        receiver, self.receiver = self.receiver, None
        if receiver is not None:
            receiver.lost()

    async def run_asgi(self) -> None:
        """As uvicorn's, but an app that adopted the socket leaves it open when it returns."""
        try:
            result = await self.app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except BaseException:
            self.logger.exception("Exception in ASGI application\n")
            self.send_500_response()
        else:
            if not self.handshake_complete:
                self.logger.error("ASGI callable returned without completing handshake.")
                self.send_500_response()
            elif result is not None:
                self.logger.error("ASGI callable should return None, but returned %r.", result)
        if self.receiver is None and self.close_timer is None:
            self.transport.close()


def lean_socket(scope: Scope) -> LeanWebSocketProtocol | None:
    """The socket's protocol when it can carry the lean intake (open, handshake done)."""
    proto = getattr(scope.get(RAW_SEND), "__self__", None)
    if (
        isinstance(proto, LeanWebSocketProtocol)
        and proto.handshake_complete
        and not proto.close_sent
        and not proto.disconnected
    ):
        return proto
    return None
