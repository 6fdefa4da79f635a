"""The organiser's pages around the control panel: starting a meeting with its settings, the
organiser link shown once, the settings page, confirmation steps, attendee code sheets, bulk
approval and the exports, all on the browser's own staff cookie.

Every form here goes through the same gate and op path as the panel's own forms
(server/edge/pages.py `_form`, gate.admit, ops.run); nothing here decides what is allowed.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from moderation.roles import OP_BY_EVENT, Role
from rooms import CommandError
from rooms.events import PollClosed, PollHidden, PollOpened, PollRevealed
from rooms.lifecycles import POLL, RESULTS, PollState
from rooms.poll_kinds import KINDS
from rooms.state import RoomState
from server.edge import membership, ops, pages
from server.edge.addresses import address_bucket
from server.edge.gate import ROOM_CODE, Caller, admit
from server.edge.http_api import public_base
from server.edge.i18n import LANGUAGES, choose, room_language, translator
from server.edge.i18n_names import OP_DONE
from server.edge.page_forms import STAFF_OPS, op_fields
from server.edge.poll_templates import BUILT_IN, builder_draft, saved_key
from server.edge.runtime import client_ip, runtime_of
from server.edge.settings_form import FIELDS, MODE_LABELS, defaults, settings_from_form
from server.tools.exports import (
    ballots_csv,
    load_report,
    poll_csv,
    questions_csv,
    read_entries,
    transcript_lines,
)

__all__ = ["panel_context", "panel_routes"]

N_ = pages.N_
STAFF = frozenset({Role.ORGANISER, Role.MODERATOR})
# The rooms this browser started, for the home and organiser pages (codes and titles only).
MINE_COOKIE = "th_mine"
MINE_MAX = 12
TITLE_SHOWN = 60

# The builder's own fields per kind, beside the question and (for kinds with options) the
# options; a kind not named here has none. The kinds themselves come from rooms.poll_kinds.
BUILDER_FIELDS: Mapping[str, tuple[tuple[str, str, int, int], ...]] = {
    "multiple": (("max_selections", N_("Most choices a person may tick"), 1, 50),),
    "rating": (("scale", N_("Scale (highest rating)"), 2, 10),),
    "wordcloud": (("max_words", N_("Words per person"), 1, 10),),
    "budget": (("total", N_("Points each person shares out"), 1, 1_000_000_000),),
    "quiz": (("window_s", N_("Quiz: seconds over which points fall"), 5, 3600),),
}
TIMERS = (0, 30, 60, 120, 300, 600)  # seconds a poll may be opened for (0: until closed)

# Poll lifecycle moves offered as buttons: (move, op, label); shown when the table allows it.
_POLL_BUTTONS = (
    (PollOpened, "poll.open", N_("Open")),
    (PollClosed, "poll.close", N_("Close")),
)
_RESULT_BUTTONS = (
    (PollRevealed, "poll.reveal", N_("Reveal results")),
    (PollHidden, "poll.hide", N_("Hide results")),
)

# What a confirmation page may ask about: op -> (question, button).
CONFIRMS: Mapping[str, tuple[str, str]] = {
    "participant.ban": (N_("Ban this person?"), N_("Ban")),
    "participant.unban": (N_("Lift this person's ban?"), N_("Unban")),
    "poll.delete": (N_("Delete this poll and its results?"), N_("Delete poll")),
    "moderator.revoke": (N_("Remove this co-moderator? Their link stops working."), N_("Remove")),
    "room.close": (
        N_("Close the meeting? Nobody can vote, ask or speak after this."),
        N_("Close meeting"),
    ),
    "room.publish": (N_("Publish the transcript? Anyone can then download it."), N_("Publish")),
}
_CONFIRM_FIELDS = (
    "participant_id",
    "question_id",  # a ban through content: the room finds its author, named or not
    "answer_id",
    "ban_id",
    "poll_id",
    "moderator_id",
    "name",
    "back",
)
_REASONED = frozenset({"participant.ban"})


# -- the rooms this browser organises ------------------------------------------------------


def my_rooms(request: Request) -> list[tuple[str, str]]:
    raw = request.cookies.get(MINE_COOKIE, "")
    rooms = [(c, t) for c, t in parse_qsl(raw)[:MINE_MAX] if ROOM_CODE.match(c)]
    return rooms


def _remember_room(response: Response, request: Request, code: str, title: str) -> None:
    rooms = [(c, t) for c, t in my_rooms(request) if c != code]
    rooms.insert(0, (code, title[:TITLE_SHOWN]))
    response.set_cookie(
        MINE_COOKIE,
        urlencode(rooms[:MINE_MAX]),
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


# -- home, new room, organiser page ----------------------------------------------------------


def _settings_context(current: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "fields": FIELDS,
        "values": current,
        "modes": MODE_LABELS,
        "shipped": LANGUAGES,
    }


async def home(request: Request) -> Response:
    return pages.render(
        request,
        "home.html",
        error=request.query_params.get("error"),
        mine=my_rooms(request),
        **_settings_context(defaults()),
    )


@pages.page
async def new_room(request: Request) -> Response:
    """Start a meeting: the API's room creation with the form's settings, then the organiser
    page, which shows the organiser link this once."""
    form = await pages.form_of(request)
    title = form.get("title")
    fields: dict[str, Any] = {"title": title if isinstance(title, str) else ""}
    fields["settings"] = settings_from_form(form)
    try:
        created = await membership.create_room(
            runtime_of(request),
            fields,
            ip=client_ip(request),
            authorization=request.headers.get("authorization", ""),
        )
    except CommandError as error:
        return pages.render(
            request,
            "home.html",
            400,
            error=error.code,
            mine=my_rooms(request),
            title=fields["title"],
            **_settings_context({**defaults(), **_shown(fields["settings"])}),
        )
    code = created.code
    base = public_base(request)
    response = pages.render(
        request,
        "organiser.html",
        code=code,
        title=fields["title"].strip(),
        organiser_link=f"{base}/r/{code}/moderate?token={created.moderator_token}",
        attend_url=f"{base}/r/{code}",
        mine=[(code, fields["title"])] + [r for r in my_rooms(request) if r[0] != code],
    )
    response.headers["cache-control"] = "no-store"  # the link is shown once, never cached
    pages.keep_staff_token(response, request, "moderate", code, created.moderator_token)
    _remember_room(response, request, code, fields["title"].strip())
    return response


def _shown(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Form values back into the form after a refusal (districts as lines)."""
    shown = dict(settings)
    if isinstance(shown.get("districts"), list):
        shown["districts"] = [str(d) for d in shown["districts"]]
    return shown


