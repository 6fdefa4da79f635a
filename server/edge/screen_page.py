"""The big screen and the overlay: their pages, the fragments their script swaps in, and the
overlay's preview for the control panel.

Each page renders whole on the server (it works with JavaScript off, refreshing itself); the
page script asks for `.../stage` again after a change and morphs it in, so the markup has one
source: the templates under server/templates/parts/. What the screen shows is the room's own
choice (op `screen.show`, rooms/presenting.py); the overlay follows it or shows one poll.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from moderation.roles import Role
from rooms import quiz
from rooms.presenting import shown
from rooms.render import poll_view, poll_visible, question_view, room_header, speaker_view
from rooms.standing import link_generation
from rooms.state import RoomState
from server.edge import word_cloud
from server.edge.gate import Caller
from server.edge.http_api import public_base
from server.edge.invites import link_path, link_token
from server.edge.pages import qr_svg, render, staff_page

__all__ = ["OverlayOptions", "ScreenOptions", "clock", "screen_routes", "stage_context"]

# Long question texts shrink in steps (CSS classes), then are cut at the line limit.
_LENGTH_STEPS = ((220, "longest"), (120, "longer"), (60, "long"))


def clock(ms: int) -> str:
    """m:ss of a duration in ms (negative: time over, shown with a plus)."""
    over = ms < 0
    s = abs(ms) // 1000 + (0 if over or ms % 1000 == 0 else 1)  # a countdown rounds up
    text = f"{s // 60}:{s % 60:02d}"
    return f"+{text}" if over else text


def length_class(text: str) -> str:
    return next((name for limit, name in _LENGTH_STEPS if len(text) > limit), "")


def _pick(params: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str:
    value = params.get(name, "")
    return value if value in allowed else allowed[0]


class ScreenOptions:
    """The big screen's look, from its address: ?theme=light|dark, ?contrast=high."""

    THEMES = ("dark", "light")

    def __init__(self, params: Mapping[str, str]) -> None:
        self.theme = _pick(params, "theme", self.THEMES)
        self.high_contrast = params.get("contrast") == "high"

    @property
    def body_class(self) -> str:
        return f"screen theme-{self.theme}" + (" contrast-high" if self.high_contrast else "")


class OverlayOptions:
    """The overlay's options, from its address (the panel's overlay section builds it)."""

    THEMES = ("dark", "light")
    SIZES = ("m", "s", "l")
    SHOWS = ("follow", "poll", "reactions")  # follow the big screen, one poll, reactions only
    BACKDROPS = ("clear", "solid")  # the video shows around the panels, or a solid frame

    def __init__(self, params: Mapping[str, str]) -> None:
        self.theme = _pick(params, "theme", self.THEMES)
        self.size = _pick(params, "size", self.SIZES)
        self.backdrop = _pick(params, "backdrop", self.BACKDROPS)
        raw = params.get("poll", "")
        self.poll = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 16 else None
        self.show = _pick(params, "show", self.SHOWS)
        # A poll chosen (?poll=N, the overlay's first address form too) is the one shown.
        if self.poll is not None and self.show != "reactions":
            self.show = "poll"
        elif self.show == "poll":
            self.show = "follow"

    def query(self) -> dict[str, str]:
        q = {"theme": self.theme, "size": self.size, "show": self.show, "backdrop": self.backdrop}
        if self.show == "poll" and self.poll is not None:
            q["poll"] = str(self.poll)
        return q

    @property
    def body_class(self) -> str:
        return (
            f"embed theme-{self.theme} size-{self.size} backdrop-{self.backdrop} show-{self.show}"
        )


def _poll(state: RoomState, poll_id: int | None, role: Role) -> dict[str, Any] | None:
    poll = state.polls.get(poll_id) if poll_id is not None else None
    if poll is None or not poll_visible(poll, role):
        return None
    return poll_view(state, poll, role)


def stage_context(state: RoomState, role: Role, now: int) -> dict[str, Any]:
    """Everything a stage template reads: what is shown, resolved, as `role` may see it."""
    now_showing = shown(state)
    poll = _poll(state, now_showing.target_id, role) if now_showing.target == "poll" else None
    question = None
    if now_showing.target == "question" and now_showing.target_id is not None:
        question = question_view(state, state.questions[now_showing.target_id], role)
    pinned = state.questions.get(state.pinned) if state.pinned is not None else None
    return {
        "shown": now_showing,
        "poll": poll,
        "question": question,
        "pinned": question_view(state, pinned, role) if pinned is not None else None,
        "speaker": speaker_view(state, role),
        "closed": state.closed,  # an ended meeting invites nobody to join
        "now": now,
        "state_seq": state.seq,  # the script fetches again only if the room moved on since
        # A quiz's slide shows the room's leaderboard beside its results (revealed quizzes only).
        "leaderboard": quiz.leaderboard(state) if poll and poll["kind"] == "quiz" else [],
        "clock": clock,
        "length_class": length_class,
    }


