"""The JSON HTTP API of ../shared/API.md, plus `POST /api/rooms/{code}/ops` for forms and bots.

Every handler goes through `server.edge.gate` and raises `CommandError`; `api` turns it into
`{"error": {"code", "message"}}` with the status of `server.edge.answers`.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from moderation.roles import Role
from rooms import CommandError, snapshot_view
from rooms.quiz import sealed_quizzes
from server.edge import membership, ops
from server.edge.addresses import address_bucket
from server.edge.admission import Throttled
from server.edge.answers import answer_of, error_body
from server.edge.auth import set_participant_cookie
from server.edge.gate import admit, check_origin, find_room, identify, read_body, room_of
from server.edge.runtime import client_bucket, client_ip, runtime_of

__all__ = [
    "api",
    "create_room",
    "error_response",
    "get_room",
    "join_room",
    "post_op",
    "public_base",
    "security_report",
    "staff",
    "transcript",
]

Handler = Callable[[Request], Awaitable[Response]]
# Who may read the room's records (transcript, exports, report, security).
staff = frozenset({Role.ORGANISER, Role.MODERATOR})


def error_response(error: CommandError) -> JSONResponse:
    headers = {}
    if isinstance(error, Throttled):
        headers["retry-after"] = str(error.retry_after)
    elif error.code == "auth.token":
        headers["www-authenticate"] = 'Bearer realm="townhall"'
    return JSONResponse(
        error_body(error), status_code=answer_of(error.code).status, headers=headers
    )


def api(handler: Handler) -> Handler:
    """A JSON endpoint: any refusal on the way becomes the documented JSON error."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except CommandError as error:
            return error_response(error)

    return endpoint


def public_base(request: Request) -> str:
    return runtime_of(request).settings.public_url or str(request.base_url).rstrip("/")


@api
async def create_room(request: Request) -> Response:
    runtime = runtime_of(request)
    fields = await read_body(request)
    created = await membership.create_room(
        runtime,
        fields,
        ip=client_ip(request),
        authorization=request.headers.get("authorization", ""),
    )
    return JSONResponse(
        {
            "code": created.code,
            "moderator_token": created.moderator_token,
            "screen_token": created.screen_token,
            "embed_token": created.embed_token,
            "seq": created.seq,
            "urls": created.urls(public_base(request)),
        },
        status_code=201,
    )


@api
async def join_room(request: Request) -> Response:
    check_origin(request)
    host = await room_of(request)
    fields = await read_body(request)
    joined = await membership.join_room(
        runtime_of(request), host, fields, returning=identify(request), ip=client_ip(request)
    )
    response = JSONResponse(
        {
            "participant_token": joined.token,
            "participant_id": joined.participant_id,
            "seq": joined.seq,
        }
    )
    set_participant_cookie(response, request, host.code, joined.token)
    return response


@api
async def get_room(request: Request) -> Response:
    caller = await admit(request, where=f"GET {request.url.path}")
    view = snapshot_view(caller.host.state, caller.role, caller.participant_id)
    return JSONResponse({"seq": caller.host.state.seq, **view})


@api
async def post_op(request: Request) -> Response:
    """One operation over HTTP: the same checks and answer as over the WebSocket."""
    check_origin(request)
    caller = await admit(request, where=f"POST {request.url.path}")
    runtime = caller.runtime
    if not runtime.ops_per_ip.take(address_bucket(caller.ip), time.monotonic()):
        raise CommandError("rate.limited")
    fields = await read_body(request)
    op, op_id = ops.check_shape(fields.pop("op", None), fields.pop("op_id", None))
    frame = await ops.run(caller, op, op_id, fields)
    if frame["type"] == "error":
        code = frame["code"]
        return JSONResponse(
            {"error": {"code": code, "message": frame["message"]}},
            status_code=answer_of(code).status,
        )
    return JSONResponse(frame)


@api
async def transcript(request: Request) -> Response:
    """Moderators may always read it; anyone may once the organiser published it."""
    try:
        host = (await admit(request, roles=staff, where=f"GET {request.url.path}")).host
    except CommandError as refusal:
        found = await find_room(request)
        if found is None or not found.state.transcript_public:
            raise refusal from None
        if sealed_quizzes(found.state):
            # A quiz's right options are in its poll.created entry: the public may read the
            # log once they are out (docs/PROTOCOL.md "Quiz").
            raise CommandError("transcript.sealed") from None
        # Published: anyone may download it, but not a thousand times a minute.
        if not runtime_of(request).reads_per_ip.take(client_bucket(request), time.monotonic()):
            raise CommandError("rate.limited", "too many downloads from your address") from None
        host = found
    store = runtime_of(request).hub.store
    code = host.code

    async def lines() -> AsyncIterator[bytes]:
        after = 0
        while True:
            page = await store.read(code, after=after, limit=2000)
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


@api
async def security_report(request: Request) -> Response:
    """Moderators: refused auth attempts and joins per address (this process), verified codes."""
    caller = await admit(request, roles=staff, where=f"GET {request.url.path}")
    codes = caller.host.state.attendee_codes
    report = caller.runtime.security.report(caller.host.code)
    report["codes"] = {
        "issued": len(codes),
        "used": sum(1 for who in codes.values() if who is not None),
    }
    return JSONResponse(report)
