"""`/ws/rooms/{code}`: the handshake checks, the first frames, and the receive loop.

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
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from rooms import Context
from server.edge.access import settled_refusal
from server.edge.auth import read_claims
from server.edge.invites import with_codes, with_credentials
from server.edge.origins import origin_allowed
from server.edge.security import SecurityLog
from server.live.asgi import RAW_SEND
from server.live.codec import Encoding, FrameError, decode_frame
from server.live.connection import CLOSE_POLICY, Connection, schedule_close
from server.live.hub import now_ms
from server.live.outbox import RawOutbox, make_outbox
from server.live.ratelimit import Bucket
from server.live.room_host import Outcome, RoomHost

if TYPE_CHECKING:
    from server.app import Runtime

__all__ = ["websocket_endpoint"]

log = logging.getLogger("townhall.ws")

# Op refusals worth a line in the room's security record (not ordinary mistakes).
_AUTH_REFUSALS = frozenset({"auth.forbidden", "auth.banned"})
# Each accepted frame takes this many off a socket's count of refused frames.
FORGIVE_PER_ACCEPTED = 10


async def _deny(websocket: WebSocket, status: int, code: str, message: str) -> None:
    await websocket.send_denial_response(
        JSONResponse({"error": {"code": code, "message": message}}, status_code=status)
    )


def _encoding(websocket: WebSocket) -> Encoding:
    asked = websocket.scope.get("subprotocols") or []
    for name in asked:
        if name in (Encoding.JSON.value, Encoding.MSGPACK.value):
            return Encoding(name)
    return Encoding.JSON


async def websocket_endpoint(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    settings = runtime.settings
    code = websocket.path_params["code"]
    ip = websocket.client.host if websocket.client else "?"

    if not origin_allowed(
        websocket.headers.get("origin"), websocket.headers.get("host"), settings.allowed_origins
    ):
        if code in runtime.hub.rooms:
            runtime.security.refused(code, "auth.origin", ip, "websocket handshake")
        await _deny(websocket, 403, "auth.origin", "this page's origin may not connect")
        return
    claims = read_claims(websocket, code, settings.secret, now_ms())
    if claims is None:
        if code in runtime.hub.rooms:  # only rooms we host: a stranger's guesses grow nothing
            runtime.security.refused(code, "auth.token", ip, "websocket handshake")
        await _deny(websocket, 403, "auth.forbidden", "a valid token for this room is needed")
        return
    host = await runtime.hub.room(code)
    if host is None:
        await _deny(websocket, 404, "room.not_found", "no such room")
        return
    refused = await settled_refusal(host, claims.participant_id, claims.role)
    if refused is not None:
        runtime.security.refused(code, refused.code, ip, "websocket handshake", claims.role)
        await _deny(websocket, 403, refused.code, refused.message)
        return
    if runtime.sockets_per_ip.get(ip, 0) >= settings.limits.sockets_per_ip:
        await _deny(websocket, 429, "rate.limited", "too many connections from your address")
        return
    since = _since(websocket.query_params.get("since"))

    encoding = _encoding(websocket)
    asked = websocket.scope.get("subprotocols") or []
    await websocket.accept(subprotocol=encoding.value if encoding.value in asked else None)

    async def close(code_: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # already gone
            await websocket.close(code_, reason)

    limits = settings.limits
    conn = Connection(
        room=code,
        role=claims.role,
        participant_id=claims.participant_id,
        encoding=encoding,
        outbox=make_outbox(websocket.scope.get(RAW_SEND), websocket.send),
        ip=ip,
        bucket=Bucket(limits.ops_per_second, limits.ops_burst, time.monotonic()),
        close=schedule_close(close),
    )
    if limits.socket_sndbuf and isinstance(conn.outbox, RawOutbox):
        conn.outbox.limit_kernel_buffer(limits.socket_sndbuf)
    if since is not None and since > host.state.seq:
        await host.catch_up()  # the client saw a newer seq on another process
    runtime.sockets_per_ip[ip] = runtime.sockets_per_ip.get(ip, 0) + 1
    host.attach(conn, since)
    log.debug(
        "room %s: %s socket %s via %s", code, claims.role, conn.id, type(conn.outbox).__name__
    )
    try:
        await _receive_loop(websocket, host, conn)
    except WebSocketDisconnect:
        pass
    except Exception:
        log.exception("room %s: connection %s failed", code, conn.id)
        conn.close(1011, "internal error")
    finally:
        conn.closed = True
        conn.outbox.close()
        host.detach(conn)
        left = runtime.sockets_per_ip.get(ip, 1) - 1
        if left:
            runtime.sockets_per_ip[ip] = left
        else:
            runtime.sockets_per_ip.pop(ip, None)


async def _close_now(websocket: WebSocket, conn: Connection, code: int, reason: str) -> None:
    """Close from the connection's own task, so the close frame is out before we return."""
    conn.closed = True
    with contextlib.suppress(Exception):  # already gone
        await websocket.close(code, reason)


