"""Poll templates a room keeps: a moderator saves a poll's definition under a name, and the
control panel's builder can start from it later (server/edge/poll_templates.py). Templates
are per room because the room's log is the one store every process and every co-moderator
shares, and replay, exports and the report see them like anything else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moderation.filters import TextFilters
from rooms import lookup
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import Event, TemplateSaved
from rooms.fields import clean_line, opt_str, req_id
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


def _check_room(state: RoomState) -> None:
    if len(state.templates) >= MAX_TEMPLATES:
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


DECIDERS: dict[str, Decider] = {"template.save": decide_save}
APPLIERS: dict[type[Event], Applier] = {TemplateSaved: apply_saved}
