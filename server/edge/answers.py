"""How every refusal is answered: one row per error code, read by every entry point.

`status` is the HTTP status of an API answer and of a refused WebSocket handshake; `close`
is the WebSocket close code when the refusal ends a socket (None: an error frame, and the
socket stays); `record` puts the refusal in the room's security record. A test checks that
every code of `rooms.errors.CODES` has a row, so a new code cannot ship unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass

from rooms import CommandError
from server.live.connection import CLOSE_BANNED, CLOSE_POLICY

__all__ = ["ANSWERS", "Answer", "answer_of", "error_body"]

@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    close: int | None = None
    record: bool = False

_OK = Answer(400)
_GONE = Answer(404)
_CONFLICT = Answer(409)

ANSWERS: dict[str, Answer] = {
    # who you are and whether you may
    "auth.token": Answer(401, CLOSE_POLICY, record=True),
    "auth.forbidden": Answer(403, CLOSE_BANNED, record=True),
    "auth.banned": Answer(403, CLOSE_BANNED, record=True),
    "auth.revoked": Answer(403, CLOSE_BANNED, record=True),
    "auth.origin": Answer(403, CLOSE_POLICY, record=True),
    "auth.csrf": Answer(403),
    "auth.access_code": Answer(403, record=True),
    "auth.attendee_code": Answer(403, record=True),
    # the frame or request itself
    "frame.invalid": Answer(400, 1003),
    "frame.too_large": Answer(413, 1009),
    "op.unknown": _OK,
    "field.missing": _OK,
    "field.invalid": _OK,
    "rate.limited": Answer(429, CLOSE_POLICY),
    "question.too_fast": Answer(429),
    "server.unavailable": Answer(503, 1011),
    "server.busy": Answer(503, 1013),
    # things that do not exist (here, or any more)
    "room.not_found": _GONE,
    "participant.not_found": _GONE,
    "poll.not_found": _GONE,
    "question.not_found": _GONE,
    "upvote.not_found": _GONE,
    "answer.not_found": _GONE,
    "moderator.not_found": _GONE,
    "ban.not_found": _GONE,
    "export.not_available": _GONE,
    "route.not_found": _GONE,
    "route.method": Answer(405),
    # the room's state says no: try again differently, or later
    "room.closed": _CONFLICT,
    "room.exists": _CONFLICT,
    "room.already_published": _CONFLICT,
    "room.not_closed": _CONFLICT,
    "transcript.legacy": _CONFLICT,
    "transcript.not_published": _GONE,
    "transcript.sealed": _CONFLICT,
    "poll.not_draft": _CONFLICT,
    "poll.not_deleted": _CONFLICT,
    "template.limit": _CONFLICT,
    "template.not_found": _GONE,
    "template.not_deleted": _CONFLICT,
    "poll.not_open": _CONFLICT,
    "poll.closed": _CONFLICT,
    "poll.already_open": _CONFLICT,
    "vote.duplicate": _CONFLICT,
    "upvote.duplicate": _CONFLICT,
    "downvote.duplicate": _CONFLICT,
    "question.not_pending": _CONFLICT,
    "question.not_rejected": _CONFLICT,
    "question.not_visible": _CONFLICT,
    "question.not_pinned": _CONFLICT,
    "answer.not_pending": _CONFLICT,
    "answer.not_rejected": _CONFLICT,
    "speaker.already_queued": _CONFLICT,
    "speaker.not_queued": _CONFLICT,
    "speaker.queue_empty": _CONFLICT,
    "speaker.no_floor": _CONFLICT,
    "moderator.revoked": _CONFLICT,
    "participant.not_banned": _CONFLICT,
    "text.repeated": _CONFLICT,
    "name.locked": _CONFLICT,
    "question.too_many_pending": _CONFLICT,
    # what was sent does not fit
    "name.required": _OK,
    "ban.target": _OK,
    "district.invalid": _OK,
    "poll.invalid": _OK,
    "vote.invalid_choice": _OK,
    "question.anonymous_disabled": _OK,
    "upvote.own": _OK,
    "downvote.disabled": _OK,
    "reason.invalid": _OK,
    "text.empty": _OK,
    "text.too_long": _OK,
    "text.invalid": _OK,
    "op.unstorable": _OK,
    "reaction.disabled": _OK,
    "reaction.invalid": _OK,
}

def answer_of(code: str) -> Answer:
    return ANSWERS[code]

def error_body(error: CommandError) -> dict[str, dict[str, str]]:
    """The documented JSON error shape: `{"error": {"code", "message"}}`."""
    return {"error": error.to_dict()}