# -- the settings page --------------------------------------------------------------------------


@pages.staff_page("moderate")
async def settings_page(request: Request, caller: Caller, token: str) -> Response:
    state = caller.host.state
    return pages.render(
        request,
        "settings.html",
        code=caller.host.code,
        room={"title": state.title, "settings": state.settings.to_dict()},
        flash=pages.flash_of(request),
        closed=state.closed,
        **_settings_context(state.settings.to_dict()),
    )


async def _staff(request: Request) -> tuple[FormData, Caller]:
    """A staff form post: the CSRF check, the staff cookie, the address's op budget."""
    form = await pages.form_of(request)
    code = request.path_params["code"]
    caller = await admit(
        request, roles=STAFF, token=pages.staff_cookie(request, code), where="form"
    )
    if not caller.runtime.ops_per_ip.take(address_bucket(caller.ip), time.monotonic()):
        raise CommandError("rate.limited")
    return form, caller


Endpoint = Callable[[Request], Awaitable[Response]]
StaffForm = Callable[[Request, FormData, Caller], Awaitable[Response]]


def staff_form(back: str, anchor: str = "") -> Callable[[StaffForm], Endpoint]:
    """A staff form's endpoint: `_staff`'s checks first; a refusal other than a forged form
    (which gets its own page) goes back to `back` (a path under /r/{code}) with its code,
    at `anchor`, where the moderator acted."""

    def wrap(handler: StaffForm) -> Endpoint:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            try:
                form, caller = await _staff(request)
            except CommandError as error:
                if error.code == "auth.csrf":
                    raise
                where = f"/r/{request.path_params['code']}{back}"
                return pages.back_with(where, "error", error.code, anchor)
            return await handler(request, form, caller)

        return endpoint

    return wrap