def _since(raw: str | None) -> int | None:
    if raw is None or not raw.isdigit() or len(raw) > 15:
        return None
    return int(raw)


async def _receive_loop(websocket: WebSocket, host: RoomHost, conn: Connection) -> None:
    limits = websocket.app.state.runtime.settings.limits
    secret: bytes = websocket.app.state.runtime.settings.secret
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if not conn.bucket.take(time.monotonic()):
            conn.refused_in_a_row += 1
            if conn.refused_in_a_row >= limits.flood_close_after:
                await _close_now(websocket, conn, CLOSE_POLICY, "flooding")
                return
            if conn.refused_in_a_row <= 5 or conn.refused_in_a_row % 20 == 0:
                conn.send(
                    {
                        "type": "error",
                        "code": "rate.limited",
                        "message": "too many frames; slow down",
                    }
                )
            continue
        if conn.refused_in_a_row:
            # Forgive slowly: a steady flood gets one frame through per refill and must not
            # reset its count with it (1,000 frames/s would otherwise never be closed).
            conn.refused_in_a_row = max(0, conn.refused_in_a_row - FORGIVE_PER_ACCEPTED)
        try:
            frame = decode_frame(message.get("text"), message.get("bytes"), conn.encoding)
        except FrameError as error:
            conn.send(error.frame())
            if error.close_code is not None:
                await _close_now(websocket, conn, error.close_code, error.message)
                return
            continue
        op = frame.pop("op")
        if op == "ping":
            # What this socket has been sent, not the room's head: resuming from it is safe.
            conn.send({"type": "pong", "seq": conn.sent_seq})
            continue
        op_id: str = frame.pop("op_id")
        ctx = Context(conn.participant_id, conn.role, now_ms(), op_id)
        if op == "codes.issue":
            frame = with_codes(op, frame, conn.room, conn.participant_id, op_id, secret)
        host.submit(op, frame, ctx).add_done_callback(
            _replier(conn, op, op_id, secret, websocket.app.state.runtime.security)
        )


def _replier(
    conn: Connection, op: str, op_id: str, secret: bytes, security: SecurityLog
) -> Callable[[asyncio.Future[Outcome]], None]:
    """Acks go out from the future's callback: no task, no await per op."""

    def reply(future: asyncio.Future[Outcome]) -> None:
        outcome = future.result()
        if outcome.error is not None and outcome.error.code in _AUTH_REFUSALS:
            security.refused(conn.room, outcome.error.code, conn.ip, f"op {op[:40]}", conn.role)
        conn.send(
            with_credentials(op, outcome.frame(op_id), conn.room, secret, conn.participant_id)
        )

    return reply


def error_frame(code: str, message: str, op_id: str | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if op_id is not None:
        frame["op_id"] = op_id
    return frame
