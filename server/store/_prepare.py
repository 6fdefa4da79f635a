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


# The JSON types that come back from the text as they went in, and equal (a bool stays a bool,
# a finite float the same float: canonical_json refuses the others).
_SAME_BACK = frozenset({str, int, float, bool, type(None)})


def _comes_back_equal(value: object) -> bool:
    """Is `json.loads(canonical_json(value)) == value`? True for dicts with str keys, lists
    and the scalars above, of exactly those types; a tuple, an int key or a subclass (an enum)
    comes back as something else."""
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or (
                type(item) not in _SAME_BACK and not _comes_back_equal(item)
            ):
                return False
        return True
    if type(value) is list:
        for item in value:
            if type(item) not in _SAME_BACK and not _comes_back_equal(item):
                return False
        return True
    return type(value) in _SAME_BACK


def _as_read(value: Any, text: str) -> Any:
    """`value` as `read` will return it later, so that the Committed we return now equals the
    stored one: parsed from its canonical `text` (tuples become lists, int keys str keys, ...),
    or the value itself when it would come back equal anyway (almost every entry, and no
    parse). Not a copy then: an Entry's data is read-only, like the Committed it becomes."""
    return value if _comes_back_equal(value) else _DECODE(text)[0]


_DECODE = json.JSONDecoder().raw_decode  # the text is canonical JSON: no whitespace around


def _prepare_one(entry: Entry) -> Prepared:
    if not isinstance(entry.at, int) or isinstance(entry.at, bool):
        raise TypeError(f"at must be int, got {type(entry.at).__name__}")
    data_json = canonical_json(entry.data).decode("utf-8")
    data = _as_read(entry.data, data_json)
    if not isinstance(data, dict):
        raise TypeError(f"data must be a mapping, got {type(entry.data).__name__}")
    private = private_json = None
    if entry.private is not None:
        private_json = canonical_json(entry.private).decode("utf-8")
        private = _as_read(entry.private, private_json)
        if not isinstance(private, dict):
            raise TypeError(f"private must be a mapping, got {type(entry.private).__name__}")
        _text("participant", str(private.get("actor", "")))
        _text("op_id", str(private.get("op_id", "")))
    erases = _text("erases", entry.erases) if entry.erases is not None else None
    return Prepared(
        at=entry.at,
        actor=_text("actor", entry.actor),
        op_id=_text("op_id", entry.op_id),
        type=_text("type", entry.type),
        data=data,
        data_json=data_json,
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
