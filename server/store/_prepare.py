"""Validation and hash-chaining shared by every store backend.

An append is checked and canonicalised in the caller's coroutine, before it joins a group
commit: one bad entry must fail its own caller, never the whole batch it would have shared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from rooms.chain import canonical_json, entry_hash_raw

from .base import Committed, Entry, EntryRefused

__all__ = ["Prepared", "link", "new_head", "op_keys", "prepare"]


@dataclass(frozen=True, slots=True)
class Prepared:
    """An entry ready to be stored: `data_json` is exactly the text the hash covers."""

    at: int
    actor: str
    op_id: str
    type: str
    data: dict[str, Any]
    data_json: str
    # The private record beside the chain (rooms/privacy.py), canonical JSON, or None.
    private: dict[str, Any] | None = None
    private_json: str | None = None
    erases: str | None = None

    @property
    def participant(self) -> str:
        """Whose private record this is ("" for a staff entry's): what erasure looks up."""
        return str(self.private.get("actor", "")) if self.private is not None else ""

    @property
    def real_op_id(self) -> str:
        return str(self.private.get("op_id", self.op_id)) if self.private is not None else ""


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be str, got {type(value).__name__}")
    # PostgreSQL text cannot hold NUL and neither database stores lone surrogates: reject
    # here so the failure is this caller's, not the batch's.
    if "\x00" in value:
        raise ValueError(f"{name} must not contain NUL")
    value.encode("utf-8")
    return value


def prepare(room: str, entries: Sequence[Entry]) -> list[Prepared]:
    """Each entry checked and canonicalised; EntryRefused names the first that cannot be."""
    if not _text("room", room):
        raise ValueError("room must not be empty")
    out: list[Prepared] = []
    for index, entry in enumerate(entries):
        try:
            out.append(_prepare_one(entry))
        except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
            raise EntryRefused(f"entry {index}: {exc}", index) from exc
    return out


def _prepare_one(entry: Entry) -> Prepared:
    if not isinstance(entry.at, int) or isinstance(entry.at, bool):
        raise TypeError(f"at must be int, got {type(entry.at).__name__}")
    raw = canonical_json(entry.data)
    # Round-trip through the canonical text so the Committed we return now is equal to the
    # one `read` returns later (tuples become lists, int keys become str keys, ...).
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise TypeError(f"data must be a mapping, got {type(entry.data).__name__}")
    private = private_json = None
    if entry.private is not None:
        raw_private = canonical_json(entry.private)
        private, private_json = json.loads(raw_private), raw_private.decode("utf-8")
        _text("participant", str(private.get("actor", "")))
        _text("op_id", str(private.get("op_id", "")))
    erases = _text("erases", entry.erases) if entry.erases is not None else None
    return Prepared(
        at=entry.at,
        actor=_text("actor", entry.actor),
        op_id=_text("op_id", entry.op_id),
        type=_text("type", entry.type),
        data=data,
        data_json=raw.decode("utf-8"),
        private=private,
        private_json=private_json,
        erases=erases,
    )


def op_keys(items: Sequence[Prepared]) -> list[tuple[str, str]]:
    """The (actor, op_id) of every item that has an op_id: what must not be stored twice."""
    return [(item.actor, item.op_id) for item in items if item.op_id]


def link(
    room: str,
    head_seq: int,
    head_hash: str,
    items: Sequence[Prepared],
    known: dict[tuple[str, str], Committed],
) -> list[Committed]:
    """Give `items` the seqs after `head_seq`, each hash chained to the one before.

    `known` holds the room's entries for the batch's op keys. An item found there takes no
    seq: its place in the result is the stored entry, marked `earlier`. Each new entry joins
    `known`, so a second copy later in the same batch is caught too.
    """
    out: list[Committed] = []
    seq, prev = head_seq, head_hash
    for item in items:
        if item.op_id:
            stored = known.get((item.actor, item.op_id))
            if stored is not None:
                out.append(replace(stored, earlier=True))
                continue
        seq += 1
        digest = entry_hash_raw(
            prev,
            room=room,
            seq=seq,
            at=item.at,
            actor=item.actor,
            op_id=item.op_id,
            type=item.type,
            data_json=item.data_json.encode("utf-8"),
        )
        out.append(
            Committed(
                room=room,
                seq=seq,
                at=item.at,
                actor=item.actor,
                op_id=item.op_id,
                type=item.type,
                data=item.data,
                prev=prev,
                hash=digest,
                private=item.private,
            )
        )
        if item.op_id:
            known[(item.actor, item.op_id)] = out[-1]
        prev = digest
    return out


def new_head(committed: Sequence[Committed], head: tuple[int, str, int]) -> tuple[int, str, int]:
    """(seq, hash, updated_at) of the room after `committed` (earlier entries change nothing)."""
    fresh = [c for c in committed if not c.earlier]
    if not fresh:
        return head
    return fresh[-1].seq, fresh[-1].hash, max(head[2], *(c.at for c in fresh))
