"""What the big screen shows: a moderator's choice (op `screen.show`), or the meeting itself.

`TARGETS` is the table: each thing a screen can show, whether it names an item (a poll, a
question) and why that item could not be shown. Until a moderator chooses, or after the
chosen item leaves the public view (a poll deleted, a question hidden), the screen follows
the meeting (`auto`): the newest open poll, else the pinned question, else the speaker, else
the newest revealed poll, else the welcome slide. `shown` resolves this; the screen and the
overlay render what it says.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from moderation.filters import TextFilters
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import Event, ScreenShown
from rooms.fields import req_id, req_str
from rooms.lifecycles import PUBLISHED
from rooms.records import Record
from rooms.state import Presenting, RoomState

__all__ = ["APPLIERS", "AUTO", "DECIDERS", "TARGETS", "Shown", "Target", "presenting_view", "shown"]

AUTO = "auto"


def _poll_refusal(state: RoomState, poll_id: int) -> str | None:
    poll = state.polls.get(poll_id)
    if poll is None or poll.deleted:
        return "poll.not_found"
    return "poll.not_open" if poll.state == "draft" else None  # the screen never sees drafts


def _question_refusal(state: RoomState, question_id: int) -> str | None:
    q = state.questions.get(question_id)
    if q is None:
        return "question.not_found"
    return None if q.state in PUBLISHED else "question.not_visible"


@dataclass(frozen=True, slots=True)
class Target:
    # The field `target_id` names an item of this kind ("poll", "question"), or None.
    names: str | None = None
    # Why the item cannot be shown now (an error code), or None when it can.
    refusal: Callable[[RoomState, int], str | None] | None = None


TARGETS: Mapping[str, Target] = {
    AUTO: Target(),  # follow the meeting (the default)
    "welcome": Target(),  # the room code and its QR, as large as the screen allows
    "poll": Target("poll", _poll_refusal),  # a poll, its results once revealed
    "question": Target("question", _question_refusal),  # a published question, large
    "speaker": Target(),  # who has the floor, with the time they have left
    "nothing": Target(),  # a blank screen
}


@dataclass(frozen=True, slots=True)
class Shown:
    target: str  # a TARGETS key other than AUTO
    target_id: int | None
    chosen: bool  # a moderator chose it (False: the meeting's default)


def _refusal(state: RoomState, target: str, target_id: int | None) -> str | None:
    row = TARGETS.get(target)
    if row is None:
        return "field.invalid"
    if row.refusal is None:
        return None
    if target_id is None:
        return "field.missing"
    return row.refusal(state, target_id)


def _follow(state: RoomState) -> Shown:
    """The meeting's own order: a vote under way, the question being answered, the person
    speaking, the latest results, else how to join."""
    polls = [p for p in state.polls.values() if not p.deleted and p.state != "draft"]
    open_polls = [p for p in polls if p.state == "open"]
    if open_polls:
        return Shown("poll", open_polls[-1].id, chosen=False)
    if state.pinned is not None:
        return Shown("question", state.pinned, chosen=False)
    if state.floor is not None:
        return Shown("speaker", None, chosen=False)
    revealed = [p for p in polls if p.revealed]
    if revealed:
        return Shown("poll", revealed[-1].id, chosen=False)
    return Shown("welcome", None, chosen=False)


def shown(state: RoomState) -> Shown:
    """What the screen shows now: the moderator's choice while it can be shown, else `auto`."""
    p = state.presenting
    if p is None or p.target == AUTO or _refusal(state, p.target, p.target_id) is not None:
        return _follow(state)
    return Shown(p.target, p.target_id, chosen=True)


def presenting_view(state: RoomState) -> dict[str, Any]:
    """The moderator's choice as every role's room header carries it."""
    p = state.presenting
    if p is None:
        return {"target": AUTO, "target_id": None, "since": None}
    return {"target": p.target, "target_id": p.target_id, "since": p.since}


def decide_show(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    target = req_str(f, "target")
    row = TARGETS.get(target)
    if row is None:
        raise CommandError("field.invalid", f"target must be one of {', '.join(TARGETS)}")
    target_id = req_id(f, "target_id") if row.names is not None else None
    refused = _refusal(state, target, target_id)
    if refused is not None:
        raise CommandError(refused)
    return ScreenShown(target=target, target_id=target_id)


def apply_shown(state: RoomState, rec: Record, ev: ScreenShown, fx: Effects) -> None:
    # Another record may have deleted the poll or hidden the question since `decide`.
    refused = _refusal(state, ev.target, ev.target_id)
    if refused is not None:
        raise CommandError(refused)
    fx.before = presenting_view(state)
    state.presenting = Presenting(ev.target, ev.target_id, rec.at)
    fx.after = presenting_view(state)
    fx.result = {"target": ev.target, "target_id": ev.target_id}
    fx.target = f"screen:{ev.target}" + (f":{ev.target_id}" if ev.target_id is not None else "")
    fx.touch("screen", None, ev.TYPE)


DECIDERS: dict[str, Decider] = {"screen.show": decide_show}
APPLIERS: dict[type[Event], Applier] = {ScreenShown: apply_shown}
