"""The one error type the room engine raises, with stable dotted codes.

A command that fails any check raises `CommandError` before anything changes; the server
turns it into `{"type": "error", "code": ..., "message": ...}`. Codes are part of the public
contract (docs/PROTOCOL.md lists them): add new ones, never rename.
"""

from __future__ import annotations

__all__ = ["CODES", "CommandError"]

# code -> what it means; the catalogue that docs and tests check against.
CODES: dict[str, str] = {
    "auth.forbidden": "your role may not do this here",
    "auth.banned": "you were banned from this room",
    "auth.access_code": "this room needs its access code",
    "auth.attendee_code": "this room needs a one-time attendee code from the organiser",
    "auth.token": "a valid link or token for this room is needed",
    "auth.revoked": "this link was replaced by a new one; ask the organiser for it",
    "auth.origin": "this page's origin may not connect or post here",
    "auth.csrf": "this form came from another site or has expired; reload the page and try again",
    "frame.invalid": "the frame is not a valid operation",
    "op.unknown": "no such operation",
    "field.missing": "a required field is missing",
    "field.invalid": "a field has the wrong type or value",
    "room.not_found": "no such room",
    "room.closed": "the room is closed",
    "participant.not_found": "no such participant",
    "name.required": "this room asks for your name",
    "district.invalid": "not one of this room's districts",
    "poll.not_found": "no such poll",
    "poll.not_deleted": "the poll is not deleted, so there is nothing to restore",
    "template.limit": "this room keeps at most 50 templates",
    "template.not_found": "no such template in this room",
    "template.not_deleted": "the template is not deleted, so there is nothing to restore",
    "poll.not_draft": "only a draft poll can be edited",
    "poll.not_open": "the poll is not open",
    "poll.closed": "the poll is closed",
    "poll.already_open": "the poll is already open",
    "poll.invalid": "the poll definition is not valid",
    "transcript.sealed": "the public transcript opens once every quiz's answers are revealed",
    "vote.invalid_choice": "the choice does not fit this poll",
    "vote.duplicate": "you have already voted and this poll does not allow changes",
    "question.not_found": "no such question",
    "question.not_pending": "the question is not waiting for moderation",
    "question.not_rejected": "the question is not rejected, so there is nothing to restore",
    "question.not_visible": "the question is not published",
    "question.anonymous_disabled": "this room does not allow anonymous questions",
    "upvote.duplicate": "you have already upvoted this question",
    "upvote.not_found": "you have not upvoted this question",
    "upvote.own": "you cannot vote on your own question",
    "downvote.disabled": "this room does not allow downvotes",
    "answer.not_found": "no such answer",
    "answer.not_rejected": "the answer is not rejected, so there is nothing to restore",
    "answer.not_pending": "the answer is not waiting for moderation",
    "room.exists": "the room already exists",
    "room.already_published": "the transcript is already public",
    "room.not_closed": "the transcript is published after the room is closed",
    "transcript.legacy": "this room's log predates sealed ballots and cannot be published",
    "transcript.not_published": "the transcript of this room is not public",
    "question.not_pinned": "the question is not pinned",
    "downvote.duplicate": "you have already downvoted this question",
    "speaker.no_floor": "nobody has the floor",
    "moderator.revoked": "this moderator was already revoked",
    "participant.not_banned": "this participant is not banned",
    "ban.target": "name exactly one person, question, answer or ban",
    "ban.not_found": "no such ban",
    "reason.invalid": "not one of the fixed reasons",
    "text.empty": "the text is empty",
    "text.too_long": "the text is too long",
    "text.repeated": "you already sent this text",
    "text.invalid": "the text holds control characters or is not valid Unicode",
    "name.locked": "your name is fixed once you have spoken, asked or answered in this room",
    "op.unstorable": "the server could not store this operation; sending it again will not help",
    "speaker.already_queued": "you are already in the speaker queue",
    "speaker.not_queued": "you are not in the speaker queue",
    "speaker.queue_empty": "nobody is waiting to speak",
    "reaction.disabled": "reactions are off in this room",
    "reaction.invalid": "not one of the room's reactions",
    "moderator.not_found": "no such moderator",
    "rate.limited": "too many requests; slow down",
    "frame.too_large": "the frame is too large",
    "server.unavailable": "the server cannot store this right now; try again",
    "server.busy": "the room is busy; send the same op_id again in a moment",
    "export.not_available": "this export does not exist for this poll",
    "question.too_many_pending": (
        "you have as many questions waiting for a moderator as this room allows; "
        "wait until one is answered"
    ),
    "question.too_fast": "you are asking questions too quickly; wait a minute and ask again",
    "route.not_found": "no such address in this API",
    "route.method": "this address does not take that method; the Allow header lists those it takes",
}


class CommandError(Exception):
    """A command was refused. Nothing changed."""

    __slots__ = ("code", "message")

    def __init__(self, code: str, message: str | None = None) -> None:
        if code not in CODES:
            raise ValueError(f"unknown error code {code!r}; add it to rooms.errors.CODES")
        self.code = code
        self.message = message or CODES[code]
        super().__init__(f"{code}: {self.message}")

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
