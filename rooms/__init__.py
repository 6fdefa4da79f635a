"""The room engine: a pure, event-sourced core. No I/O, no clock, no randomness.

    event = decide(state, op, fields, ctx)     # validate; CommandError, or one event
    record = Record(seq, at, actor, op_id, event)   # the store commits it and assigns seq
    applied = apply(state, record)             # fold it in; total, returns what changed

See docs/ENGINE.md for the events, ops, result shapes, error codes and visibility rules.
"""

from moderation.filters import DEFAULT_FILTERS, TextFilters
from rooms.context import Context
from rooms.errors import CODES, CommandError
from rooms.events import Event, event_from_dict, event_to_dict
from rooms.records import Record
from rooms.reducer import SYSTEM, Applied, Change, apply, decide, new_room
from rooms.snapshot import from_snapshot, to_snapshot
from rooms.state import RoomState
from rooms.views import personal_frames, snapshot_view, view_frames, you_frame

__all__ = [
    "CODES",
    "DEFAULT_FILTERS",
    "SYSTEM",
    "Applied",
    "Change",
    "CommandError",
    "Context",
    "Event",
    "Record",
    "RoomState",
    "TextFilters",
    "apply",
    "decide",
    "event_from_dict",
    "event_to_dict",
    "from_snapshot",
    "new_room",
    "personal_frames",
    "snapshot_view",
    "to_snapshot",
    "view_frames",
    "you_frame",
]
