"""The interpreter's page, and the big screen's leaderboard fragment.

    GET  /r/{code}/interpret            every published question and every poll, each with a
                                        form that attaches a translation (op translation.attach)
    POST /r/{code}/interpret/act        that form: the gate and op path of every other form
    GET  /r/{code}/screen/leaderboard   parts/quiz_leaderboard.html alone, for screen.js

An interpreter's invitation link (moderator.add with role "interpreter") opens the first; its
token moves into the `thi_{code}` cookie. Moderators and the organiser reach the page with
their own panel cookie. Like every page it works without JavaScript.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from moderation.roles import OPS_BY_ROLE, Role
from rooms import snapshot_view
from server.edge.gate import Caller, admit
from server.edge.page_security import secure_headers
from server.edge.pages import (
    _STAFF_COOKIE,
    _STAFF_ROLES,
    _act,
    _flash,
    _keep_staff_token,
    _redirect,
    page,
    render,
    staff_page,
)

__all__ = ["interpret_routes"]

_TRANSLATORS = _STAFF_ROLES["interpret"]  # interpreters, moderators, the organiser
_OPS = OPS_BY_ROLE[Role.INTERPRETER]  # the role table: translation.attach


def _kept_token(request: Request, code: str) -> str:
    """The interpreter's cookie, else a moderator's panel cookie (they may translate too)."""
    return request.cookies.get(_STAFF_COOKIE["interpret"] + code) or request.cookies.get(
        _STAFF_COOKIE["moderate"] + code, ""
    )


@page
async def interpret(request: Request) -> Response:
    code = request.path_params["code"]
    given = request.query_params.get("token")
    if given:  # an invitation link: keep the token in a cookie, drop it from the address
        await admit(request, roles=_TRANSLATORS, token=given, where="interpret link")
        response = _redirect(request.url.path)
        _keep_staff_token(response, request, "interpret", code, given)
        return secure_headers(response)
    caller = await admit(
        request, roles=_TRANSLATORS, token=_kept_token(request, code), where="interpret page"
    )
    state = caller.host.state
    # What attendees read: every published question; and every poll, drafts too, so that a
    # poll is translated before it opens.
    room = snapshot_view(state, Role.ATTENDEE, None)["room"]
    polls = snapshot_view(state, Role.MODERATOR, None)["room"]["polls"]
    return render(
        request,
        "interpret.html",
        code=caller.host.code,
        room=room,
        questions=room["questions"],
        polls=[_unsealed(p) for p in polls],
        flash=_flash(request),
        role=caller.role.value,
    )


def _unsealed(poll: dict[str, object]) -> dict[str, object]:
    """A poll without its results: an interpreter translates words, not tallies (and a
    quiz's right options are in its results)."""
    return {k: v for k, v in poll.items() if k != "results"}


@page
async def interpret_act(request: Request) -> Response:
    code = request.path_params["code"]
    return await _act(
        request,
        roles=_TRANSLATORS,
        token=_kept_token(request, code),
        allowed=_OPS,
        back=f"/r/{code}/interpret",
    )


@staff_page("screen")
async def screen_leaderboard(request: Request, caller: Caller, token: str) -> Response:
    room = snapshot_view(caller.host.state, Role.SCREEN, None)["room"]
    return render(request, "parts/quiz_leaderboard.html", room=room)


def interpret_routes() -> list[BaseRoute]:
    return [
        Route("/r/{code:str}/interpret", interpret),
        Route("/r/{code:str}/interpret/act", interpret_act, methods=["POST"]),
        Route("/r/{code:str}/screen/leaderboard", screen_leaderboard),
    ]
