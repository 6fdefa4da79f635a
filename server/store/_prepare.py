"""Validation and hash-chaining shared by every store backend.

An append is checked and canonicalised in the caller's coroutine, before it joins a group
commit: one bad entry must fail its own caller, never the whole batch it would have shared.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rooms.chain import canonical_json, entry_hash_raw

from .base import Committed, Entry

__all__ = ["Prepared", "link", "prepare"]


@dataclass(frozen=True, slots=True)
class Prepared:
    """An entry ready to be stored: `data_json` is exactly the text the hash covers."""

    at: int
    actor: str
    op_id: str
    type: str
    data: dict[str, Any]
    data_json: str


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
    if not _text("room", room):
        raise ValueError("room must not be empty")
    out: list[Prepared] = []
    for entry in entries:
        if not isinstance(entry.at, int) or isinstance(entry.at, bool):
            raise TypeError(f"at must be int, got {type(entry.at).__name__}")
        raw = canonical_json(entry.data)
        # Round-trip through the canonical text so the Committed we return now is equal to the
        # one `read` returns later (tuples become lists, int keys become str keys, ...).
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise TypeError(f"data must be a mapping, got {type(entry.data).__name__}")
        out.append(
            Prepared(
                at=entry.at,
                actor=_text("actor", entry.actor),
                op_id=_text("op_id", entry.op_id),
                type=_text("type", entry.type),
                data=data,
                data_json=raw.decode("utf-8"),
            )
        )
    return out


def link(room: str, head_seq: int, head_hash: str, items: Sequence[Prepared]) -> list[Committed]:
    """Give `items` the seqs after `head_seq`, each hash chained to the one before."""
    out: list[Committed] = []
    seq, prev = head_seq, head_hash
    for item in items:
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
            )
        )
        prev = digest
    return out
