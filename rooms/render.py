"""How each item looks to each role: the one place that decides visibility.

attendee  published content only (approved or answered questions, non-draft polls,
          results once revealed), anonymous authors hidden, no participant ids
screen    as attendee (the big-screen client shows the top of the list)
embed     polls and reactions only
moderator, organiser   everything, with flags, originals and reasons, and who asked a named
          question; never who asked an anonymous one, nor who cast a ballot (an open answer
          is a ballot): nobody sees who voted what (docs/TRANSCRIPT.md)
"""

from __future__ import annotations

from typing import Any

from moderation.roles import Role
from rooms.floor_ops import REACTIONS, WINDOW_MS
from rooms.lifecycles import PUBLISHED
from rooms.poll_kinds import KINDS
from rooms.polls import results
from rooms.presenting import presenting_view
from rooms.state import Answer, ContentBan, Participant, Poll, Question, RoomState
from rooms.translations import poll_translations

__all__ = [
    "MODERATORS",
    "answer_view",
    "content_ban",
    "content_bans",
    "is_moderator",
    "ledger",
    "participant_view",
    "poll_results",
    "poll_view",
    "poll_visible",
    "question_view",
    "question_visible",
    "reactions_view",
    "results_visible",
    "room_header",
    "speaker_view",
    "staff_view",
]

MODERATORS = frozenset({Role.ORGANISER, Role.MODERATOR})


def is_moderator(role: Role) -> bool:
    return role in MODERATORS


def room_header(state: RoomState, role: Role) -> dict[str, Any]:
    mod = is_moderator(role)
    return {
        "code": state.code,
        "title": state.title,
        "state": "closed" if state.closed else "open",
        "transcript_public": state.transcript_public,
        "settings": state.settings.to_dict() if mod else state.settings.public(),
        "participants": len(state.participants),
        "reaction_set": list(REACTIONS),
        "presenting": presenting_view(state),  # what a moderator put on the big screen
    }


# -- polls -----------------------------------------------------------------------------------


def poll_visible(poll: Poll, role: Role) -> bool:
    return not poll.deleted and (poll.state != "draft" or is_moderator(role))


def results_visible(poll: Poll, role: Role) -> bool:
    return poll.revealed or is_moderator(role)


def poll_results(state: RoomState, poll: Poll) -> dict[str, Any]:
    """The results, as those who may see them see them (`results_visible`). A quiz's correct
    options are part of its results: sealed exactly as long as they are."""
    kind = KINDS[poll.defn.kind]
    approved = None
    if kind.answers:
        approved = [
            {"answer_id": a.id, "text": a.text}
            for a in (state.answers[i] for i in poll.answer_ids)
            if a.state == "approved"
        ]
    out = results(poll, approved)
    if kind.scored:
        right = poll.defn.correct or ()
        out["correct"] = list(right)
        out["right"] = sum(poll.tally.counts[i] for i in right)
    return out


# Only these definition fields reach a poll's view: a quiz's `correct` is never one of them.
_KIND_SETTINGS = ("max_selections", "scale", "max_words", "total", "caps", "window_s")


def poll_view(state: RoomState, poll: Poll, role: Role) -> dict[str, Any]:
    d = poll.defn
    allow = d.allow_changes
    view: dict[str, Any] = {
        "poll_id": poll.id,
        "kind": d.kind,
        "question": d.question,
        "options": list(d.options),
        "state": poll.state,
        "revealed": poll.revealed,
        "closes_at": poll.closes_at if poll.state == "open" else d.closes_at,
        "allow_changes": state.settings.vote_changes if allow is None else allow,
    }
    for name in _KIND_SETTINGS:  # only the settings this kind uses (the rest are 0/None)
        value = getattr(d, name)
        if value:
            view[name] = list(value) if isinstance(value, tuple) else value
    if poll.translations:
        view["translations"] = poll_translations(poll)
    if results_visible(poll, role):
        view["results"] = poll_results(state, poll)
    return view


# -- questions and answers -------------------------------------------------------------------


def question_visible(q: Question, role: Role) -> bool:
    if is_moderator(role):
        return True
    return role is not Role.EMBED and q.state in PUBLISHED


def staff_view(state: RoomState, actor: str) -> dict[str, Any]:
    """Who spoke for the room, by role: the badge pages draw comes from this, never from text.

    Only staff can answer or moderate, so the role is what the log says they were; a
    person's name, whatever it claims ("Mayor Smith (OFFICIAL)"), is never a role.
    """
    if actor == state.organiser:
        return {"role": "organiser", "name": None}
    mod = state.moderators.get(actor)
    return {"role": "moderator", "name": mod.name if mod is not None else None}