def _op_id(form: FormData) -> str:
    given = form.get("op_id")
    return (given if isinstance(given, str) and given else membership.new_id("f-"))[: ops.MAX_OP_ID]


async def _run(caller: Caller, op: str, form: FormData, fields: dict[str, Any]) -> dict[str, Any]:
    return await ops.run(caller, op, _op_id(form), fields)


@pages.page
@staff_form("/moderate/settings")
async def settings_save(request: Request, form: FormData, caller: Caller) -> Response:
    code = request.path_params["code"]
    back = f"/r/{code}/moderate/settings"
    title = form.get("title")
    fields: dict[str, Any] = {"settings": settings_from_form(form)}
    if isinstance(title, str) and title.strip():
        fields["title"] = title
    frame = await _run(caller, "room.update", form, fields)
    if frame["type"] == "error":
        return pages.back_with(back, "error", str(frame["code"]))
    return pages.back_with(back, "done", "room.update")


# -- confirmation steps ------------------------------------------------------------------------


@pages.staff_page("moderate")
async def confirm_page(request: Request, caller: Caller, token: str) -> Response:
    """ "Are you sure?" for an action that cannot be taken back in one click. The panel links
    here (JavaScript or not); the page's form posts the op like any panel form."""
    params = request.query_params
    op = params.get("op", "")
    if op not in CONFIRMS or op not in STAFF_OPS:
        raise CommandError("op.unknown")
    fields = {k: params[k][:200] for k in _CONFIRM_FIELDS if params.get(k)}
    state = caller.host.state
    question, button = CONFIRMS[op]
    back = fields.pop("back", "") or f"/r/{caller.host.code}/moderate"
    if not back.startswith(f"/r/{caller.host.code}/"):  # only ever back into this room
        back = f"/r/{caller.host.code}/moderate"
    return pages.render(
        request,
        "confirm.html",
        code=caller.host.code,
        op=op,
        question=question,
        button=button,
        fields=fields,
        subject=_subject(state, fields),
        reasoned=op in _REASONED,
        back=back,
    )


def _subject(state: RoomState, fields: Mapping[str, str]) -> str:
    """What the action is about, as the moderator knows it (a name, a poll's question)."""
    pid = fields.get("participant_id")
    if pid and pid in state.participants:
        return state.participants[pid].name or ""
    # Content a ban goes through: its text, never who wrote it (it may be anonymous).
    for name, items in (("question_id", state.questions), ("answer_id", state.answers)):
        ref = fields.get(name, "")
        if ref.isascii() and ref.isdigit() and int(ref) in items:
            return items[int(ref)].text
    poll_id = fields.get("poll_id", "")
    if poll_id.isascii() and poll_id.isdigit() and int(poll_id) in state.polls:
        return state.polls[int(poll_id)].defn.question
    mid = fields.get("moderator_id")
    if mid and mid in state.moderators:
        return state.moderators[mid].name
    return state.title if not fields else ""


# -- attendee codes --------------------------------------------------------------------------


