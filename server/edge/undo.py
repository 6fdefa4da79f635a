"""What the feedback line beside a done action offers to take it back ("Undo").

    undo = undo_of("poll.delete", form)          # {"op": "poll.restore", "field": ..., "id": ...}
    query = undo_query(undo)                     # it rides the redirect of a page without script
    undo = undo_from_query("poll.delete", request.query_params)

The table names, for each op that can be taken back, the engine's op that does it and the
fields that may name the item; the undo names it by the same field the action did.
rooms/lifecycles.py says what may be taken back: a restore or unban that comes too late or
twice is refused there, not here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from rooms import RoomState

__all__ = ["UNDO", "bans_in_force", "undo_from_query", "undo_of", "undo_query"]

UNDO: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "poll.delete": ("poll.restore", ("poll_id",)),
    "question.reject": ("question.restore", ("question_id",)),
    "answer.reject": ("answer.restore", ("answer_id",)),
    "template.delete": ("template.restore", ("template_id",)),
    # A ban is lifted through what it went through: the person, or their question or answer
    # (for anonymous content, the content ban, whose author staff never learn).
    "participant.ban": ("participant.unban", ("participant_id", "question_id", "answer_id")),
}

# An item's id as a form carries it: a number, or a participant id (server/edge/membership.py).
_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def undo_of(op: str, given: Mapping[str, Any]) -> dict[str, str] | None:
    """The undo form's fields for a done `op` on the item `given` names, or None."""
    undo = UNDO.get(op)
    if undo is None:
        return None
    reverse, fields = undo
    for field in fields:
        item = given.get(field)
        if isinstance(item, str) and item:
            return {"op": reverse, "field": field, "id": item} if _ID.match(item) else None
    return None


def undo_query(undo: Mapping[str, str]) -> dict[str, str]:
    """The undo in the redirect's query: the item and the field naming it."""
    return {"undo": undo["id"], "undo_by": undo["field"]}


def undo_from_query(op: str, params: Mapping[str, str]) -> dict[str, str] | None:
    """`undo_query`'s fields back, for the feedback line of the page they came to."""
    field = params.get("undo_by", "")
    if field not in UNDO.get(op, ("", ()))[1]:
        return None
    return undo_of(op, {field: params.get("undo")})


def bans_in_force(state: RoomState) -> frozenset[str]:
    """Who is banned and which content bans hold: a ban that repeats one of these (a new
    reason) has no Undo, as taking it back would lift the ban that was there before."""
    return frozenset(
        ban
        for person in state.participants.values()
        for ban in ((person.id,) if person.banned else ()) + tuple(person.content_bans)
    )