def _name(state: RoomState, participant_id: str) -> str | None:
    person = state.participants.get(participant_id)
    return person.name if person is not None else None


def question_view(state: RoomState, q: Question, role: Role) -> dict[str, Any]:
    view: dict[str, Any] = {
        "question_id": q.id,
        "text": q.text,
        "upvotes": len(q.upvoters),
        "downvotes": len(q.downvoters),
        "score": q.score,
        "state": q.state,
        "anonymous": q.anonymous,
        "asked_at": q.at,
        "pinned": state.pinned == q.id,
        "labels": list(q.labels),
        "answer": q.answer,
        "answered_at": q.answered_at,
    }
    if q.translations:
        view["translations"] = dict(q.translations)
    if not q.anonymous:
        view["author"] = _name(state, q.author)  # whatever it says, shown as a person's text
    if q.answered_by is not None:
        view["answered_by"] = staff_view(state, q.answered_by)
    if is_moderator(role):
        if not q.anonymous:
            view["author_id"] = q.author  # a named question: who asked it is no secret
        view.update(
            flags=list(q.flags),
            terms=list(q.terms),  # what the filters matched: the flags' reason
            lang=q.lang,  # declared or detected; the panel filters its queue by it
            original_text=q.original_text,
            reason=q.reason,
        )
    return view


def answer_view(a: Answer) -> dict[str, Any]:
    """Open-poll answers as moderators see them (everyone else reads approved ones in results)."""
    return {
        "answer_id": a.id,
        "poll_id": a.poll_id,
        "text": a.text,
        "state": a.state,
        "flags": list(a.flags),
        "terms": list(a.terms),
        "lang": a.lang,
        "kind": "wordcloud" if a.wordcloud else "open",  # held word-cloud words, or an answer
        "original_text": a.original_text,
        "reason": a.reason,
        "at": a.at,
    }


# -- people, the floor, reactions, the ledger -----------------------------------------------


def participant_view(p: Participant) -> dict[str, Any]:
    # No district: staff ban people for what they did, and one person's district is a cell
    # of one (districts appear only in breakdowns, rooms/districts.py).
    return {
        "participant_id": p.id,
        "name": p.name,
        "banned": p.banned,
        "ban_reason": p.ban_reason,
    }


def _ban_view(b: ContentBan) -> dict[str, Any]:
    return {"ban_id": b.ban_id, "via": b.via, "reason": b.reason, "at": b.at}


def content_bans(state: RoomState) -> list[dict[str, Any]]:
    """Content bans as staff hold them, in ban order: by ban id and content, never a person
    (the order of people would hint at who; rooms/room_ops.py)."""
    bans = [b for p in state.participants.values() for b in p.content_bans.values()]
    bans.sort(key=lambda b: int(b.ban_id[1:]))
    return [_ban_view(b) for b in bans]


def content_ban(state: RoomState, ban_id: str) -> dict[str, Any] | None:
    """One content ban as `content_bans` lists it, None once lifted."""
    for p in state.participants.values():
        ban = p.content_bans.get(ban_id)
        if ban is not None:
            return _ban_view(ban)
    return None


def speaker_view(state: RoomState, role: Role) -> dict[str, Any]:
    # A public comment queue is public by name and topic; ids stay with the moderators.
    mod = is_moderator(role)
    queue = []
    for r in state.queue.values():
        entry: dict[str, Any] = {"name": _name(state, r.participant_id), "topic": r.topic}
        if mod:
            entry.update(participant_id=r.participant_id, at=r.at)
        queue.append(entry)
    current = None
    if state.floor is not None:
        f = state.floor
        current = {
            "name": _name(state, f.participant_id),
            "topic": f.topic,
            "since": f.since,
            "time_limit_s": f.time_limit_s,
        }
        if mod:
            current["participant_id"] = f.participant_id
    return {"current": current, "queue": queue, "length": len(queue)}


def reactions_view(state: RoomState) -> dict[str, Any]:
    window = state.reaction_window
    counts = state.reactions.get(window, {}) if window is not None else {}
    return {
        "window_start": window * WINDOW_MS if window is not None else None,
        "window_ms": WINDOW_MS,
        "counts": {e: counts.get(e, 0) for e in REACTIONS},
    }


def ledger(state: RoomState) -> dict[str, Any]:
    """Public moderation counts, from the items as filed by state (rooms/item_index.py):
    what a count of every item would give, without reading every item."""
    return {
        "questions": state.question_index.ledger(),
        "answers": state.answer_index.ledger(),
    }