@pages.page
@staff_form("/moderate", "#people")
async def codes_issue(request: Request, form: FormData, caller: Caller) -> Response:
    """Issue one-time attendee codes and show them as a sheet to print: a code and a QR each.
    The codes are shown on this page only (the room keeps their hashes)."""
    code = request.path_params["code"]
    back = f"/r/{code}/moderate"
    frame = await _run(
        caller, "codes.issue", form, op_fields("codes.issue", form, caller.host.state)
    )
    if frame["type"] == "error":
        return pages.back_with(back, "error", str(frame["code"]), "#people")
    base = public_base(request)
    sheet = []
    for one in frame.get("codes", []):
        url = f"{base}/r/{code}?" + urlencode({"attendee_code": one})
        sheet.append({"code": one, "url": url, "qr": pages.qr_svg(url)})
    response = pages.render(
        request, "codes.html", code=code, room={"title": caller.host.state.title}, sheet=sheet
    )
    response.headers["cache-control"] = "no-store"
    return response


# -- bulk approval -------------------------------------------------------------------------------

BULK_MAX = 100


@pages.page
@staff_form("/moderate", "#queue")
async def bulk_approve(request: Request, form: FormData, caller: Caller) -> Response:
    """Approve the ticked questions (or every one on the page shown): one op each, through
    the same path, so each is audited and a refused one does not stop the others."""
    code = request.path_params["code"]
    back = f"/r/{code}/moderate"
    name = "page_ids" if form.get("scope") == "page" else "question_id"
    ids = [
        v
        for v in form.getlist(name)
        if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) < 12  # never "²"
    ]
    base_id = _op_id(form)
    approved = 0
    failed: str | None = None
    for qid in dict.fromkeys(ids[:BULK_MAX]):
        frame = await ops.run(
            caller,
            "question.approve",
            f"{base_id}-{qid}"[: ops.MAX_OP_ID],
            {"question_id": int(qid)},
        )
        if frame["type"] == "error":
            failed = failed or str(frame["code"])
        else:
            approved += 1
    hx = request.headers.get("hx-request") == "true"
    if hx:
        return pages.render(request, "bulk_status.html", approved=approved, error=failed)
    if not ids:
        return pages.back_with(back, "error", "field.missing", "#queue")
    if failed is not None and not approved:
        return pages.back_with(back, "error", failed, "#queue")
    # Without script the page comes back: it says how many, in the queue's own line.
    query = urlencode({"done": "question.approve", "n": approved, "at": "queue"})
    return RedirectResponse(f"{back}?{query}#queue", status_code=303)


# -- exports on the browser's own staff cookie ----------------------------------------------


async def _export_caller(request: Request) -> Caller:
    code = request.path_params["code"]
    return await admit(
        request, roles=STAFF, token=pages.staff_cookie(request, code), where="page export"
    )


def _download(body: bytes, media: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media,
        headers={
            "content-disposition": f'attachment; filename="{filename}"',
            "x-content-type-options": "nosniff",
            "cache-control": "no-store",
        },
    )


@pages.page
async def export_questions(request: Request) -> Response:
    host = (await _export_caller(request)).host
    return _download(
        questions_csv(host.state).encode(), "text/csv; charset=utf-8", f"{host.code}-questions.csv"
    )


@pages.page
async def export_poll(request: Request) -> Response:
    host = (await _export_caller(request)).host
    poll_id: int = request.path_params["poll_id"]
    which = request.path_params["which"]
    if which not in ("results", "ballots"):
        raise CommandError("export.not_available")
    try:
        text = (
            ballots_csv(host.state, poll_id)
            if which == "ballots"
            else poll_csv(host.state, poll_id)
        )
    except KeyError:
        raise CommandError("poll.not_found") from None
    except ValueError as exc:
        raise CommandError("export.not_available", str(exc)) from None
    suffix = "-ballots" if which == "ballots" else ""
    return _download(
        text.encode(), "text/csv; charset=utf-8", f"{host.code}-poll-{poll_id}{suffix}.csv"
    )


