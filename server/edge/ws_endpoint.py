"""`/ws/rooms/{code}`: the handshake through the gate, the first frames, the intake.

Everything a client sends is checked here before it reaches a room: size (uvicorn closes
frames over 64 KiB with 1009), encoding, shape, rate. The room then checks permission and
state. Exceptions stop at this edge: logged with context, the socket closed with a code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from functools import partial

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from moderation.roles import Role
from rooms import CommandError
from server.edge import ops
from server.edge.addresses import address_bucket
from server.edge.answers import answer_of, error_body
from server.edge.gate import Caller, admit, check_origin
from server.live.asgi import RAW_SEND, mark_denied
from server.live.codec import Encoding, FrameError, decode_frame, peek_op_id
from server.live.connection import Connection, schedule_close
from server.live.lean import lean_socket
from server.live.outbox import RawOutbox, make_outbox
from server.live.ratelimit import Bucket

__all__ = ["websocket_endpoint"]

log = logging.getLogger("townhall.ws")

# Each accepted frame takes this many off a socket's count of refused frames.
FORGIVE_PER_ACCEPTED = 10
_HANDSHAKE = "websocket handshake"


def _encoding(websocket: WebSocket) -> Encoding:
    asked = websocket.scope.get("subprotocols") or []
    for name in asked:
        if name in (Encoding.JSON.value, Encoding.MSGPACK.value):
            return Encoding(name)
    return Encoding.JSON


async def _admit(websocket: WebSocket) -> Caller:
    check_origin(websocket)
    caller = await admit(websocket, where=_HANDSHAKE)
    runtime, limits = caller.runtime, caller.runtime.settings.limits
    if runtime.sockets_per_ip.get(address_bucket(caller.ip), 0) >= limits.sockets_per_ip:
        raise CommandError("rate.limited", "too many connections from your address")
    if (
        caller.role is Role.ATTENDEE  # screen and overlay links are shared by design
        and len(caller.host.by_participant.get(caller.participant_id, ()))
        >= limits.sockets_per_participant
    ):
        raise CommandError("rate.limited", "too many connections for one person")
    return caller


async def websocket_endpoint(websocket: WebSocket) -> None:
    try:
        caller = await _admit(websocket)
    except CommandError as error:
        await websocket.send_denial_response(
            JSONResponse(error_body(error), status_code=answer_of(error.code).status)
        )
        mark_denied(websocket.scope)
        return
    runtime, host, claims, ip = caller.runtime, caller.host, caller.claims, caller.ip
    where = address_bucket(ip)
    since = _since(websocket.query_params.get("since"))

    encoding = _encoding(websocket)
    asked = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol=encoding.value if encoding.value in asked else None)

    async def close(code_: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # already gone
            await websocket.close(code_, reason)

    limits = runtime.settings.limits
    lean = lean_socket(websocket.scope)
    conn = Connection(
        room=host.code,
        role=claims.role,
        participant_id=claims.participant_id,
        encoding=encoding,
        outbox=make_outbox(
            websocket.scope.get(RAW_SEND), websocket.send, closes_reported=lean is not None
        ),
        ip=ip,
        bucket=Bucket(limits.ops_per_second, limits.ops_burst, time.monotonic()),
        close=lean.close_now if lean is not None else schedule_close(close),
        hard_limit=limits.socket_hard_buffer,
    )
    conn.lean = lean is not None
    if limits.socket_sndbuf and isinstance(conn.outbox, RawOutbox):
        conn.outbox.limit_kernel_buffer(limits.socket_sndbuf)
    if since is not None and since > host.state.seq:
        await host.catch_up()  # the client saw a newer seq on another process
    runtime.sockets_per_ip[where] = runtime.sockets_per_ip.get(where, 0) + 1
    host.attach(conn, since)
    log.debug(
        "room %s: %s socket %s via %s", host.code, claims.role, conn.id, type(conn.outbox).__name__
    )
    intake = SocketIntake(caller, conn, where)
    if lean is not None:
        # From here the protocol hands each frame to `intake` as it is parsed: no ASGI
        # message, no task and no coroutine stack per socket (server/live/lean.py).
        lean.adopt(intake)
        return
    try:
        await _receive_loop(websocket, intake)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("room %s: connection %s failed", host.code, conn.id)
        conn.close(1011, "internal error")
    finally:
        intake.lost()


async def _close_now(websocket: WebSocket, conn: Connection, code: int, reason: str) -> None:
    """Close from the connection's own task, so the close frame is out before we return."""
    conn.closed = True
    with contextlib.suppress(Exception):  # already gone
        await websocket.close(code, reason)


