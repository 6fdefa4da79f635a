"""The exports over HTTP, for the room's moderators and organiser (like the transcript):

    GET /api/rooms/{code}/export/questions.csv
    GET /api/rooms/{code}/export/polls/{poll_id}.csv          results
    GET /api/rooms/{code}/export/polls/{poll_id}-ballots.csv  ballots, without identities
    GET /api/rooms/{code}/report                               the evaluation report (JSON)

and, for anyone once the organiser published it (moderators any time after closing):

    GET /api/rooms/{code}/published                            the published record (JSON)
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from rooms import CommandError
from rooms.quiz import sealed_quizzes
from server.edge.gate import admit, room_of
from server.edge.http_api import api, staff
from server.edge.runtime import client_bucket, runtime_of
from server.live.room_host import RoomHost
from server.tools.exports import (
    ballots_csv,
    load_published,
    load_report,
    poll_csv,
    questions_csv,
)

__all__ = ["export_routes"]


async def _staff_host(request: Request) -> RoomHost:
    return (await admit(request, roles=staff, where=f"GET {request.url.path}")).host


def _csv_response(text: str, filename: str) -> Response:
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
        },
    )


@api
async def export_questions(request: Request) -> Response:
    host = await _staff_host(request)
    return _csv_response(questions_csv(host.state), f"{host.code}-questions.csv")


def _poll_export(ballots: bool) -> Route:
    suffix = "-ballots" if ballots else ""

    @api
    async def export_poll(request: Request) -> Response:
        host = await _staff_host(request)
        poll_id: int = request.path_params["poll_id"]
        try:
            text = ballots_csv(host.state, poll_id) if ballots else poll_csv(host.state, poll_id)
        except KeyError:
            raise CommandError("poll.not_found") from None
        except ValueError as exc:
            raise CommandError("export.not_available", str(exc)) from None
        return _csv_response(text, f"{host.code}-poll-{poll_id}{suffix}.csv")

    return Route(f"/api/rooms/{{code:str}}/export/polls/{{poll_id:int}}{suffix}.csv", export_poll)


@api
async def report(request: Request) -> Response:
    host = await _staff_host(request)
    body = await load_report(host.deps.store, host.code)
    return JSONResponse(body, headers={"cache-control": "no-store"})


async def published_host(request: Request) -> RoomHost:
    """The room whose published record `request` may read: anyone's once it is public (at a
    bounded rate per address), a moderator's once the room is closed."""
    try:
        host = await _staff_host(request)
    except CommandError as refusal:
        found = await room_of(request)
        if not found.state.transcript_public:
            raise (refusal if refusal.code != "auth.token" else _unpublished()) from None
        if sealed_quizzes(found.state):
            # The record holds each quiz's right options, as the transcript does: the public
            # reads neither while a quiz is unrevealed (http_api.transcript, the same rule).
            raise CommandError("transcript.sealed") from None
        if not runtime_of(request).reads_per_ip.take(client_bucket(request), time.monotonic()):
            raise CommandError("rate.limited", "too many downloads from your address") from None
        return found
    if not host.state.closed:
        raise CommandError("room.not_closed")
    return host


def _unpublished() -> CommandError:
    return CommandError("transcript.not_published")


@api
async def published(request: Request) -> Response:
    host = await published_host(request)
    body = await load_published(host.deps.store, host.state)
    return Response(
        body,
        media_type="application/json",
        headers={
            "content-disposition": f'attachment; filename="{host.code}-published.json"',
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
        },
    )


def export_routes() -> list[BaseRoute]:
    return [
        Route("/api/rooms/{code:str}/published", published),
        Route("/api/rooms/{code:str}/report", report),
        Route("/api/rooms/{code:str}/export/questions.csv", export_questions),
        _poll_export(ballots=True),
        _poll_export(ballots=False),
    ]