def _now() -> int:
    return int(time.time() * 1000)


def _screen_token(caller: Caller, token: str) -> str:
    """A moderator opening the screen from the panel: the page's socket gets the screen's own
    read-only token, never the moderator's (a projected page holds no moderator rights)."""
    if caller.role is Role.SCREEN:
        return token
    state = caller.host.state
    return link_token(
        caller.runtime.settings.secret,
        caller.host.code,
        "screen",
        state.organiser,
        link_generation(state, Role.SCREEN),
    )


def _screen_common(request: Request, caller: Caller) -> dict[str, Any]:
    host = caller.host
    attend = f"{public_base(request)}/r/{host.code}"
    return {
        "code": host.code,
        "room": room_header(host.state, Role.SCREEN),  # the room's language speaks
        "title": host.state.title,
        "attend_url": attend,
        "attend_short": attend.split("://", 1)[-1],
        "qr": qr_svg(attend),
        **stage_context(host.state, Role.SCREEN, _now()),
    }


async def _lay_out_cloud(context: dict[str, Any]) -> None:
    """A word cloud of 200 words takes a fifth of a second to lay out: that runs in a thread,
    off the event loop, and the template then reads the layout from word_cloud's cache."""
    poll = context.get("poll")
    results = poll.get("results") if poll is not None else None
    if poll is not None and poll["kind"] == "wordcloud" and results:
        await asyncio.to_thread(word_cloud.layout, list(results["words"].items()))


@staff_page("screen")
async def screen(request: Request, caller: Caller, token: str) -> Response:
    options = ScreenOptions(request.query_params)
    context = _screen_common(request, caller)
    await _lay_out_cloud(context)
    return render(
        request,
        "screen.html",
        role="screen",
        ws_token=_screen_token(caller, token),
        options=options,
        seq=caller.host.state.seq,
        **context,
    )


@staff_page("screen")
async def screen_stage(request: Request, caller: Caller, token: str) -> Response:
    context = _screen_common(request, caller)
    await _lay_out_cloud(context)
    return render(request, "parts/screen_stage.html", **context)


def _embed_common(request: Request, caller: Caller, options: OverlayOptions) -> dict[str, Any]:
    host = caller.host
    context = stage_context(host.state, Role.EMBED, _now())
    if options.show == "poll":
        context["poll"] = _poll(host.state, options.poll, Role.EMBED)
    attend = f"{public_base(request)}/r/{host.code}"
    return {
        "code": host.code,
        "room": room_header(host.state, Role.EMBED),
        "attend_short": attend.split("://", 1)[-1],
        "options": options,
        **context,
    }


@staff_page("embed")
async def embed(request: Request, caller: Caller, token: str) -> Response:
    """The overlay keeps its token in the URL: an OBS source or a foreign page's iframe
    would not send a SameSite cookie, and the token only reads results."""
    options = OverlayOptions(request.query_params)
    query = urlencode({"token": token, **options.query()})
    return render(
        request,
        "embed.html",
        embeddable=True,
        role="embed",
        ws_token=token,
        seq=caller.host.state.seq,
        fragment=f"/r/{caller.host.code}/embed/stage?{query}",
        **_embed_common(request, caller, options),
    )


@staff_page("embed")
async def embed_stage(request: Request, caller: Caller, token: str) -> Response:
    options = OverlayOptions(request.query_params)
    return render(
        request,
        "parts/embed_stage.html",
        embeddable=True,
        **_embed_common(request, caller, options),
    )


def overlay_link(request: Request, caller: Caller, options: OverlayOptions) -> str:
    host = caller.host
    token = link_token(
        caller.runtime.settings.secret,
        host.code,
        "embed",
        host.state.organiser,
        link_generation(host.state, Role.EMBED),
    )
    return (
        public_base(request)
        + link_path(host.code, "embed", token)
        + "&"
        + urlencode(options.query())
    )


@staff_page("moderate")
async def overlay_preview(request: Request, caller: Caller, token: str) -> Response:
    """The panel's overlay section: the link with its options, and the overlay itself over a
    light and a dark stand-in for video. Framed by the panel, and only by it."""
    options = OverlayOptions(request.query_params)
    response = render(
        request,
        "overlay_preview.html",
        code=caller.host.code,
        options=options,
        link=overlay_link(request, caller, options),
    )
    csp = response.headers["content-security-policy"]
    response.headers["content-security-policy"] = csp.replace(
        "frame-ancestors 'none'", "frame-ancestors 'self'"
    )
    response.headers["x-frame-options"] = "SAMEORIGIN"
    return response


def screen_routes() -> list[BaseRoute]:
    return [
        Route("/r/{code:str}/screen", screen),
        Route("/r/{code:str}/screen/stage", screen_stage),
        Route("/r/{code:str}/embed", embed),
        Route("/r/{code:str}/embed/stage", embed_stage),
        Route("/r/{code:str}/moderate/overlay", overlay_preview),
    ]
