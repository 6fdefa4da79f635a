"""The one way into a room, for every entry point: HTTP API, pages, WebSocket, exports.

    caller = await admit(conn, roles=..., where=...)   # token -> claims -> room -> standing
    claims = identify(conn)                            # or in two steps, when the entry point
    caller = await admit_claims(conn, claims, ...)     # looks at the claims first (once)
    check_origin(conn)                                 # browsers: our own pages only
    fields = await read_body(request)                  # size, JSON or form, an object

Each step raises `CommandError` with a catalogue code and changes nothing; the entry point
turns it into its kind of answer through `server.edge.answers`. Refusals the answer table
marks are written to the room's security record here, once, whatever the entry point.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import HTTPConnection, Request

from moderation.roles import Role
from rooms import CommandError
from rooms.fields import check_text_tree
from rooms.settings import ROOM_CODE
from server.edge.answers import answer_of
from server.edge.auth import token_of
from server.edge.origins import origin_allowed
from server.edge.runtime import Runtime, client_ip, runtime_of
from server.edge.standing import check_standing
from server.edge.tokens import Claims, TokenError, verify
from server.live.hub import now_ms
from server.live.room_host import RoomHost

__all__ = [
    "MAX_BODY",
    "ROOM_CODE",
    "Caller",
    "admit",
    "admit_claims",
    "check_origin",
    "find_room",
    "form_fields",
    "identify",
    "read_body",
    "read_capped",
    "refused",
    "room_of",
]

MAX_BODY = 16 * 1024


@dataclass(frozen=True, slots=True)
class Caller:
    """Someone admitted to a room: who (from the signed token), where, and from which address."""

    runtime: Runtime
    host: RoomHost
    claims: Claims
    ip: str

    @property
    def participant_id(self) -> str:
        return self.claims.participant_id

    @property
    def role(self) -> Role:
        return self.claims.role


def refused(
    conn: HTTPConnection, error: CommandError, where: str, role: Role | None = None
) -> CommandError:
    """Record the refusal where the answer table says so, and hand the error back to raise.

    Only rooms this process hosts get a record: a stranger's guesses at codes grow nothing.
    """
    if answer_of(error.code).record:
        runtime = runtime_of(conn)
        room = conn.path_params.get("code", "")
        if room in runtime.hub.rooms:
            runtime.security.refused(room, error.code, client_ip(conn), where, role)
    return error


def identify(conn: HTTPConnection, token: str | None = None) -> Claims | None:
    """The verified claims of the request's token (or of `token`), or None."""
    room = conn.path_params["code"]
    token = token if token is not None else token_of(conn, room)
    if not token:
        return None
    try:
        return verify(runtime_of(conn).settings.keyring, token, room=room, now_ms=now_ms())
    except TokenError:
        return None


async def find_room(conn: HTTPConnection) -> RoomHost | None:
    room = conn.path_params["code"]
    # Anything not shaped like a room code is "no such room" without a lookup.
    return await runtime_of(conn).hub.room(room) if ROOM_CODE.match(room) else None


async def room_of(conn: HTTPConnection) -> RoomHost:
    host = await find_room(conn)
    if host is None:
        raise CommandError("room.not_found")
    return host


async def admit(
    conn: HTTPConnection,
    *,
    where: str,
    roles: frozenset[Role] | None = None,
    token: str | None = None,
) -> Caller:
    """Authenticate, find the room, check the holder's standing; or raise."""
    return await admit_claims(conn, identify(conn, token), where=where, roles=roles)


async def admit_claims(
    conn: HTTPConnection,
    claims: Claims | None,
    *,
    where: str,
    roles: frozenset[Role] | None = None,
) -> Caller:
    """`admit` after `identify(conn)`, for an entry point that looks at the verified claims
    before the room (a fragment's budget, the attendee page's banned notice): the token is
    verified once per request, and the rest of the way in is the same."""
    if claims is None:
        raise refused(conn, CommandError("auth.token"), where)
    if roles is not None and claims.role not in roles:
        raise refused(conn, CommandError("auth.forbidden"), where, claims.role)
    host = await room_of(conn)
    try:
        await check_standing(host, claims)
    except CommandError as error:
        raise refused(conn, error, where, claims.role) from None
    return Caller(runtime_of(conn), host, claims, client_ip(conn))


def check_origin(conn: HTTPConnection) -> None:
    """A browser request from another site (a hidden form or page riding the visitor's
    cookie) is refused. Bots and native clients send no Origin and are unaffected."""
    settings = runtime_of(conn).settings
    if not origin_allowed(
        conn.headers.get("origin"), conn.headers.get("host"), settings.allowed_origins
    ):
        raise refused(conn, CommandError("auth.origin"), f"{conn.scope['type']} {conn.url.path}")


async def read_capped(request: Request, limit: int = MAX_BODY) -> bytes:
    """The body, but never more than `limit` bytes of it in memory, and within the body
    timeout: a declared or streamed excess is refused as soon as it shows."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise CommandError("frame.too_large", f"the body may be at most {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(runtime_of(request).settings.limits.body_timeout_s):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise CommandError("frame.too_large", f"the body may be at most {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise CommandError("frame.invalid", "the body came too slowly") from None
    return b"".join(chunks)


async def read_body(request: Request, limit: int = MAX_BODY) -> dict[str, Any]:
    """The request's fields: a JSON object, or a form (`curl -d` labels JSON as a form too)."""
    body = await read_capped(request, limit)
    if not body:
        return {}
    content_type = request.headers.get("content-type", "")
    looks_like_json = body.lstrip()[:1] in (b"{", b"[")
    if not looks_like_json and content_type.startswith("application/x-www-form-urlencoded"):
        fields = dict(form_fields(body))
        check_text_tree(fields)
        return fields
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise CommandError("frame.invalid", "the body is not JSON") from None
    if not isinstance(data, dict):
        raise CommandError("frame.invalid", "the body must be a JSON object")
    check_text_tree(data)  # the same text rule as a WebSocket frame's (text.invalid)
    return data


def form_fields(body: bytes) -> list[tuple[str, str]]:
    """An urlencoded form's (name, value) pairs, in order; bytes that are not UTF-8 are
    replaced, never guessed at."""
    try:
        text = body.decode("utf-8", "replace")
        return parse_qsl(text, keep_blank_values=True, max_num_fields=200)
    except ValueError:
        raise CommandError("frame.invalid", "the form has too many fields") from None
