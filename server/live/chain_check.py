"""The chain's tail, checked while the server runs: a damaged or rewritten entry is reported
within minutes, not when someone next runs `townhall verify`.

For each hosted room, the last entries are read as the store holds them (unparsed, so a
damaged row is a finding, never an exception) and checked the way `server/tools/verify.py`
checks a whole export: each hash recomputed over the exact stored text, each `prev` equal to
the hash before it (GENESIS before seq 1), seqs contiguous up to the head, the head's hash
that of the last entry, and the entry this process last applied still the one it applied.
The cost is bounded: `count` entries per room per sweep, one room at a time, with the event
loop free between rooms.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from rooms.chain import GENESIS, entry_hash_raw
from server.store.base import Store, Stored, Tail

__all__ = ["Break", "ChainWatch", "Seen", "check_tail"]

log = logging.getLogger("townhall.chain")

# (seq, hash) of the entry a room host last applied, or None before its first.
Seen = tuple[int, str] | None


@dataclass(frozen=True, slots=True)
class Break:
    room: str
    seq: int
    reason: str

    def describe(self) -> str:
        return f"room {self.room} at seq {self.seq}: {self.reason}"


def _recompute(room: str, e: Stored) -> str | None:
    """The entry's hash over its stored fields, or None when they cannot be hashed."""
    if not (
        isinstance(e.seq, int)
        and isinstance(e.at, int)
        and isinstance(e.actor, str)
        and isinstance(e.op_id, str)
        and isinstance(e.type, str)
        and isinstance(e.data, str)
        and isinstance(e.prev, str)
    ):
        return None
    try:
        return entry_hash_raw(
            e.prev,
            room=room,
            seq=e.seq,
            at=e.at,
            actor=e.actor,
            op_id=e.op_id,
            type=e.type,
            data_json=e.data.encode("utf-8"),
        )
    except (ValueError, UnicodeError):  # a lone surrogate, a non-ASCII prev
        return None


def check_tail(room: str, tail: Tail, count: int, applied: Seen = None) -> Break | None:
    """The first problem in `tail` (the last `count` entries of `room`), or None.

    `applied` is (seq, hash) of the entry this process last applied: the store must still
    hold that very entry. A tail rewritten from some seq to the head with fresh hashes links
    up again, but not with what the process saw go by.
    """
    head_seq = tail.head_seq
    if not isinstance(head_seq, int) or not isinstance(tail.head_hash, str):
        return Break(room, 0, "the head row is unreadable")
    first = max(1, head_seq - count + 1)
    expected_prev: str | None = GENESIS if first == 1 else None  # unknown before the window
    seq = first
    for entry in tail.entries:
        if entry.seq != seq:
            return Break(room, seq, "missing: the store's head says it exists")
        if expected_prev is not None and entry.prev != expected_prev:
            return Break(room, seq, "prev does not match the hash of the entry before it")
        if _recompute(room, entry) != entry.hash:
            return Break(room, seq, "hash mismatch: the entry was changed after it was written")
        if applied is not None and applied[0] == seq and applied[1] != entry.hash:
            return Break(room, seq, "not the entry this process applied at this seq")
        expected_prev = entry.hash if isinstance(entry.hash, str) else None
        seq += 1
    if seq <= head_seq:
        return Break(room, seq, "missing: the store's head says it exists")
    if head_seq and tail.head_hash != expected_prev:
        return Break(room, head_seq, "the head's hash is not that of the last entry")
    return None


class ChainWatch:
    """Known breaks, by room, and how many were ever found (`townhall_chain_breaks_total`).

    Each break is logged at ERROR and counted once; it stays known until a later sweep finds
    that room's tail intact again (restored from a backup, say).
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self.breaks: dict[str, Break] = {}
        self.found = 0
        self.sweeps = 0

    async def sweep(self, store: Store, rooms: Iterable[tuple[str, Seen]]) -> None:
        """Check each (room, applied) in turn; a room the store cannot read now is skipped
        (the store's own health says why), never reported as a break."""
        skipped: list[str] = []
        for room, applied in list(rooms):
            try:
                tail = await store.tail(room, self.count)
            except Exception:
                skipped.append(room)
                continue
            found = None if tail is None else check_tail(room, tail, self.count, applied)
            self.record(room, found)
            await asyncio.sleep(0)  # hashing is CPU: let sockets and the tick in between rooms
        if skipped:
            log.warning(
                "chain check skipped %d rooms (%s): the store could not be read",
                len(skipped),
                ", ".join(skipped[:5]) + (", ..." if len(skipped) > 5 else ""),
            )
        self.sweeps += 1

    def record(self, room: str, found: Break | None) -> None:
        known = self.breaks.get(room)
        if found is None:
            if known is not None:
                del self.breaks[room]
                log.warning("room %s: the chain's tail checks out again", room)
            return
        if known == found:
            return
        self.breaks[room] = found
        self.found += 1
        log.error(
            "room %s: transcript chain broken at seq %d: %s (run `townhall verify` on an"
            " export of this room)",
            room,
            found.seq,
            found.reason,
        )
