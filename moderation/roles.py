"""Roles, and every op with the least role that may send it: one table, read by every check.

`OPS` is the only place an op's permission is written. The role table (`OPS_BY_ROLE`,
`may`), the actor the reducer re-checks when it applies an event (`OP_BY_EVENT`), which
events leave an audit entry (`Op.audited`) and which ops only the server sends are all
derived from it. Adding an op is one row here; its event, decider and applier live in
`rooms/` (see docs/ENGINE.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["INVITED", "OPS", "OPS_BY_ROLE", "OP_BY_EVENT", "STAFF", "Op", "Role", "may"]


class Role(StrEnum):
    ORGANISER = "organiser"  # the room's creator: a moderator who can also manage moderators
    MODERATOR = "moderator"
    ATTENDEE = "attendee"
    SCREEN = "screen"  # read-only big screen
    EMBED = "embed"  # read-only overlay, results only
    # Invited like a co-moderator (moderator.add with role "interpreter"): attaches
    # translations to questions and polls, and moderates nothing.
    INTERPRETER = "interpreter"


# Who holds each role's rights: the organiser is a moderator too. Screen and embed are
# read-only: no op names them, so they may send none.
_HELD_BY: Mapping[Role, frozenset[Role]] = {
    Role.ORGANISER: frozenset({Role.ORGANISER}),
    Role.MODERATOR: frozenset({Role.MODERATOR, Role.ORGANISER}),
    Role.ATTENDEE: frozenset({Role.ATTENDEE}),
    Role.INTERPRETER: frozenset({Role.INTERPRETER, Role.MODERATOR, Role.ORGANISER}),
}
STAFF = _HELD_BY[Role.MODERATOR]
# The roles moderator.add invites (a token of its own, revoked by moderator.revoke).
INVITED = (Role.MODERATOR, Role.INTERPRETER)


@dataclass(frozen=True, slots=True)
class Op:
    name: str  # the wire op, as a client sends it
    by: Role  # the least role that may send it (MODERATOR: the organiser as well)
    event: str  # the wire type of the one event it produces
    # The server sends it on behalf of `by` (creating a room, joining one); clients never do.
    server: bool = False
    # Its actor need not be known to the room yet (the organiser creating it, a newcomer
    # joining); a banned attendee is still refused.
    newcomer: bool = False
    # The server's own actor (rooms.SYSTEM, holding role ORGANISER) may send it: timed polls.
    system: bool = False

    @property
    def audited(self) -> bool:
        """Staff actions leave an audit entry (an interpreter's translations too)."""
        return self.by in STAFF or self.by is Role.INTERPRETER

    def sendable_by(self, role: Role) -> bool:
        """May a sender holding `role` send this op? (A server op: only for exactly `by`.)"""
        return role is self.by if self.server else role in _HELD_BY[self.by]


_A, _M, _O, _I = Role.ATTENDEE, Role.MODERATOR, Role.ORGANISER, Role.INTERPRETER

_ROWS = (
    # -- the room and its people -------------------------------------------------------------
    Op("room.create", _O, "room.created", server=True, newcomer=True),
    Op("room.update", _M, "room.updated"),
    Op("room.close", _O, "room.closed"),
    Op("room.publish", _O, "room.transcript_published"),
    Op("participant.join", _A, "participant.joined", server=True, newcomer=True),
    Op("participant.erase", _A, "participant.erased"),  # one's own name and district
    Op("participant.forget", _O, "participant.forgotten"),  # anyone's, by the organiser
    Op("participant.ban", _M, "participant.banned"),
    Op("participant.unban", _M, "participant.unbanned"),
    Op("codes.issue", _O, "codes.issued"),
    Op("moderator.add", _O, "moderator.added"),
    Op("moderator.revoke", _O, "moderator.revoked"),
    Op("links.rotate", _O, "links.rotated"),
    # -- polls -------------------------------------------------------------------------------
    Op("poll.create", _M, "poll.created"),
    Op("poll.edit", _M, "poll.edited"),
    Op("poll.open", _M, "poll.opened"),
    Op("poll.close", _M, "poll.closed", system=True),
    Op("poll.reveal", _M, "poll.revealed"),
    Op("poll.hide", _M, "poll.hidden"),
    Op("poll.delete", _M, "poll.deleted"),
    Op("poll.restore", _M, "poll.restored"),
    Op("template.save", _M, "template.saved"),
    Op("template.delete", _M, "template.deleted"),
    Op("template.restore", _M, "template.restored"),
    Op("vote", _A, "ballot.cast"),
    Op("answer.approve", _M, "answer.approved"),
    Op("answer.reject", _M, "answer.rejected"),
    Op("answer.restore", _M, "answer.restored"),
    # -- questions ---------------------------------------------------------------------------
    Op("question.ask", _A, "question.asked"),
    Op("question.upvote", _A, "question.upvoted"),
    Op("question.downvote", _A, "question.downvoted"),
    Op("question.unvote", _A, "question.unvoted"),
    Op("question.withdraw", _A, "question.withdrawn"),
    Op("question.approve", _M, "question.approved"),
    Op("question.reject", _M, "question.rejected"),
    Op("question.restore", _M, "question.restored"),
    Op("question.hide", _M, "question.hidden"),
    Op("question.answer", _M, "question.answered"),
    Op("question.pin", _M, "question.pinned"),
    Op("question.unpin", _M, "question.unpinned"),
    Op("question.archive", _M, "question.archived"),
    Op("question.label", _M, "question.labelled"),
    # -- the floor ---------------------------------------------------------------------------
    Op("speaker.request", _A, "speaker.requested"),
    Op("speaker.withdraw", _A, "speaker.withdrawn"),
    Op("speaker.next", _M, "speaker.called"),
    Op("speaker.skip", _M, "speaker.skipped"),
    Op("speaker.finish", _M, "speaker.finished"),
    Op("react", _A, "reaction.sent"),
    # -- interpreters ------------------------------------------------------------------------
    Op("translation.attach", _I, "translation.attached"),
    # One entry per window of attendees' counted reactions, written by the server's own
    # actor on their behalf (rooms/reaction_windows.py): an attendee op, so never audited.
    Op("reactions.count", _A, "reactions.counted", server=True, system=True),
    # -- the big screen ----------------------------------------------------------------------
    Op("screen.show", _M, "screen.shown"),
)


def _index(rows: tuple[Op, ...], key: str) -> dict[str, Op]:
    out: dict[str, Op] = {}
    for row in rows:
        name = getattr(row, key)
        if name in out:
            raise ValueError(f"two ops share the {key} {name!r}")
        if row.by not in _HELD_BY:
            raise ValueError(f"{row.name}: {row.by} may send nothing")
        out[name] = row
    return out


OPS: Mapping[str, Op] = _index(_ROWS, "name")
# Each event comes from exactly one op: applying it re-checks that op's standing.
OP_BY_EVENT: Mapping[str, Op] = _index(_ROWS, "event")

# Which ops a client holding each role may send.
OPS_BY_ROLE: dict[Role, frozenset[str]] = {
    role: frozenset(op.name for op in _ROWS if not op.server and op.sendable_by(role))
    for role in Role
}


def may(role: Role, op: str) -> bool:
    return op in OPS_BY_ROLE[role]
