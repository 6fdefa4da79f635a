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
from moderation.roles import OP_BY_EVENT, OPS, Op
from rooms import (
    floor_ops,
    link_ops,
    poll_ops,
    presenting,
    question_ops,
    room_ops,
    template_ops,
    translations,
)
from rooms.changes import Applied, Applier, Change, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import EVENT_TYPES, Event
from rooms.lifecycles import ROOM
from rooms.records import Record
from rooms.standing import SYSTEM, refusal
from rooms.state import RoomState
from rooms.text import check_text, check_text_tree

# Applied and Change live in rooms.changes (the op modules share them); exported from here.
__all__ = ["SYSTEM", "Applied", "Change", "apply", "decide", "new_room"]

# Who may send each op is moderation.roles.OPS; what it does, each op module's tables.
DECIDERS: dict[str, Decider] = {
    **room_ops.DECIDERS,
    **poll_ops.DECIDERS,
    **question_ops.DECIDERS,
    **floor_ops.DECIDERS,
    **link_ops.DECIDERS,
    **presenting.DECIDERS,
    **translations.DECIDERS,
    **template_ops.DECIDERS,
}
APPLIERS: dict[type[Event], Applier] = {
    **room_ops.APPLIERS,
    **poll_ops.APPLIERS,
    **question_ops.APPLIERS,
    **floor_ops.APPLIERS,
    **link_ops.APPLIERS,
    **presenting.APPLIERS,
    **translations.APPLIERS,
    **template_ops.APPLIERS,
}


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
    rule = OPS.get(op) if isinstance(op, str) else None
    if rule is None:
        raise CommandError("op.unknown", f"no such operation: {op!r}")
    if not rule.sendable_by(ctx.role):
        raise CommandError("auth.forbidden")
    ROOM.check(state.phase, EVENT_TYPES[rule.event])  # not found, closed, already exists
    refused = refusal(state, ctx.actor, ctx.role, rule)
    if refused is not None:
        raise refused
    return DECIDERS[op](state, fields, ctx, filters)


def _check_standing(state: RoomState, rec: Record, rule: Op) -> None:
    """What `decide` checked about the room and the actor, as it stands now."""
    ROOM.check(state.phase, type(rec.event))
    refused = refusal(state, rec.actor, rule.by, rule)
    if refused is not None:
        raise refused


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
    rule = OP_BY_EVENT[record.event.TYPE]
    fx = Effects()
    try:
        _check_standing(state, record, rule)
        applier(state, record, record.event, fx)
    except CommandError as err:
        if record.op_id:
            # A retry of this op must hear the same refusal, not be decided afresh: its
            # op_id is taken in the transcript now.
            state.ops.remember_refusal(key, record.seq, err.code)
        return Applied(record.seq, {}, err, ())
    ev = record.event
    if rule.audited:
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
