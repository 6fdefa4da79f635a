"""Server-rendered pages: join, attendee, moderator panel, big screen, overlay.

Every page renders completely on the server from the same role-filtered snapshot the
WebSocket sends, so it works with JavaScript off; static/js/live.js then keeps it live.
Every page and form post goes through server/edge/gate.py, and form ops through
server/edge/ops.py: the very path of the WebSocket and `POST .../ops`.

Who is who: attendees hold the `th_{code}` cookie set by joining (the WebSocket handshake
reads it). A staff link (`?token=`) is moved into a cookie of its own, scoped to the room's
pages, and the page redirects to drop the token from the address bar; the page then hands
the token to its own script for the socket, since `th_{code}` is the attendee's.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Awaitable, Callable
from html import escape as html_escape
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import segno
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData, UploadFile
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from moderation.audit import REJECT_REASONS
from moderation.language import parse_tag
from moderation.roles import Role
from rooms import CommandError, snapshot_view
from rooms.standing import link_generation
from rooms.views import moderation_queue
from server.assets import static_dir
from server.edge import membership, ops, word_cloud
from server.edge.addresses import address_bucket
from server.edge.admission import Throttled
from server.edge.answers import answer_of
from server.edge.attendee_view import FragmentCache, attendee_context, poll_param, receipt_of
from server.edge.auth import cookie_name, set_participant_cookie
from server.edge.gate import (
    ROOM_CODE,
    Caller,
    admit,
    admit_claims,
    form_fields,
    identify,
    read_capped,
    room_of,
)
from server.edge.http_api import public_base
from server.edge.i18n import LANG_COOKIE, LANGUAGES, choose, room_language, translator
from server.edge.invites import link_path, link_token
from server.edge.page_forms import ATTENDEE_OPS, STAFF_OPS, op_fields
from server.edge.page_security import CSRF_FIELD, csrf_ok, csrf_token, remember_csrf, secure_headers
from server.edge.runtime import client_bucket, client_ip, runtime_of
from server.edge.static_min import MinifiedStatic
from server.edge.undo import bans_in_force, undo_from_query, undo_of, undo_query
from server.live.hub import now_ms

__all__ = [
    "N_",
    "back_with",
    "flash_of",
    "form_of",
    "keep_staff_token",
    "moderate_context",
    "page",
    "page_routes",
    "qr_svg",
    "render",
    "staff_cookie",
    "staff_page",
]

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# A fresh op_id in each rendered form: a resubmitted or double-clicked form counts once.
env.globals["new_op_id"] = lambda: membership.new_id("f-")
env.globals["cloud_layout"] = word_cloud.layout  # the big screen's word cloud, placed here
env.globals["cloud_size"] = (int(word_cloud.WIDTH), int(word_cloud.HEIGHT))


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
    N_("Original"),
    N_("Right answer"),
    N_("Leaderboard"),
    N_("Upvote recorded."),
    N_("Upvote removed."),
    N_("Your vote was recorded."),
    N_("New: %(num)s"),
    N_("%(option)s is now number %(num)s"),
    N_("Copied."),
)


Page = Callable[[Request], Awaitable[Response]]
# The largest form a page posts: a poll with many options, or a long question.
MAX_FORM = 32 * 1024
StaffHandler = Callable[[Request, Caller, str], Awaitable[Response]]


def qr_svg(url: str) -> str:
    """Inline SVG (no style attributes, so the CSP's style-src 'self' holds)."""
    return str(
        segno.make(url, error="m").svg_inline(
            scale=8, border=2, dark="#000", light="#fff", omitsize=True, title=url
        )
    )


def render(
    request: Request, template: str, status: int = 200, *, embeddable: bool = False, **context: Any
) -> HTMLResponse:
    lang = choose(request, room_language(context.get("room")))
    _ = translator(lang)
    strings = {s: _(s) for s in JS_STRINGS}
    html = env.get_template(template).render(
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


# What a person sees when a page refuses them; the status comes from the answer table.
_REFUSAL_PAGES = {
    "room.not_found": (N_("Room not found"), N_("Check the code and try again.")),
    "auth.csrf": (
        N_("Request refused"),
        N_("This form came from another site or has expired. Reload the page and try again."),
    ),
    "frame.too_large": (N_("Request refused"), N_("That was more than this form can take.")),
    "rate.limited": (N_("Please wait a moment"), N_("Too many requests came from your address.")),
}
_BAD_LINK = (N_("This link is not valid"), N_("Ask the organiser for a new link."))


def refusal_page(request: Request, error: CommandError) -> HTMLResponse:
    title, message = _REFUSAL_PAGES.get(error.code, _BAD_LINK)
    response = render(
        request,
        "message.html",
        answer_of(error.code).status,
        title_key=title,
        message_key=message,
        error_code=error.code,
    )
    if isinstance(error, Throttled):
        response.headers["retry-after"] = str(error.retry_after)
    return response


def page(handler: Page) -> Page:
    """A page: any refusal on the way is shown as a page that says what to do."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except CommandError as error:
            return refusal_page(request, error)

    return endpoint


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _back_with(back: str, key: str, value: str, anchor: str = "") -> RedirectResponse:
    return _redirect(f"{back}?" + urlencode({key: value}) + anchor)


async def _form(request: Request) -> FormData:
    """A form post (urlencoded, size-capped), after the CSRF check (`auth.csrf` otherwise)."""
    pairs: list[tuple[str, str | UploadFile]] = list(
        form_fields(await read_capped(request, MAX_FORM))
    )
    form = FormData(pairs)
    token = form.get(CSRF_FIELD)
    if not csrf_ok(request, token if isinstance(token, str) else None):
        raise CommandError("auth.csrf")
    return form


def _texts(form: FormData) -> dict[str, str]:
    """The form's filled-in text fields (an empty box means "not given")."""
    return {
        key: value
        for key, value in form.items()
        if isinstance(value, str) and value.strip() and key != CSRF_FIELD
    }


# The panel's own pages (server/edge/panel_pages.py) use the same helpers.
form_of = _form
back_with = _back_with


def staff_cookie(request: Request, code: str) -> str:
    """The moderator link's token, as this browser keeps it for the room's pages."""
    return request.cookies.get(_STAFF_COOKIE["moderate"] + code, "")


# -- home and join ---------------------------------------------------------------------------


async def find_room(request: Request) -> Response:
    code = request.query_params.get("code", "").strip().upper().replace(" ", "")
    return _redirect(f"/r/{code}" if ROOM_CODE.match(code) else "/?error=room.not_found")


@page
async def join(request: Request) -> Response:
    """The join form's post: the API's join, then back to the room."""
    given = _texts(await _form(request))
    host = await room_of(request)
    try:
        joined = await membership.join_room(
            runtime_of(request), host, given, returning=identify(request), ip=client_ip(request)
        )
    except CommandError as error:
        kept: dict[str, str] = {"error": error.code}
        kept.update((k, given[k][:200]) for k in ("name", "district") if k in given)
        return _redirect(f"/r/{host.code}?" + urlencode(kept))
    response = _redirect(f"/r/{host.code}")
    set_participant_cookie(response, request, host.code, joined.token)
    return response


# -- attendee ---------------------------------------------------------------------------------

_ATTENDEES = frozenset({Role.ATTENDEE})


@page
async def attendee(request: Request) -> Response:
    host = await room_of(request)
    code = host.code
    flash = _flash(request)
    caller, banned = await _attendee_or_banned(request)
    if caller is None:
        attend = f"{public_base(request)}/r/{code}"
        view = snapshot_view(host.state, Role.SCREEN, None)
        settings = host.state.settings
        person = host.state.participants.get(banned) if banned else None
        return render(
            request,
            "join.html",
            code=code,
            room=view["room"],
            flash=flash,
            banned=banned is not None,
            ban_reason=person.ban_reason if person is not None else None,
            needs_code=settings.access_code is not None,
            verified=settings.verified,
            given=_given(request),
            attend_url=attend,
            qr=qr_svg(attend),
            # a printed code's QR fills it in (server/templates/codes.html)
            attendee_code=request.query_params.get("attendee_code", "")[:64],
        )
    return _attendee_page(request, caller, "attendee.html", personal=True, flash=flash)


def _given(request: Request) -> dict[str, str]:
    """What the join form had typed in, back after a refusal (never a code)."""
    params = request.query_params
    return {k: params[k][:200] for k in ("name", "district") if params.get(k)}


async def _attendee_or_banned(request: Request) -> tuple[Caller | None, str | None]:
    """The admitted attendee, or (None, their id) when banned, or (None, None)."""
    claims = identify(request)
    if claims is None or claims.role is not Role.ATTENDEE:  # a staff token: not this page
        return None, None
    try:
        return await admit_claims(request, claims, roles=_ATTENDEES, where="attendee page"), None
    except CommandError as error:
        return None, claims.participant_id if error.code == "auth.banned" else None


def _attendee_page(
    request: Request, caller: Caller, template: str, *, personal: bool, **extra: Any
) -> HTMLResponse:
    host, params = caller.host, request.query_params
    view = snapshot_view(host.state, Role.ATTENDEE, caller.participant_id)
    context = attendee_context(
        host.state,
        view,
        personal=personal,
        sort=params.get("qsort", "top") if personal else "top",
        search=params.get("q", "") if personal else "",
        receipt=receipt_of(params.get("receipt")) if personal else None,
        receipt_poll=poll_param(params.get("poll", "")),
    )
    return render(
        request,
        template,
        code=host.code,
        seq=host.state.seq,
        role="attendee",
        ws_token="",
        now=now_ms(),
        **context,
        **extra,
    )


_PUBLIC_PARTS = FragmentCache()


async def _fragment_caller(request: Request, fragment: str) -> Caller:
    """The attendee asking for a fragment, admitted; first `rate.limited` (429, Retry-After)
    past the fragment's budgets, checked on the verified cookie before the room is loaded or
    anything rendered (server/edge/fragment_budgets.py). The cookie is verified once."""
    claims = identify(request)
    why = runtime_of(request).fragments.refusal(
        fragment, claims, client_bucket(request), time.monotonic()
    )
    if why is not None:
        raise Throttled(
            "too many refreshes from you" if why == "person" else "too many from your address",
            1,
        )
    return await admit_claims(request, claims, roles=_ATTENDEES, where="attendee fragment")


def fragment(handler: Page) -> Page:
    """A part of a page fetched by its script: refused like a page, except that a refusal of
    the fragment budgets is answered for the price of noticing it (no page rendered: that is
    what a flood would otherwise buy), its code in `data-error`, with Retry-After."""

    @functools.wraps(handler)
    async def endpoint(request: Request) -> Response:
        try:
            return await handler(request)
        except Throttled as error:
            body = f'<p data-error="{error.code}">{html_escape(error.message)}</p>'
            return secure_headers(
                HTMLResponse(
                    body,
                    status_code=answer_of(error.code).status,
                    headers={"retry-after": str(error.retry_after), "cache-control": "no-store"},
                )
            )
        except CommandError as error:
            return refusal_page(request, error)

    return endpoint


@fragment
async def attendee_live(request: Request) -> Response:
    """The public part of the attendee page, the same bytes for every attendee of the room
    in one language: rendered once per room version, then answered from memory or with 304."""
    caller = await _fragment_caller(request, "live")
    host = caller.host
    lang = choose(request, room_language(snapshot_view(host.state, Role.SCREEN, None)["room"]))
    tag = f'"{host.state.seq}-{lang}"'
    headers = {"ETag": tag, "Cache-Control": "private, no-cache", "Vary": "Cookie"}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    key = (host.code, host.state.seq, lang)
    body = _PUBLIC_PARTS.get(key)
    if body is None:
        body = bytes(_attendee_page(request, caller, "attendee_live.html", personal=False).body)
        _PUBLIC_PARTS.put(key, body)
    return secure_headers(HTMLResponse(body, headers=headers))


@fragment
async def attendee_mine(request: Request) -> Response:
    """The person's own blocks (their questions, their place to speak, who they joined as),
    fetched by the page script only after that person's own actions and personal frames."""
    caller = await _fragment_caller(request, "mine")
    response = _attendee_page(request, caller, "attendee_mine.html", personal=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@page
async def leave(request: Request) -> Response:
    """Forget this browser's place in the room (the person's record stays, as the log does)."""
    await _form(request)
    code = (await room_of(request)).code
    response = _back_with(f"/r/{code}", "done", "left")
    response.delete_cookie(cookie_name(code), httponly=True, samesite="lax")
    return secure_headers(response)


def _flash(request: Request) -> dict[str, Any] | None:
    error = request.query_params.get("error")
    if error:
        return {"kind": "error", "code": error[:64]}
    done = request.query_params.get("done")
    if done:
        flash = {
            "kind": "done",
            "code": done[:64],
            "undo": undo_from_query(done, request.query_params),
        }
        n = request.query_params.get("n", "")
        if n.isascii() and n.isdigit() and len(n) < 6:  # how many, for a bulk action
            flash["n"] = n
        return flash
    return None


async def _act(
    request: Request,
    *,
    roles: frozenset[Role],
    token: str | None,
    allowed: frozenset[str],
    back: str,
) -> Response:
    """A form's op: the same gate and op path as the API and the socket."""
    form = await _form(request)
    host = await room_of(request)
    try:
        caller = await admit(request, roles=roles, token=token, where="form")
        op = form.get("op")
        if not isinstance(op, str) or op not in allowed:
            raise CommandError("op.unknown")
        if not caller.runtime.ops_per_ip.take(address_bucket(caller.ip), time.monotonic()):
            raise CommandError("rate.limited")
    except CommandError as error:
        return _back_with(back, "error", error.code)
    # A form carries its own op_id so a double-clicked or resubmitted form counts once.
    given_id = form.get("op_id")
    op_id = (given_id if isinstance(given_id, str) and given_id else membership.new_id("f-"))[
        : ops.MAX_OP_ID
    ]
    # A ban that repeats one in force gets no Undo: that would lift the earlier one too.
    bans = bans_in_force(host.state) if op == "participant.ban" else frozenset()
    frame = await ops.run(caller, op, op_id, op_fields(op, form, host.state))
    failed: str | None = frame["code"] if frame["type"] == "error" else None
    hx = request.headers.get("hx-request") == "true"
    if op == "moderator.add" and failed is None:
        link = public_base(request) + str(frame["url"])
        return render(
            request, "invite_fragment.html" if hx else "invite.html", link=link, code=host.code
        )
    if op == "links.rotate" and failed is None:
        which = str(frame["link"])
        response = render(
            request,
            "link_fragment.html" if hx else "link_rotated.html",
            link=public_base(request) + str(frame["url"]),
            which=which,
            code=host.code,
        )
        if which == "organiser":  # this browser keeps working with the new link
            _keep_staff_token(response, request, "moderate", host.code, str(frame["token"]))
        return response
    section = form.get("at")
    at = section if isinstance(section, str) and section.isalpha() and len(section) < 20 else ""
    undo = undo_of(op, form) if failed is None else None
    if bans and (frame.get("participant_id") in bans or frame.get("ban_id") in bans):
        undo = None
    if hx:
        return render(
            request, "status.html", error=failed, op=op, undo=undo, at=at, code=host.code
        )
    if at:
        # The panel's forms name their section: the answer shows beside the action.
        query = {"error": failed} if failed is not None else {"done": op}
        if undo is not None:
            query.update(undo_query(undo))
        return _redirect(f"{back}?" + urlencode({**query, "at": at}) + f"#{at}")
    if failed is not None:
        return _back_with(back, "error", failed)
    anchor = "#polls" if op == "vote" else "#questions" if op.startswith("question") else ""
    if op == "vote" and isinstance(frame.get("receipt"), dict):
        # The receipt rides the redirect so the page without JavaScript can show it: the short
        # code (seq and 16 hex digits), as the phone with JavaScript shows it.
        receipt, poll = frame["receipt"], str(form.get("poll_id", ""))[:16]
        query = {"done": op, "poll": poll, "receipt": str(receipt["code"])}
        return _redirect(f"{back}?" + urlencode(query) + f"#poll-{poll}")
    return _back_with(back, "done", op, anchor)


@page
async def attendee_act(request: Request) -> Response:
    code = request.path_params["code"]
    return await _act(
        request,
        roles=_ATTENDEES,
        token=request.cookies.get(cookie_name(code), ""),
        allowed=ATTENDEE_OPS,
        back=f"/r/{code}",
    )


# -- staff pages: moderator, screen, overlay, report ------------------------------------------

# A staff link's token moves into a cookie of its own, scoped to the room's pages.
_STAFF_COOKIE = {"moderate": "thm_", "screen": "ths_", "interpret": "thi_"}
_STAFF_ROLES = {
    "moderate": frozenset({Role.ORGANISER, Role.MODERATOR}),
    "screen": frozenset({Role.SCREEN, Role.ORGANISER, Role.MODERATOR}),
    "embed": frozenset({Role.EMBED, Role.SCREEN, Role.ORGANISER, Role.MODERATOR}),
    "interpret": frozenset({Role.INTERPRETER, Role.MODERATOR, Role.ORGANISER}),  # interpret_pages
}


def _keep_staff_token(
    response: Response, request: Request, kind: str, code: str, token: str
) -> None:
    """The staff link's token in a cookie of its own, scoped to the room's pages."""
    response.set_cookie(
        _STAFF_COOKIE[kind] + code,
        token,
        max_age=7 * 86400,
        httponly=True,
        samesite="lax",
        path=f"/r/{code}",
        secure=request.url.scheme == "https",
    )


def staff_page(kind: str) -> Callable[[StaffHandler], Page]:
    """A page for a staff link. `?token=` is checked, moved into the page kind's cookie, and
    the browser redirected to the clean address; the handler then gets the admitted caller
    and the token (the page hands it to its own script for the socket)."""
    roles = _STAFF_ROLES[kind]
    cookie_prefix = _STAFF_COOKIE.get(kind)

    def wrap(handler: StaffHandler) -> Page:
        @page
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            code = request.path_params["code"]
            given = request.query_params.get("token")
            if given and cookie_prefix is not None:
                await admit(request, roles=roles, token=given, where=f"{kind} link")
                lang = request.query_params.get("lang")
                response = _redirect(
                    request.url.path + (f"?lang={lang}" if lang in LANGUAGES else "")
                )
                _keep_staff_token(response, request, kind, code, given)
                return secure_headers(response)
            kept = request.cookies.get(cookie_prefix + code, "") if cookie_prefix else ""
            if not kept and kind == "screen":  # the panel's own "Big screen" link
                kept = request.cookies.get(_STAFF_COOKIE["moderate"] + code, "")
            token = given or kept
            caller = await admit(request, roles=roles, token=token, where=f"{kind} page")
            return await handler(request, caller, token)

        return endpoint

    return wrap


flash_of = _flash
keep_staff_token = _keep_staff_token


def moderate_context(request: Request, caller: Caller, token: str) -> dict[str, Any]:
    host = caller.host
    view = snapshot_view(host.state, caller.role, caller.participant_id)
    queue_lang = parse_tag(request.query_params.get("qlang")) or ""
    return {
        "code": host.code,
        "seq": host.state.seq,
        "room": view["room"],
        "you": view["you"],
        "role": "moderator",
        "ws_token": token,
        "flash": _flash(request),
        "connected": host.connection_count(),
        "voted": len({who for p in host.state.polls.values() for who in p.ballots}),
        "asked": len(host.state.questions),
        "organiser": caller.role is Role.ORGANISER,
        "attend_url": f"{public_base(request)}/r/{host.code}",
        # The big screen's and overlay's links, for every moderator: projecting a room never
        # needs the organiser's own link (only the organiser may re-issue them).
        "links": _shared_links(request, caller),
        # the moderation queue's language filter (?qlang=es; ?lang is the interface's)
        "queue_lang": queue_lang,
        # one page of it (?qpage=2): the panel renders a page, whatever the queue's length
        "queue": moderation_queue(host.state, _page_number(request) - 1, queue_lang or None),
    }


def _page_number(request: Request) -> int:
    raw = request.query_params.get("qpage", "")
    return int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 6 else 1


def _shared_links(request: Request, caller: Caller) -> dict[str, str]:
    """The big screen's and the overlay's current links, for the organiser to hand out."""
    state, code = caller.host.state, caller.host.code
    secret = caller.runtime.settings.secret
    links = {}
    for which, role in (("screen", Role.SCREEN), ("embed", Role.EMBED)):
        token = link_token(secret, code, which, state.organiser, link_generation(state, role))
        links[which] = public_base(request) + link_path(code, which, token)
    return links


@page
async def moderate_act(request: Request) -> Response:
    code = request.path_params["code"]
    return await _act(
        request,
        roles=_STAFF_ROLES["moderate"],
        token=request.cookies.get(_STAFF_COOKIE["moderate"] + code, ""),
        allowed=STAFF_OPS,
        back=f"/r/{code}/moderate",
    )


def page_routes() -> list[BaseRoute]:
    # Static files are small and text: gzip them (this is what the page-weight budget counts).
    # The installed package's copy or the checkout's (server/assets.py); missing: refused here.
    # Our own scripts and styles go out minified (server/edge/static_min.py).
    files = static_dir()
    static = GZipMiddleware(
        MinifiedStatic(files, StaticFiles(directory=files)), minimum_size=500
    )
    return [
        Route("/join", find_room),
        Route("/r/{code:str}", attendee),
        Route("/r/{code:str}/join", join, methods=["POST"]),
        Route("/r/{code:str}/act", attendee_act, methods=["POST"]),
        Route("/r/{code:str}/live", attendee_live),
        Route("/r/{code:str}/mine", attendee_mine),
        Route("/r/{code:str}/leave", leave, methods=["POST"]),
        Route("/r/{code:str}/moderate/act", moderate_act, methods=["POST"]),
        Mount("/static", app=static, name="static"),
    ]