@pages.page
async def export_report(request: Request) -> Response:
    host = (await _export_caller(request)).host
    body = await load_report(host.deps.store, host.code)
    return JSONResponse(
        body,
        headers={
            "content-disposition": f'attachment; filename="{host.code}-report.json"',
            "cache-control": "no-store",
        },
    )


@pages.page
async def export_transcript(request: Request) -> Response:
    host = (await _export_caller(request)).host
    entries = await read_entries(host.deps.store, host.code)
    return StreamingResponse(
        iter(list(transcript_lines(entries))),
        media_type="application/x-ndjson",
        headers={
            "content-disposition": f'attachment; filename="{host.code}-transcript.jsonl"',
            "cache-control": "no-store",
        },
    )


# -- what the panel shows beyond the snapshot -------------------------------------------------


def _poll_buttons(state: PollState, revealed: bool) -> list[tuple[str, str]]:
    """The lifecycle buttons for a poll: only the moves its tables allow from where it is."""
    buttons = [
        (op, label) for move, op, label in _POLL_BUTTONS if POLL.refusal(state, move) is None
    ]
    buttons += [
        (op, label)
        for move, op, label in _RESULT_BUTTONS
        if RESULTS.refusal(revealed, move) is None and RESULTS.next(revealed, move) != revealed
    ]
    return buttons


def _audit_rows(state: RoomState, limit: int = 100) -> list[dict[str, Any]]:
    rows = []
    for entry in reversed(state.audit[-limit:]):
        op = OP_BY_EVENT.get(entry.action)
        who = (
            "organiser"
            if entry.actor == state.organiser
            else (state.moderators[entry.actor].name if entry.actor in state.moderators else "")
        )
        rows.append(
            {
                "seq": entry.seq,
                "at": entry.at,
                "op": op.name if op is not None else "",
                "action": entry.action,
                "who": who,
                "target": entry.target or "",
                "reason": entry.reason,
            }
        )
    return rows


def _people(state: RoomState, search: str, limit: int = 200) -> tuple[list[dict[str, Any]], int]:
    asked: dict[str, int] = {}
    for q in state.questions.values():
        asked[q.author] = asked.get(q.author, 0) + 1
    folded = search.casefold()
    people: list[dict[str, Any]] = [
        {
            "participant_id": p.id,
            "name": p.name,
            "district": p.district,
            "banned": p.banned,
            "ban_reason": p.ban_reason,
            "asked": asked.get(p.id, 0),
        }
        for p in state.participants.values()
        if not folded or folded in (p.name or "").casefold()
    ]
    people.sort(key=lambda p: (not p["banned"], (p["name"] or "").casefold()))
    return people[:limit], len(people)