def _since(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or len(raw) > 15:
        return None
    return int(raw)


async def _receive_loop(websocket: WebSocket, intake: SocketIntake) -> None:
    """The portable intake (any ASGI server): each message through `intake.check`."""
    loop = asyncio.get_running_loop()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        while True:  # the room is saturated: this socket waits, its next frames unread
            resumed: asyncio.Future[None] = loop.create_future()
            if not intake.held(partial(_resume, resumed)):
                break
            await resumed  # and asks again: others let go with it may have filled the room
        close = intake.check(message.get("text"), message.get("bytes"))
        if close is not None:
            await _close_now(websocket, intake.conn, *close)
            return


def _resume(resumed: asyncio.Future[None]) -> None:
    if not resumed.done():
        resumed.set_result(None)


class SocketIntake:
    """Every frame one socket sends, through the same checks whichever way it arrived:
    the budgets, the flood close, decoding, the shape of `op` and `op_id`, then the op."""

    __slots__ = ("caller", "conn", "where")

    def __init__(self, caller: Caller, conn: Connection, where: str) -> None:
        self.caller = caller
        self.conn = conn
        self.where = where  # the address bucket the socket is counted under

    def frame(self, text: str | None, data: bytes | None) -> None:
        """The lean intake's entry: closing, when a frame calls for it, is the protocol's."""
        try:
            close = self.check(text, data)
        except Exception:
            log.exception("room %s: connection %s failed", self.caller.host.code, self.conn.id)
            close = (1011, "internal error")
        if close is not None:
            self.conn.close(*close)

    def held(self, resume: Callable[[], None]) -> bool:
        """The room is saturated and this socket's frames wait (server/live/intake_gate.py)."""
        return self.caller.host.holds_intake(self.conn.role, resume)

    def closing(self) -> None:
        self.conn.closed = True  # the protocol is closing the socket: no frame after it

    def lost(self) -> None:
        conn, runtime = self.conn, self.caller.runtime
        conn.closed = True
        conn.outbox.close()
        self.caller.host.detach(conn)
        left = runtime.sockets_per_ip.get(self.where, 1) - 1
        if left:
            runtime.sockets_per_ip[self.where] = left
        else:
            runtime.sockets_per_ip.pop(self.where, None)

    def check(self, text: str | None, data: bytes | None) -> tuple[int, str] | None:
        """Answer or start the op in one frame; (code, reason) when the socket must close."""
        caller, conn = self.caller, self.conn
        runtime = caller.runtime
        limits, budgets = runtime.settings.limits, runtime.budgets
        size = _size(text, data)
        refused = budgets.refusal(conn, size, time.monotonic())
        if refused is not None:
            conn.refused_in_a_row += 1
            if conn.refused_in_a_row >= limits.flood_close_after:
                return answer_of("rate.limited").close or 1008, "flooding"
            if conn.refused_in_a_row <= 5 or conn.refused_in_a_row % 20 == 0:
                refusal: dict[str, object] = {"type": "error"}
                op_id = peek_op_id(text, data)
                if op_id is not None:
                    refusal["op_id"] = op_id  # so the client knows which op to send again
                conn.send({**refusal, **CommandError(refused).to_dict()})
            return None
        if conn.refused_in_a_row:
            # Forgive slowly: a steady flood gets one frame through per refill and must not
            # reset its count with it (1,000 frames/s would otherwise never be closed).
            conn.refused_in_a_row = max(0, conn.refused_in_a_row - FORGIVE_PER_ACCEPTED)
        try:
            frame = decode_frame(text, data, conn.encoding)
        except FrameError as error:
            conn.send(error.frame())
            if error.close_code is not None:
                return error.close_code, error.message
            return None
        if frame["op"] == "ping":
            # What this socket has been sent, not the room's head: resuming from it is safe.
            conn.send({"type": "pong", "seq": conn.sent_seq})
            return None
        raw_op_id = frame.pop("op_id", None)
        try:
            op, op_id = ops.check_shape(frame.pop("op"), raw_op_id)
        except CommandError as error:
            named = isinstance(raw_op_id, str) and 1 <= len(raw_op_id) <= ops.MAX_OP_ID
            conn.send(
                {"type": "error", **({"op_id": raw_op_id} if named else {}), **error.to_dict()}
            )
            return None
        ops.start(caller, op, op_id, frame, conn.send)
        return None


def _size(text: str | None, data: bytes | None) -> int:
    """A frame's size in bytes on the wire: a text frame's characters may be 4 bytes each."""
    if data is not None:
        return len(data)
    if text is None:
        return 0
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
