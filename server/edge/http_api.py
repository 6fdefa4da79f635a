"""The JSON HTTP API of ../shared/API.md, plus `POST /api/rooms/{code}/ops` for forms and bots."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from moderation.roles import Role
from rooms import Context, snapshot_view
from server.edge.access import settled_refusal
from server.edge.auth import read_claims, set_participant_cookie
from server.edge.invites import with_codes, with_credentials
from server.edge.origins import origin_allowed
from server.edge.tokens import Claims, issue
from server.live.hub import now_ms

if TYPE_CHECKING:
    from server.app import Runtime

__all__ = ["error", "routes_state"]

MAX_BODY = 16 * 1024
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed on phones


def error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def routes_state(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def _ip(request: Request) -> str:
    return request.client.host if request.client else "?"


async def _json_body(request: Request) -> dict[str, Any] | JSONResponse:
    body = await request.body()
    if len(body) > MAX_BODY:
        return error(413, "frame.too_large", f"the body may be at most {MAX_BODY} bytes")
    if not body:
        return {}
    content_type = request.headers.get("content-type", "")
    # `curl -d '{...}'` labels JSON as a form; a body that starts like JSON is read as JSON.
    looks_like_json = body.lstrip()[:1] in (b"{", b"[")
    if not looks_like_json and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return error(400, "frame.invalid", "the body is not JSON")
    if not isinstance(data, dict):
        return error(400, "frame.invalid", "the body must be a JSON object")
    return data


def _foreign_origin(request: Request, runtime: Runtime) -> Response | None:
    """A browser post from another site (a hidden form riding the attendee's cookie): refused.
    Bots and native clients send no Origin and are unaffected."""
    if origin_allowed(
        request.headers.get("origin"),
        request.headers.get("host"),
        runtime.settings.allowed_origins,
    ):
        return None
    code = request.path_params.get("code", "")
    if code in runtime.hub.rooms:
        runtime.security.refused(code, "auth.origin", _ip(request), f"POST {request.url.path}")
    return error(403, "auth.origin", "this page's origin may not post here")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(9)


def _base_url(request: Request, runtime: Runtime) -> str:
    return runtime.settings.public_url or str(request.base_url).rstrip("/")


def room_urls(base: str, code: str, moderator: str, screen: str, embed: str) -> dict[str, str]:
    return {
        "attend": f"{base}/r/{code}",
        "moderate": f"{base}/r/{code}/moderate?token={moderator}",
        "screen": f"{base}/r/{code}/screen?token={screen}",
        "embed": f"{base}/r/{code}/embed?token={embed}",
    }


async def create_room(request: Request) -> Response:
    runtime = routes_state(request)
    settings = runtime.settings
    if settings.room_creation_key:
        header = request.headers.get("authorization", "")
        if not secrets.compare_digest(header, f"Bearer {settings.room_creation_key}"):
            return error(403, "auth.forbidden", "creating rooms needs the organiser key")
    if not runtime.creates_per_ip.take(_ip(request), time.monotonic()):
        return error(429, "rate.limited", "too many rooms created from your address")
    body = await _json_body(request)
    if isinstance(body, JSONResponse):
        return body
    organiser = new_id("o")
    for _attempt in range(5):
        code = new_code()
        try:
            outcome = await runtime.hub.create_room(code, body, organiser)
        except FileExistsError:
            continue
        if outcome.error is not None:
            return error(400, outcome.error.code, outcome.error.message)
        break
    else:
        return error(503, "server.unavailable", "could not allocate a room code")
    secret = settings.secret
    moderator = issue(secret, Claims(code, organiser, Role.ORGANISER, 0))
    screen = issue(secret, Claims(code, "screen", Role.SCREEN, 0))
    embed = issue(secret, Claims(code, "embed", Role.EMBED, 0))
    base = _base_url(request, runtime)
    return JSONResponse(
        {
            "code": code,
            "moderator_token": moderator,
            "screen_token": screen,
            "embed_token": embed,
            "seq": outcome.seq,
            "urls": room_urls(base, code, moderator, screen, embed),
        },
        status_code=201,
    )


async def join_room(request: Request) -> Response:
    runtime = routes_state(request)
    code = request.path_params["code"]
    foreign = _foreign_origin(request, runtime)
    if foreign is not None:
        return foreign
    if not runtime.joins_per_ip.take(_ip(request), time.monotonic()):
        if code in runtime.hub.rooms:
            runtime.security.join_throttled(code)
        return error(429, "rate.limited", "too many joins from your address; wait a moment")
    body = await _json_body(request)
    if isinstance(body, JSONResponse):
        return body
    host = await runtime.hub.room(code)
    if host is None:
        return error(404, "room.not_found", "no such room")
    existing = read_claims(request, code, runtime.settings.secret, now_ms())
    participant = (
        existing.participant_id
        if existing is not None and existing.role is Role.ATTENDEE
        else new_id("u")
    )
    fields = {
        k: v for k, v in body.items() if k in ("name", "district", "access_code", "attendee_code")
    }
    ctx = Context(participant, Role.ATTENDEE, now_ms(), new_id("join-"))
    outcome = await host.submit("participant.join", fields, ctx)
    if outcome.error is not None:
        status = 403 if outcome.error.code.startswith("auth.") else 400
        if status == 403:
            runtime.security.refused(code, outcome.error.code, _ip(request), "join")
        return error(status, outcome.error.code, outcome.error.message)
    if existing is None or existing.participant_id != participant:
        runtime.security.joined(code, _ip(request))  # a new person, not a returning cookie
    token = issue(runtime.settings.secret, Claims(code, participant, Role.ATTENDEE, 0))
    response = JSONResponse(
        {"participant_token": token, "participant_id": participant, "seq": outcome.seq}
    )
    set_participant_cookie(response, request, code, token)
    return response


async def _claims_or_error(
    request: Request, roles: tuple[Role, ...] | None = None
) -> Claims | Response:
    runtime = routes_state(request)
    code = request.path_params["code"]
    claims = read_claims(request, code, runtime.settings.secret, now_ms())
    if claims is None:
        if code in runtime.hub.rooms:  # only rooms we host: a stranger's guesses grow nothing
            runtime.security.refused(code, "auth.token", _ip(request), request.url.path)
        return error(401, "auth.forbidden", "a valid token for this room is needed")
    if roles is not None and claims.role not in roles:
        runtime.security.refused(
            code, "auth.forbidden", _ip(request), request.url.path, claims.role
        )
        return error(403, "auth.forbidden", "your role may not read this")
    return claims


async def get_room(request: Request) -> Response:
    runtime = routes_state(request)
    claims = await _claims_or_error(request)
    if isinstance(claims, Response):
        return claims
    host = await runtime.hub.room(claims.room)
    if host is None:
        return error(404, "room.not_found", "no such room")
    refused = await settled_refusal(host, claims.participant_id, claims.role)
    if refused is not None:
        return error(403, refused.code, refused.message)
    view = snapshot_view(host.state, claims.role, claims.participant_id)
    return JSONResponse({"seq": host.state.seq, **view})


async def post_op(request: Request) -> Response:
    """One operation over HTTP: the same checks and answer as over the WebSocket."""
    runtime = routes_state(request)
    foreign = _foreign_origin(request, runtime)
    if foreign is not None:
        return foreign
    claims = await _claims_or_error(request)
    if isinstance(claims, Response):
        return claims
    if not runtime.ops_per_ip.take(_ip(request), time.monotonic()):
        return error(429, "rate.limited", "too many requests; slow down")
    body = await _json_body(request)
    if isinstance(body, JSONResponse):
        return body
    host = await runtime.hub.room(claims.room)
    if host is None:
        return error(404, "room.not_found", "no such room")
    op, op_id = body.pop("op", None), body.pop("op_id", None)
    if not isinstance(op, str) or not isinstance(op_id, str) or not 1 <= len(op_id) <= 64:
        return error(400, "frame.invalid", "`op` and `op_id` (1 to 64 characters) are required")
    if op == "codes.issue":
        body = with_codes(
            op, body, claims.room, claims.participant_id, op_id, runtime.settings.secret
        )
    outcome = await host.submit(
        op, body, Context(claims.participant_id, claims.role, now_ms(), op_id)
    )
    frame = outcome.frame(op_id)
    if outcome.error is not None:
        code = outcome.error.code
        if code in ("auth.forbidden", "auth.banned"):
            runtime.security.refused(claims.room, code, _ip(request), f"op {op[:40]}", claims.role)
        status = (
            403
            if code.startswith("auth.")
            else 404
            if code.endswith("not_found")
            else (503 if code in _RETRY_LATER else 409 if code in _CONFLICTS else 400)
        )
        return JSONResponse(
            {"error": {"code": code, "message": outcome.error.message}}, status_code=status
        )
    return JSONResponse(
        with_credentials(op, frame, claims.room, runtime.settings.secret, claims.participant_id)
    )


_RETRY_LATER = {"server.unavailable", "server.busy"}
_CONFLICTS = {
    "vote.duplicate",
    "upvote.duplicate",
    "poll.closed",
    "poll.not_open",
    "poll.already_open",
    "speaker.already_queued",
    "question.not_pending",
    "text.repeated",
}


async def transcript(request: Request) -> Response:
    """Moderators may always read it; anyone may once the organiser published it."""
    runtime = routes_state(request)
    code = request.path_params["code"]
    claims = await _claims_or_error(request, (Role.ORGANISER, Role.MODERATOR))
    host = await runtime.hub.room(code) if len(code) <= 32 else None
    if isinstance(claims, Response):
        if host is None or not host.state.transcript_public:
            return claims
    elif host is None:
        return error(404, "room.not_found", "no such room")
    else:
        refused = await settled_refusal(host, claims.participant_id, claims.role)
        if refused is not None:
            return error(403, refused.code, refused.message)

    async def lines() -> AsyncIterator[bytes]:
        after = 0
        while True:
            page = await runtime.hub.store.read(code, after=after, limit=2000)
            if not page:
                return
            for entry in page:
                yield (
                    json.dumps(entry.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
                    + b"\n"
                )
            after = page[-1].seq

    return StreamingResponse(
        lines(),
        media_type="application/x-ndjson",
        headers={"content-disposition": f'attachment; filename="{code}.jsonl"'},
    )


async def security_report(request: Request) -> Response:
    """Moderators: refused auth attempts and joins per address (this process), verified codes."""
    runtime = routes_state(request)
    claims = await _claims_or_error(request, (Role.ORGANISER, Role.MODERATOR))
    if isinstance(claims, Response):
        return claims
    host = await runtime.hub.room(claims.room)
    if host is None:
        return error(404, "room.not_found", "no such room")
    refused = await settled_refusal(host, claims.participant_id, claims.role)
    if refused is not None:
        return error(403, refused.code, refused.message)
    codes = host.state.attendee_codes
    report = runtime.security.report(claims.room)
    report["codes"] = {
        "issued": len(codes),
        "used": sum(1 for who in codes.values() if who is not None),
    }
    return JSONResponse(report)


async def healthz(request: Request) -> Response:
    runtime = routes_state(request)
    problems = []
    if not await runtime.hub.store.healthy():
        problems.append("store unavailable")
    if not await runtime.hub.broker.healthy():
        problems.append("broker unavailable")
    if runtime.hub.stopping:
        problems.append("shutting down")
    if problems:
        return JSONResponse(
            {"status": "unavailable", "reason": "; ".join(problems)}, status_code=503
        )
    return JSONResponse({"status": "ok"})
