"""What applying a record produced: the ack body, what it touched, and the handler plumbing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moderation.filters import TextFilters
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import Event
from rooms.records import Record
from rooms.state import RoomState

__all__ = ["Applied", "Applier", "Change", "Decider", "Effects"]


@dataclass(frozen=True, slots=True)
class Change:
    """One item a record touched, for the hub's coalesced fan-out."""

    kind: str  # room | poll | question | answer | speaker | reactions | participant | moderator
    #            | moderation | screen | ban (a content ban, staff) | barred (its person: hub only)
    key: int | str | None  # poll_id / question_id / answer_id / participant id / audit index
    #                        / a content ban's seq
    type: str  # the event's wire type


@dataclass(frozen=True, slots=True)
class Applied:
    seq: int
    result: dict[str, Any]
    error: CommandError | None
    changes: tuple[Change, ...]
    duplicate: bool = False


@dataclass(slots=True)
class Effects:
    """Filled in by an applier. It must raise CommandError before its first mutation."""

    result: dict[str, Any] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    # For the audit entry of a moderator action:
    target: str | None = None
    before: Any = None
    after: Any = None
    reason: str | None = None

    def touch(self, kind: str, key: int | str | None, type_: str) -> None:
        self.changes.append(Change(kind, key, type_))


Decider = Callable[[RoomState, Mapping[str, Any], Context, TextFilters], Event]
Applier = Callable[[RoomState, Record, Any, Effects], None]
