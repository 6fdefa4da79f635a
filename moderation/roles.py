"""Roles and what each may do, as data: one table, read by every check."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["OPS_BY_ROLE", "Role", "may"]


class Role(StrEnum):
    ORGANISER = "organiser"  # the room's creator: a moderator who can also manage moderators
    MODERATOR = "moderator"
    ATTENDEE = "attendee"
    SCREEN = "screen"  # read-only big screen
    EMBED = "embed"  # read-only overlay, results only


_ATTENDEE_OPS = frozenset(
    {
        "vote",
        "question.ask",
        "question.upvote",
        "question.unvote",
        "question.downvote",
        "question.withdraw",
        "speaker.request",
        "speaker.withdraw",
        "react",
    }
)
_MODERATOR_OPS = frozenset(
    {
        "poll.create",
        "poll.edit",
        "poll.open",
        "poll.close",
        "poll.reveal",
        "poll.hide",
        "poll.delete",
        "question.approve",
        "question.reject",
        "question.hide",
        "question.answer",
        "question.pin",
        "question.unpin",
        "question.archive",
        "question.label",
        "answer.approve",
        "answer.reject",
        "speaker.next",
        "speaker.skip",
        "speaker.finish",
        "participant.ban",
        "participant.unban",
        "room.update",
    }
)
_ORGANISER_OPS = _MODERATOR_OPS | {
    "moderator.add",
    "moderator.revoke",
    "room.close",
    "codes.issue",
    "room.publish",
}

# Which ops each role may send. Screen and embed are read-only: they may send none.
OPS_BY_ROLE: dict[Role, frozenset[str]] = {
    Role.ORGANISER: _ORGANISER_OPS,
    Role.MODERATOR: _MODERATOR_OPS,
    Role.ATTENDEE: _ATTENDEE_OPS,
    Role.SCREEN: frozenset(),
    Role.EMBED: frozenset(),
}


def may(role: Role, op: str) -> bool:
    return op in OPS_BY_ROLE[role]
