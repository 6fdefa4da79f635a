"""The two functions everything else is built on.

    decide(state, op, fields, ctx) -> Event      validate an untrusted op; never mutates
    apply(state, record) -> Applied              fold a committed record into state

Between the two, the store commits the event and gives it its `seq`; other processes' records
may be committed first. So `apply` is total: it re-checks the preconditions that another
record could have broken and, if one fails, changes nothing but `seq` and reports the error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moderation.audit import AuditEntry
from moderation.filters import DEFAULT_FILTERS, TextFilters
from moderation.roles import Role, may
from rooms import floor_ops, poll_ops, question_ops, room_ops
from rooms.changes import Applied, Applier, Change, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import Event, ParticipantJoined, PollClosed, RoomCreated, TranscriptPublished
from rooms.records import Record
from rooms.state import RoomState
from rooms.text import check_text, check_text_tree

# Applied and Change live in rooms.changes (the op modules share them); exported from here.
__all__ = ["SYSTEM", "Applied", "Change", "apply", "decide", "new_room"]

# The server's own actor, e.g. for closing timed polls (sent with role ORGANISER).
SYSTEM = "system"

DECIDERS: dict[str, Decider] = {
    **room_ops.DECIDERS,
    **poll_ops.DECIDERS,
    **question_ops.DECIDERS,
    **floor_ops.DECIDERS,
}
APPLIERS: dict[type[Event], Applier] = {
    **room_ops.APPLIERS,
    **poll_ops.APPLIERS,
    **question_ops.APPLIERS,
    **floor_ops.APPLIERS,
}
# Ops the role table does not list: the server sends them on a person's behalf.
_SERVER_OPS = {"room.create": Role.ORGANISER, "participant.join": Role.ATTENDEE}


def new_room() -> RoomState:
    return RoomState()


def decide(
    state: RoomState,
    op: str,
    fields: Mapping[str, Any],
    ctx: Context,
    filters: TextFilters = DEFAULT_FILTERS,
) -> Event:
    """The one event `op` would cause, or CommandError. Never changes `state`."""
    if not isinstance(fields, Mapping):
        raise CommandError("frame.invalid", "fields must be an object")
    # Whatever the way in: a string no store can hold fails this op alone (rooms/text.py).
    check_text_tree(fields)
    check_text(ctx.op_id, "op_id")
    decider = DECIDERS.get(op) if isinstance(op, str) else None
    if decider is None:
        raise CommandError("op.unknown", f"no such operation: {op!r}")
    server_role = _SERVER_OPS.get(op)
    if server_role is not None:
        if ctx.role is not server_role:
            raise CommandError("auth.forbidden")
        if op == "room.create":
            return decider(state, fields, ctx, filters)
    elif not may(ctx.role, op):
        raise CommandError("auth.forbidden")
    if not state.created:
        raise CommandError("room.not_found")
    if state.closed and op != "room.publish":  # a transcript is published after the meeting
        raise CommandError("room.closed")
    if op != "participant.join":
        _check_actor(state, ctx, op)
    return decider(state, fields, ctx, filters)


def _check_actor(state: RoomState, ctx: Context, op: str) -> None:
    if ctx.role is Role.ATTENDEE:
        person = state.participants.get(ctx.actor)
        if person is None:
            raise CommandError("participant.not_found")
        if person.banned:
            raise CommandError("auth.banned")
    elif ctx.role is Role.ORGANISER:
        if ctx.actor != state.organiser and not (ctx.actor == SYSTEM and op == "poll.close"):
            raise CommandError("auth.forbidden")
    elif not state.is_moderator(ctx.actor):  # a revoked or unknown co-moderator
        raise CommandError("auth.forbidden")


def _check_standing(state: RoomState, rec: Record) -> None:
    """What `decide` checked about the room and the actor, as it stands now."""
    ev = rec.event
    if isinstance(ev, RoomCreated):
        return
    if not state.created:
        raise CommandError("room.not_found")
    if state.closed and not isinstance(ev, TranscriptPublished):
        raise CommandError("room.closed")
    by = ev.BY
    if by == "attendee":
        person = state.participants.get(rec.actor)
        if person is None:
            if not isinstance(ev, ParticipantJoined):
                raise CommandError("participant.not_found")
        elif person.banned:
            raise CommandError("auth.banned")
    elif by == "moderator":
        if not state.is_moderator(rec.actor) and not (
            rec.actor == SYSTEM and isinstance(ev, PollClosed)
        ):
            raise CommandError("auth.forbidden")
    elif rec.actor != state.organiser:
        raise CommandError("auth.forbidden")


def apply(state: RoomState, record: Record) -> Applied:
    """Fold `record` into `state` in place. Raises ValueError only for a server bug."""
    if record.seq != state.seq + 1:
        raise ValueError(f"record seq {record.seq} does not follow state seq {state.seq}")
    applier = APPLIERS.get(type(record.event))
    if applier is None:
        raise ValueError(f"no applier for {type(record.event).__name__}")
    state.seq = record.seq
    key = (record.actor, record.op_id)
    if record.op_id:
        done = state.ops.result(key)
        if done is not None:
            return Applied(record.seq, dict(done[1]), None, (), duplicate=True)
        refused = state.ops.refusal(key)
        if refused is not None:
            return Applied(record.seq, {}, CommandError(refused[1]), (), duplicate=True)
    fx = Effects()
    try:
        _check_standing(state, record)
        applier(state, record, record.event, fx)
    except CommandError as err:
        if record.op_id:
            # A retry of this op must hear the same refusal, not be decided afresh: its
            # op_id is taken in the transcript now.
            state.ops.remember_refusal(key, record.seq, err.code)
        return Applied(record.seq, {}, err, ())
    ev = record.event
    if ev.BY in ("moderator", "organiser"):
        state.audit.append(
            AuditEntry(
                seq=record.seq,
                at=record.at,
                actor=record.actor,
                action=ev.TYPE,
                target=fx.target,
                before=fx.before,
                after=fx.after,
                reason=fx.reason,
            )
        )
        fx.touch("moderation", len(state.audit) - 1, ev.TYPE)
    if record.op_id:
        state.ops.remember(key, record.seq, fx.result)
    return Applied(record.seq, dict(fx.result), None, tuple(fx.changes))
