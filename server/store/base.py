"""The transcript store port: the durable, ordered, hash-chained log of every room.

The store is the source of truth. It assigns each room's `seq` at commit (contiguous from 1,
`(room, seq)` unique), chains each entry's hash to the previous one, and keeps each op once:
`(room, actor, op_id)` is unique for a non-empty op_id, which makes deduplication permanent
while the rooms themselves only remember recent op_ids. Appends are group
committed: many concurrent `append` calls, across rooms, become one transaction, and each
caller's await returns only once its entries are durable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from rooms.privacy import unseal

__all__ = [
    "Committed",
    "Entry",
    "EntryRefused",
    "Store",
    "StoreUnavailable",
    "Stored",
    "Tail",
    "committed_row",
    "snapshot_row",
]


class StoreUnavailable(Exception):
    """The store cannot be reached or refused the write; nothing was acknowledged."""


class EntryRefused(StoreUnavailable):
    """The store refuses an entry's data itself: sending the same entry again cannot help.

    Raised for one caller's append, never for a whole group commit: a batch the database
    refuses is split until the entry at fault fails alone (server/store/_group.py).
    `index` is the refused entry's place in that caller's `entries`, when it is known (the
    checks before a commit know it; a database refusing a batch does not say which row).
    """

    def __init__(self, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


@dataclass(frozen=True, slots=True)
class Entry:
    """An event the hub wants appended; the store gives it its `seq` and `hash`."""

    at: int
    actor: str
    op_id: str
    type: str
    data: Mapping[str, Any]
    # Beside the chain, never hashed (rooms/privacy.py): who really acted, their op id and
    # the sealed fields' values and salts. Blanked by erasure; None for a public-only entry.
    private: Mapping[str, Any] | None = None
    # The participant whose personal data this entry erases, in the same transaction.
    erases: str | None = None


@dataclass(frozen=True, slots=True)
class Committed:
    """An entry as it stands in the transcript."""

    room: str
    seq: int
    at: int
    actor: str
    op_id: str
    type: str
    data: Mapping[str, Any]
    prev: str
    hash: str
    private: Mapping[str, Any] | None = None  # the record beside the chain (Entry.private)
    # True when append found this op already in the transcript (the same actor and op_id,
    # committed before or earlier in the same batch) and returned that entry instead.
    earlier: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "room": self.room,
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "op_id": self.op_id,
            "type": self.type,
            "data": dict(self.data),
            "prev": self.prev,
            "hash": self.hash,
        }

    def opened(self) -> tuple[str, str, dict[str, Any]]:
        """(actor, op_id, data) as the room folds them: the private record put back."""
        return unseal(self.actor, self.op_id, self.data, self.private)


@dataclass(frozen=True, slots=True)
class Stored:
    """An entry exactly as the store holds it, unparsed: `data` is the JSON text the hash
    covers. What a chain check reads, so that a damaged row is reported, never raised."""

    seq: object
    at: object
    actor: object
    op_id: object
    type: object
    data: object
    prev: object
    hash: object


@dataclass(frozen=True, slots=True)
class Tail:
    """A room's head as the `heads` table records it, and its last entries, oldest first."""

    head_seq: object
    head_hash: object
    entries: tuple[Stored, ...]


def committed_row(row: Sequence[Any]) -> Committed:
    """An entry as both stores select it: the log's columns, then its private record (the
    `personal` table's JSON, or NULL once erased or for an old-format entry)."""
    room, seq, at, actor, op_id, type_, data, prev, digest, private = row
    personal = json.loads(private) if private is not None else None
    return Committed(room, seq, at, actor, op_id, type_, json.loads(data), prev, digest, personal)


def snapshot_row(room: str, seq: object, data: object) -> tuple[int, bytes]:
    """A snapshot row as `load_snapshot` returns it; ValueError if its columns hold other
    types (SQLite keeps whatever was written)."""
    if isinstance(seq, int) and not isinstance(seq, bool) and isinstance(data, bytes | memoryview):
        return seq, bytes(data)
    raise ValueError(
        f"room {room}: snapshot row holds ({type(seq).__name__}, {type(data).__name__}),"
        " not (int, bytes)"
    )


class Store(Protocol):
    async def open(self) -> None:
        """Connect, create the schema if missing, start the group-commit writer."""

    async def close(self) -> None:
        """Flush pending appends, then release connections."""

    async def append(self, room: str, entries: Sequence[Entry]) -> list[Committed]:
        """Durably append `entries` to `room` in order; return them with seq and hash.

        An entry whose (actor, op_id) the room already has (a non-empty op_id) is not
        appended again: its place in the result is the entry already stored, marked
        `earlier`. Concurrent calls are group committed. Raises StoreUnavailable if not
        durable: EntryRefused when it is these entries the store cannot take (one entry's
        data fails only its own caller, never the others committed with it).
        """

    async def find_op(self, room: str, actor: str, op_id: str) -> Committed | None:
        """The entry `actor` committed under `op_id` in `room`, if any."""

    async def read(self, room: str, after: int = 0, limit: int | None = None) -> list[Committed]:
        """Entries with seq > after, oldest first, at most `limit`."""

    async def head(self, room: str) -> int:
        """The room's last seq (0 if the room has no entries)."""

    async def rooms(self, active_since: int = 0) -> list[str]:
        """Codes of rooms with any entry at or after `active_since` (ms since the epoch)."""

    async def save_snapshot(self, room: str, seq: int, data: bytes) -> None:
        """Keep the newest snapshot of a room's state at `seq` (older ones may be dropped)."""

    async def load_snapshot(self, room: str) -> tuple[int, bytes] | None:
        """The newest snapshot as (seq, data), or None. Raises StoreUnavailable when it
        cannot be read and ValueError when the row is not (int, bytes): a snapshot is a
        cache, and callers fall back to the log on either."""

    async def discard_snapshot(self, room: str) -> None:
        """Drop the room's snapshot (it was found damaged; a fresh one follows)."""

    async def tail(self, room: str, count: int) -> Tail | None:
        """The room's head and its last `count` entries, read in one statement (so they
        agree); None if the room has no head. Fields keep whatever type the row holds."""

    async def room_key(self, room: str) -> bytes:
        """The room's secret key (32 random bytes, made on first use, never published): what
        ballot keys are derived with. Every process gets the same one."""

    async def retained(self, before: int) -> list[str]:
        """Rooms still holding private data (a room key) whose last entry is older than
        `before` (ms since the epoch): candidates for a retention purge."""

    async def purge(self, room: str) -> int:
        """Blank the room's personal data and replace each participant by an alias, drop its
        room key and snapshot: the chain is untouched and still replays. Returns the private
        records rewritten."""

    async def healthy(self) -> bool:
        """True when an append would be expected to succeed now."""

    async def probe(self) -> None:
        """Commit a small write and read it back through the read path: raises
        StoreUnavailable, naming the step, when either fails. Costs one real commit."""