def panel_context(
    request: Request, caller: Caller, room: Mapping[str, Any], queue: Mapping[str, Any]
) -> dict[str, Any]:
    state = caller.host.state
    params = request.query_params
    # ?template=agree or ?duplicate=7: the new-poll form filled in (nothing is sent yet)
    _ = translator(choose(request, room_language(room)))
    draft = builder_draft(params, room.get("polls", []), _, state.templates)
    kind = draft["kind"] if draft is not None else params.get("kind", "single")
    kind = kind if kind in KINDS else "single"
    qsearch = params.get("qsearch", "")[:100].strip()
    qlabel = params.get("qlabel", "")[:60].strip()
    psearch = params.get("psearch", "")[:60].strip()
    pending = [
        q for q in queue["questions"] if not qsearch or qsearch.casefold() in q["text"].casefold()
    ]
    published = sorted(
        (q for q in room.get("questions", []) if q["state"] in ("approved", "answered")),
        key=lambda q: (not q["pinned"], -q["upvotes"], q["question_id"]),
    )
    labels = sorted({label for q in published for label in q["labels"]})
    if qlabel:
        published = [q for q in published if qlabel in q["labels"]]
    if qsearch:
        published = [q for q in published if qsearch.casefold() in q["text"].casefold()]
    people, people_total = _people(state, psearch)
    polls = list(reversed(room.get("polls", [])))
    open_answers = [a for a in room.get("answers", []) if a["state"] == "pending"]
    moderators = room.get("moderators", [])
    return {
        "kinds": [(name, k.options, BUILDER_FIELDS.get(name, ())) for name, k in KINDS.items()],
        "new_kind": kind,
        "draft": draft,
        "templates": BUILT_IN,
        "field_labels": {name: label for row in BUILDER_FIELDS.values() for name, label, *_ in row},
        "saved_templates": [
            (saved_key(t), t) for t in reversed(state.templates.values()) if not t.deleted
        ],
        "timers": TIMERS,
        "polls": polls,
        "drafts": [p for p in polls if p["state"] == "draft"],
        "poll_buttons": {
            p["poll_id"]: _poll_buttons(cast(PollState, p["state"]), p["revealed"]) for p in polls
        },
        "pending": pending,
        "published": published,
        "labels": labels,
        "qsearch": qsearch,
        "qlabel": qlabel,
        "psearch": psearch,
        "people": people,
        "people_total": people_total,
        "open_answers": open_answers,
        "moderators": moderators,
        "audit": _audit_rows(state),
        "done_ops": OP_DONE,
        "at": params.get("at", "")[:20],
        "section_counts": {
            "polls": sum(1 for p in polls if p["state"] == "open"),
            "queue": queue["pending_total"],
            "published": len(
                [q for q in room.get("questions", []) if q["state"] in ("approved", "answered")]
            ),
            "answers": len(open_answers),
            "speakers": room["speaker"]["length"] + (1 if room["speaker"]["current"] else 0),
            "people": len(state.participants),
            "audit": len(state.audit),
        },
        "closed": state.closed,
        "exports": [
            {**p, "ballots": not KINDS[p["kind"]].answers} for p in polls if p["state"] != "draft"
        ],
        "now_ms": int(time.time() * 1000),
        "request_kind": "kind" in params or draft is not None,
    }


@pages.staff_page("moderate")
async def moderate(request: Request, caller: Caller, token: str) -> Response:
    return pages.render(request, "moderate.html", **_context(request, caller, token))


@pages.staff_page("moderate")
async def moderate_panel(request: Request, caller: Caller, token: str) -> Response:
    """The panel's live part alone, for the page script to morph in after a change."""
    response = pages.render(request, "moderate_panel.html", **_context(request, caller, token))
    response.headers["cache-control"] = "no-store"  # always the room as it is now
    return response


def _context(request: Request, caller: Caller, token: str) -> dict[str, Any]:
    context = pages.moderate_context(request, caller, token)
    if request.query_params.get("at"):  # the answer to a section's form shows in that section
        context["section_flash"] = context.pop("flash")
    context.update(panel_context(request, caller, context["room"], context["queue"]))
    return context


def panel_routes() -> list[BaseRoute]:
    return [
        Route("/r/{code:str}/moderate", moderate),
        Route("/r/{code:str}/moderate/panel", moderate_panel),
        Route("/", home),
        Route("/new", new_room, methods=["POST"]),
        Route("/r/{code:str}/moderate/settings", settings_page),
        Route("/r/{code:str}/moderate/settings", settings_save, methods=["POST"]),
        Route("/r/{code:str}/moderate/confirm", confirm_page),
        Route("/r/{code:str}/moderate/codes", codes_issue, methods=["POST"]),
        Route("/r/{code:str}/moderate/bulk", bulk_approve, methods=["POST"]),
        Route("/r/{code:str}/export/questions.csv", export_questions),
        Route("/r/{code:str}/export/polls/{poll_id:int}/{which:str}.csv", export_poll),
        Route("/r/{code:str}/export/report.json", export_report),
        Route("/r/{code:str}/export/transcript.jsonl", export_transcript),
    ]
