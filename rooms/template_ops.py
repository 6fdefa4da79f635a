"""Poll templates a room keeps: a moderator saves a poll's definition under a name, and the
control panel's builder can start from it later (server/edge/poll_templates.py). Templates
are per room because the room's log is the one store every process and every co-moderator
shares, and replay, exports and the report see them like anything else."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from moderation.filters import TextFilters
from rooms import lookup
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import Event, TemplateDeleted, TemplateRestored, TemplateSaved
from rooms.fields import clean_line, opt_str, req_id
from rooms.lifecycles import TEMPLATE
from rooms.records import Record
from rooms.state import PollTemplate, RoomState

__all__ = ["APPLIERS", "DECIDERS", "MAX_TEMPLATES", "NAME_MAX"]

MAX_TEMPLATES = 50
NAME_MAX = 80


def decide_save(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    poll = lookup.poll(state, req_id(f, "poll_id"))
    _check_room(state)
    d = poll.defn
    name = clean_line(opt_str(f, "name") or d.question, NAME_MAX)
    return TemplateSaved(
        poll_id=poll.id,
        name=name,
        kind=d.kind,
        question=d.question,
        options=d.options,
        max_selections=d.max_selections,
        scale=d.scale,
        max_words=d.max_words,
        total=d.total,
    )


def decide_delete(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    found = _template(state, req_id(f, "template_id"))
    TEMPLATE.check(found.deleted, TemplateDeleted)
    return TemplateDeleted(template_id=found.id)


def decide_restore(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    found = _template(state, req_id(f, "template_id"))
    TEMPLATE.check(found.deleted, TemplateRestored)
    _check_room(state)  # a restored template counts again
    return TemplateRestored(template_id=found.id)


def _template(state: RoomState, template_id: int) -> PollTemplate:
    """The template, deleted or not: a deleted one stays as a tombstone so its undo is exact."""
    found = state.templates.get(template_id)
    if found is None:
        raise CommandError("template.not_found")
    return found


def _check_room(state: RoomState) -> None:
    # Deleted templates are out of the builder's table, so they leave room for new ones.
    if sum(not t.deleted for t in state.templates.values()) >= MAX_TEMPLATES:
        raise CommandError("template.limit")


def apply_saved(state: RoomState, rec: Record, ev: TemplateSaved, fx: Effects) -> None:
    _check_room(state)  # another moderator's save may have filled the room meanwhile
    state.templates[rec.seq] = PollTemplate(
        id=rec.seq,
        name=ev.name,
        kind=ev.kind,
        question=ev.question,
        options=ev.options,
        max_selections=ev.max_selections,
        scale=ev.scale,
        max_words=ev.max_words,
        total=ev.total,
    )
    fx.result = {"template_id": rec.seq, "poll_id": ev.poll_id}
    fx.target = f"poll:{ev.poll_id}"
    fx.after = ev.name


def apply_deleted(state: RoomState, rec: Record, ev: TemplateDeleted, fx: Effects) -> None:
    _move(state, ev.template_id, ev, fx)


def apply_restored(state: RoomState, rec: Record, ev: TemplateRestored, fx: Effects) -> None:
    _check_room(state)  # saves since the delete may have filled the room
    _move(state, ev.template_id, ev, fx)


def _move(
    state: RoomState, template_id: int, ev: TemplateDeleted | TemplateRestored, fx: Effects
) -> None:
    found = _template(state, template_id)
    state.templates[found.id] = replace(found, deleted=TEMPLATE.next(found.deleted, type(ev)))
    fx.result = {"template_id": found.id}
    fx.target = f"template:{found.id}"
    fx.before = found.name


DECIDERS: dict[str, Decider] = {
    "template.save": decide_save,
    "template.delete": decide_delete,
    "template.restore": decide_restore,
}
APPLIERS: dict[type[Event], Applier] = {
    TemplateSaved: apply_saved,
    TemplateDeleted: apply_deleted,
    TemplateRestored: apply_restored,
}
