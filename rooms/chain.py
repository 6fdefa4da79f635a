"""The transcript's hash chain: each entry commits to the one before it.

Pure (hashlib only). The store computes `entry_hash` when it assigns a `seq`; `townhall
verify` recomputes it from an export. Anyone can recount a meeting without trusting us.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from json.encoder import encode_basestring
from typing import Any

import msgspec

__all__ = ["GENESIS", "canonical_json", "entry_hash", "entry_hash_raw"]

GENESIS = "0" * 64


# Built once: `json.dumps` with these options builds this very encoder on every call, which
# costs a third of encoding a ballot's data. The options, hence the bytes, are the same.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


# What that encoder writes for a str, an int and a list of them, without its machinery: most
# values hashed are one of these (an entry's actor, seq and time; a sealed field's value), and
# the encoder's set-up costs more than writing them. The very functions it calls, so the same
# text (tests/rooms/test_chain.py checks every kind of code point and integer against it).
_SCALARS: dict[type, Callable[[Any], str]] = {str: encode_basestring, int: int.__repr__}


# An object or an array made only of these is written by msgspec with the very bytes the json
# module writes, in a tenth of the time (tests/rooms/test_chain.py). Not a float (spelled
# otherwise: 1e16 for 1e+16), not a key that is no str (sorted otherwise), no subclass, nor
# what json refuses and msgspec would write (bytes, sets, dates): those take json's way.
_ALIKE = frozenset({str, int, bool, type(None)})
_FAST = msgspec.json.Encoder(order="sorted").encode


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8, no NaN."""
    write = _SCALARS.get(type(value))
    if write is not None:
        return write(value).encode("utf-8")
    if type(value) is list or type(value) is tuple:
        items = _flat_items(value)
        if items is not None:
            return ("[" + ",".join(items) + "]").encode("utf-8")
    if type(value) is dict and _alike_or_refused(value):
        try:
            return _FAST(value)
        except ValueError:  # a lone surrogate: json's way says why, as it always has
            pass
    return _CANONICAL(value).encode("utf-8")


def _alike_or_refused(value: dict[Any, Any]) -> bool:
    try:
        return _written_alike(value)
    except RecursionError:  # a value that holds itself: json's way refuses it (ValueError)
        return False


def _written_alike(value: object) -> bool:
    if type(value) is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _ALIKE and not _written_alike(item)):
                return False
        return True
    if type(value) is list or type(value) is tuple:
        return all(type(item) in _ALIKE or _written_alike(item) for item in value)
    return type(value) in _ALIKE


def _flat_items(values: list[Any] | tuple[Any, ...]) -> list[str] | None:
    """Each item's JSON text if every item is a str or an int, else None."""
    out = []
    for value in values:
        write = _SCALARS.get(type(value))
        if write is None:
            return None
        out.append(write(value))
    return out


def entry_hash(
    prev: str,
    *,
    room: str,
    seq: int,
    at: int,
    actor: str,
    op_id: str,
    type: str,
    data: Mapping[str, Any],
) -> str:
    body = {
        "room": room,
        "seq": seq,
        "at": at,
        "actor": actor,
        "op_id": op_id,
        "type": type,
        "data": data,
    }
    return hashlib.sha256(prev.encode("ascii") + b"\n" + canonical_json(body)).hexdigest()


def entry_hash_raw(
    prev: str,
    *,
    room: str,
    seq: int,
    at: int,
    actor: str,
    op_id: str,
    type: str,
    data_json: bytes,
) -> str:
    """`entry_hash` for data already in canonical JSON: the same bytes, built without
    serialising the data a second time (the store has its canonical text at hand)."""
    body = b"".join((
        b'{"actor":', canonical_json(actor),
        b',"at":', canonical_json(at),
        b',"data":', data_json,
        b',"op_id":', canonical_json(op_id),
        b',"room":', canonical_json(room),
        b',"seq":', canonical_json(seq),
        b',"type":', canonical_json(type),
        b"}",
    ))  # keys in sorted order, as canonical_json would write them
    return hashlib.sha256(prev.encode("ascii") + b"\n" + body).hexdigest()
