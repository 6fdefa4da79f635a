"""A room's transcript read back: entries to records, records to the room they rebuild.

    records = records_of(entries)      # store entries, or transcript lines parsed as dicts
    state = replay(records)            # the same pure fold the live server runs

A transcript line is `{room, seq, at, actor, op_id, type, data, prev, hash}` (extra keys are
ignored here; `server/tools/verify.py` checks the chain). Pure like the rest of `rooms/`: the
callers read the files and stores.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from rooms.events import event_from_dict
from rooms.records import Record
from rooms.reducer import apply, new_room
from rooms.state import RoomState

__all__ = ["BadLine", "Entry", "record_from_dict", "records_from_lines", "records_of", "replay"]


class Entry(Protocol):
    """A committed store entry (`server.store.base.Committed` is one)."""

    def to_dict(self) -> dict[str, Any]: ...


def _opened(entry: Entry) -> dict[str, Any]:
    """The entry as the room folds it: a store entry's private record put back
    (rooms/privacy.py); a plain entry as it is."""
    d = entry.to_dict()
    opened = getattr(entry, "opened", None)
    if opened is not None:
        d["actor"], d["op_id"], d["data"] = opened()
    return d


def record_from_dict(d: Mapping[str, Any]) -> Record:
    """A Record from a transcript line (`{seq, at, actor, op_id, type, data, ...}`).

    Raises ValueError when the line does not hold a well-formed record.
    """
    seq, at, actor, op_id = d.get("seq"), d.get("at"), d.get("actor"), d.get("op_id")
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise ValueError("seq must be a positive integer")
    if not isinstance(at, int) or isinstance(at, bool):
        raise ValueError("at must be an integer")
    if not isinstance(actor, str) or not isinstance(op_id, str):
        raise ValueError("actor and op_id must be strings")
    return Record(seq, at, actor, op_id, event_from_dict(d))


def records_of(entries: Iterable[Entry | Mapping[str, Any]]) -> list[Record]:
    return [record_from_dict(e if isinstance(e, Mapping) else _opened(e)) for e in entries]


class BadLine(ValueError):
    """A transcript line that is not a record: which one (from 1), and why."""

    def __init__(self, line: int, error: Exception) -> None:
        super().__init__(f"line {line}: {error}")
        self.line = line
        self.error = error


def records_from_lines(lines: Iterable[str]) -> list[Record]:
    """The records of a JSON Lines transcript, blank lines skipped.

    Raises ValueError naming the first line (counted from 1) that is not a record.
    """
    records = []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            if isinstance(line, dict) and "sealed" in (line.get("data") or {}):
                raise ValueError(
                    "a sealed entry: its private fields are not in a public transcript"
                    " (replay the room from its store: townhall report ROOM)"
                )
            records.append(record_from_dict(line))
        except ValueError as exc:  # json.JSONDecodeError is one
            raise BadLine(number, exc) from None
    return records


def replay(records: Iterable[Record], start: RoomState | None = None) -> RoomState:
    """The room `records` rebuild, folded onto `start` (a restored snapshot) or a new room.

    Raises ValueError only where `apply` does: a seq that does not follow, an unknown event.
    """
    state = start if start is not None else new_room()
    for record in records:
        apply(state, record)
    return state
