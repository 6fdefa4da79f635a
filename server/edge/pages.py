"""Server-rendered pages: join, attendee, moderator panel, big screen, overlay.

Every page renders completely on the server from the same role-filtered snapshot the
WebSocket sends, so it works with JavaScript off; static/js/live.js then keeps it live.
Form posts go through `host.submit`, the very path of the WebSocket and `POST .../ops`.

Who is who: attendees hold the `th_{code}` cookie set by joining (the WebSocket handshake
reads it). A staff link (`?token=`) is moved into a cookie of its own, scoped to the room's
pages, and the page redirects to drop the token from the address bar; the page then hands
the token to its own script for the socket, since `th_{code}` is the attendee's.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from moderation.audit import REJECT_REASONS
from moderation.roles import Role
from rooms import Context, snapshot_view
from server.edge import http_api
from server.edge.access import settled_refusal
from server.edge.auth import read_claims, set_participant_cookie
from server.edge.i18n import LANG_COOKIE, LANGUAGES, choose, room_language, translator
from server.edge.page_forms import ATTENDEE_OPS, STAFF_OPS, op_fields
from server.edge.page_security import (
    CSRF_FIELD,
    csrf_ok,
    csrf_token,
    remember_csrf,
    secure_headers,
)
from server.edge.tokens import Claims, TokenError, issue, verify
from server.live.hub import now_ms
from server.live.room_host import RoomHost

if TYPE_CHECKING:
    from server.app import Runtime

__all__ = ["page_routes"]

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "static"
TEMPLATES = ROOT / "server" / "templates"
_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# A fresh op_id in each rendered form: a resubmitted or double-clicked form counts once.
_env.globals["new_op_id"] = lambda: http_api.new_id("f-")


# Strings the page script shows; translated on the server and handed over in a data attribute.
def N_(message: str) -> str:
    """Marks a string for extraction (`make messages`) without translating it here."""
    return message


JS_STRINGS = (  # plural counts and the words for codes travel in the translator's js_table()
    N_("Vote"),
    N_("Change my vote"),
    N_("Your vote"),
    N_("Average"),
    N_("Withdraw"),
    N_("Connected"),
    N_("Offline: your actions will be sent when you reconnect."),
    N_("Reconnecting…"),
    N_("Sent."),
    N_("Saved offline."),
    N_("No question pinned."),
    N_("Nobody has the floor."),
    N_("Your place in the queue"),
    N_("You have the floor"),
    N_("Request to speak"),
    N_("Topic"),
    N_("Results hidden until the moderator reveals them."),
    N_("Rank (1 = best)"),
    N_("Pinned"),
    N_("Your words"),
    N_("Your answer"),
    N_("Your questions"),
    N_("Reply"),
    N_("No polls yet."),
    N_("Error"),
    N_("On the floor"),
    N_("Anonymous"),
)


def _runtime(request: Request) -> Runtime:
    return http_api.routes_state(request)


def _qr_svg(url: str) -> str:
    """Inline SVG (no style attributes, so the CSP's style-src 'self' holds)."""
    return str(
        segno.make(url, error="m").svg_inline(
            scale=8, border=2, dark="#000", light="#fff", omitsize=True, title=url
        )
    )


def _base(request: Request, runtime: Runtime) -> str:
    return runtime.settings.public_url or str(request.base_url).rstrip("/")


def _render(
    request: Request, template: str, status: int = 200, *, embeddable: bool = False, **context: Any
) -> HTMLResponse:
    lang = choose(request, room_language(context.get("room")))
    _ = translator(lang)
    strings = {s: _(s) for s in JS_STRINGS}
    html = _env.get_template(template).render(
        _=_,
        lang=lang,
        languages=LANGUAGES,
        csrf=csrf_token(request),
        csrf_field=CSRF_FIELD,
        request_path=request.url.path,
        js_strings=json.dumps(strings, ensure_ascii=False),
        reasons=REJECT_REASONS,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    remember_csrf(request, response)
    return secure_headers(response, embeddable=embeddable)


def _not_found(request: Request) -> HTMLResponse:
    return _render(
        request,
        "message.html",
        404,
        title_key=N_("Room not found"),
        message_key=N_("Check the code and try again."),
    )


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _host(request: Request) -> RoomHost | None:
    code = request.path_params["code"]
    if not _CODE.match(code):
        return None
    return await _runtime(request).hub.room(code)


# -- home and join ---------------------------------------------------------------------------


async def home(request: Request) -> Response:
    return _render(request, "home.html", error=request.query_params.get("error"))


async def find_room(request: Request) -> Response:
    code = request.query_params.get("code", "").strip().upper().replace(" ", "")
    if not _CODE.match(code):
        return _redirect("/?error=room.not_found")
    return _redirect(f"/r/{code}")


async def new_room(request: Request) -> Response:
    """The home page's "start a meeting" form: POST /api/rooms, then into the control panel."""
    await request.body()
    form = await request.form()
    if not csrf_ok(request, _str(form.get(CSRF_FIELD))):
        return _csrf_refused(request)
    response = await http_api.create_room(request)
    if response.status_code != 201:
        return _redirect("/?error=" + _error_code(response))
    created = json.loads(bytes(response.body))
    return _redirect(f"/r/{created['code']}/moderate?token={created['moderator_token']}")


def _error_code(response: Response) -> str:
    try:
        return str(json.loads(bytes(response.body))["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return "server.unavailable"


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _csrf_refused(request: Request) -> Response:
    return _render(
        request,
        "message.html",
        403,
        title_key=N_("Request refused"),
        message_key=N_(
            "This form came from another site or has expired. Reload the page and try again."
        ),
    )


async def join(request: Request) -> Response:
    """The join form's post: POST /api/rooms/{code}/join's rules, then back to the room."""
    runtime = _runtime(request)
    code = request.path_params["code"]
    await request.body()
    form = await request.form()
    if not csrf_ok(request, _str(form.get(CSRF_FIELD))):
        return _csrf_refused(request)
    host = await _host(request)
    if host is None:
        return _not_found(request)
    fields: dict[str, Any] = {}
    for name in ("name", "district", "access_code"):
        value = _str(form.get(name))
        if value is not None and value.strip():  # an empty box means "not given"
            fields[name] = value
    existing = read_claims(request, code, runtime.settings.secret, now_ms())
    participant = (
        existing.participant_id
        if existing is not None and existing.role is Role.ATTENDEE
        else http_api.new_id("u")
    )
    ctx = Context(participant, Role.ATTENDEE, now_ms(), http_api.new_id("join-"))
    outcome = await host.submit("participant.join", fields, ctx)
    if outcome.error is not None:
        return _redirect(f"/r/{code}?" + urlencode({"error": outcome.error.code}))
    token = issue(runtime.settings.secret, Claims(code, participant, Role.ATTENDEE, 0))
    response = _redirect(f"/r/{code}")
    set_participant_cookie(response, request, code, token)
    return response


# -- attendee ---------------------------------------------------------------------------------


async def attendee(request: Request) -> Response:
    runtime = _runtime(request)
    host = await _host(request)
    if host is None:
        return _not_found(request)
    code = host.code
    claims = read_claims(request, code, runtime.settings.secret, now_ms())
    if claims is not None and claims.role is not Role.ATTENDEE:
        claims = None  # a staff token in the URL: this page is the attendee's
    flash = _flash(request)
    refused = (
        None if claims is None else await settled_refusal(host, claims.participant_id, claims.role)
    )
    if claims is None or refused is not None:
        banned = refused is not None
        view = snapshot_view(host.state, Role.SCREEN, None)
        return _render(
            request,
            "join.html",
            code=code,
            room=view["room"],
            flash=flash,
            banned=banned,
            attend_url=f"{_base(request, runtime)}/r/{code}",
            qr=_qr_svg(f"{_base(request, runtime)}/r/{code}"),
        )
    view = snapshot_view(host.state, Role.ATTENDEE, claims.participant_id)
    return _render(
        request,
        "attendee.html",
        code=code,
        seq=host.state.seq,
        room=view["room"],
        you=view["you"],
        flash=flash,
        role="attendee",
        ws_token="",
    )


def _flash(request: Request) -> dict[str, str] | None:
    error = request.query_params.get("error")
    if error:
        return {"kind": "error", "code": error[:64]}
    done = request.query_params.get("done")
    if done:
        return {"kind": "done", "code": done[:64]}
    return None


async def _act(
    request: Request, claims: Claims | None, allowed: frozenset[str], back: str
) -> Response:
    await request.body()
    form = await request.form()
    if not csrf_ok(request, _str(form.get(CSRF_FIELD))):
        return _csrf_refused(request)
    host = await _host(request)
    if host is None:
        return _not_found(request)
    if (
        claims is None
        or await settled_refusal(host, claims.participant_id, claims.role) is not None
    ):
        return _redirect(f"{back}?error=auth.forbidden")
    op = _str(form.get("op")) or ""
    if op not in allowed:
        return _redirect(f"{back}?error=op.unknown")
    runtime = _runtime(request)
    if not runtime.ops_per_ip.take(
        request.client.host if request.client else "?", time.monotonic()
    ):
        return _redirect(f"{back}?error=rate.limited")
    # A form carries its own op_id so a double-clicked or resubmitted form counts once.
    op_id = _str(form.get("op_id")) or http_api.new_id("form-")
    fields = op_fields(op, form, host.state)
    outcome = await host.submit(
        op, fields, Context(claims.participant_id, claims.role, now_ms(), op_id[:64])
    )
    hx = request.headers.get("hx-request") == "true"
    if op == "moderator.add" and outcome.error is None:
        token = issue(
            runtime.settings.secret,
            Claims(host.code, str(outcome.result["moderator_id"]), Role.MODERATOR, 0),
        )
        link = f"{_base(request, runtime)}/r/{host.code}/moderate?token={token}"
        return _render(
            request, "invite_fragment.html" if hx else "invite.html", link=link, code=host.code
        )
    if hx:
        return _render(
            request, "status.html", error=outcome.error.code if outcome.error else None, op=op
        )
    if outcome.error is not None:
        return _redirect(f"{back}?" + urlencode({"error": outcome.error.code}))
    anchor = "#polls" if op == "vote" else "#questions" if op.startswith("question") else ""
    return _redirect(f"{back}?" + urlencode({"done": op}) + anchor)


async def attendee_act(request: Request) -> Response:
    runtime = _runtime(request)
    code = request.path_params["code"]
    claims = read_claims(request, code, runtime.settings.secret, now_ms())
    if claims is not None and claims.role is not Role.ATTENDEE:
        claims = None
    return await _act(request, claims, ATTENDEE_OPS, f"/r/{code}")


# -- staff pages: moderator, screen, overlay --------------------------------------------------

_STAFF_COOKIE = {"moderate": "thm_", "screen": "ths_"}
_STAFF_ROLES = {
    "moderate": (Role.ORGANISER, Role.MODERATOR),
    "screen": (Role.SCREEN, Role.ORGANISER, Role.MODERATOR),
    "embed": (Role.EMBED, Role.SCREEN, Role.ORGANISER, Role.MODERATOR),
}


def _staff_claims(request: Request, page: str, token: str | None) -> Claims | None:
    code = request.path_params["code"]
    if token is None:
        token = request.cookies.get(_STAFF_COOKIE.get(page, "-") + code)
    if not token:
        return None
    try:
        claims = verify(_runtime(request).settings.secret, token, room=code, now_ms=now_ms())
    except TokenError:
        return None
    return claims if claims.role in _STAFF_ROLES[page] else None


async def _staff_page(request: Request, page: str) -> Response | tuple[RoomHost, Claims, str]:
    """The host, claims and token of a staff page; or the response to give instead."""
    code = request.path_params["code"]
    host = await _host(request)
    if host is None:
        return _not_found(request)
    given = request.query_params.get("token")
    if given and page in _STAFF_COOKIE:
        if _staff_claims(request, page, given) is None:
            return _forbidden(request)
        lang = request.query_params.get("lang")
        response = _redirect(request.url.path + (f"?lang={lang}" if lang in LANGUAGES else ""))
        response.set_cookie(
            _STAFF_COOKIE[page] + code,
            given,
            max_age=7 * 86400,
            httponly=True,
            samesite="lax",
            path=f"/r/{code}",
            secure=request.url.scheme == "https",
        )
        return secure_headers(response)
    claims = _staff_claims(request, page, given)
    if (
        claims is None
        or await settled_refusal(host, claims.participant_id, claims.role) is not None
    ):
        return _forbidden(request)
    token = given or request.cookies.get(_STAFF_COOKIE[page] + code, "")
    return host, claims, token


def _forbidden(request: Request) -> HTMLResponse:
    return _render(
        request,
        "message.html",
        403,
        title_key=N_("This link is not valid"),
        message_key=N_("Ask the organiser for a new link."),
    )


async def moderate(request: Request) -> Response:
    found = await _staff_page(request, "moderate")
    if isinstance(found, Response):
        return found
    host, claims, token = found
    return _render(request, "moderate.html", **_moderate_context(request, host, claims, token))


def _moderate_context(
    request: Request, host: RoomHost, claims: Claims, token: str
) -> dict[str, Any]:
    runtime = _runtime(request)
    view = snapshot_view(host.state, claims.role, claims.participant_id)
    room = view["room"]
    base = _base(request, runtime)
    return {
        "code": host.code,
        "seq": host.state.seq,
        "room": room,
        "you": view["you"],
        "role": "moderator",
        "ws_token": token,
        "flash": _flash(request),
        "connected": host.connection_count(),
        "voted": len({who for p in host.state.polls.values() for who in p.ballots}),
        "asked": len(host.state.questions),
        "organiser": claims.role is Role.ORGANISER,
        "attend_url": f"{base}/r/{host.code}",
    }


async def moderate_panel(request: Request) -> Response:
    """The panel's live part alone, for the page script to swap in after a change."""
    found = await _staff_page(request, "moderate")
    if isinstance(found, Response):
        return found
    host, claims, token = found
    return _render(
        request, "moderate_panel.html", **_moderate_context(request, host, claims, token)
    )


async def moderate_act(request: Request) -> Response:
    claims = _staff_claims(request, "moderate", None)
    code = request.path_params["code"]
    return await _act(request, claims, STAFF_OPS, f"/r/{code}/moderate")


async def screen(request: Request) -> Response:
    found = await _staff_page(request, "screen")
    if isinstance(found, Response):
        return found
    host, _claims, token = found
    runtime = _runtime(request)
    view = snapshot_view(host.state, Role.SCREEN, None)
    attend = f"{_base(request, runtime)}/r/{host.code}"
    return _render(
        request,
        "screen.html",
        code=host.code,
        seq=host.state.seq,
        room=view["room"],
        role="screen",
        ws_token=token,
        qr=_qr_svg(attend),
        attend_url=attend,
    )


_THEMES = ("dark", "light")
_SIZES = ("s", "m", "l")


async def embed(request: Request) -> Response:
    """The overlay keeps its token in the URL: an OBS source or a foreign page's iframe
    would not send a SameSite cookie, and the token only reads results."""
    found = await _staff_page(request, "embed")
    if isinstance(found, Response):
        return found
    host, _claims, token = found
    view = snapshot_view(host.state, Role.EMBED, None)
    params = request.query_params
    poll = params.get("poll", "")
    theme = params.get("theme") if params.get("theme") in _THEMES else "dark"
    size = params.get("size") if params.get("size") in _SIZES else "m"
    return _render(
        request,
        "embed.html",
        embeddable=True,
        code=host.code,
        seq=host.state.seq,
        room=view["room"],
        role="embed",
        ws_token=token,
        only_poll=int(poll) if poll.isdigit() and len(poll) < 16 else None,
        theme=theme,
        size=size,
    )


def page_routes() -> list[BaseRoute]:
    # Static files are small and text: gzip them (this is what the page-weight budget counts).
    static = GZipMiddleware(StaticFiles(directory=STATIC, check_dir=False), minimum_size=500)
    return [
        Route("/", home),
        Route("/join", find_room),
        Route("/new", new_room, methods=["POST"]),
        Route("/r/{code:str}", attendee),
        Route("/r/{code:str}/join", join, methods=["POST"]),
        Route("/r/{code:str}/act", attendee_act, methods=["POST"]),
        Route("/r/{code:str}/moderate", moderate),
        Route("/r/{code:str}/moderate/panel", moderate_panel),
        Route("/r/{code:str}/moderate/act", moderate_act, methods=["POST"]),
        Route("/r/{code:str}/screen", screen),
        Route("/r/{code:str}/embed", embed),
        Mount("/static", app=static, name="static"),
    ]
