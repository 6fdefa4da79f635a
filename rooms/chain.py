"""The transcript's hash chain: each entry commits to the one before it.

Pure (hashlib only). The store computes `entry_hash` when it assigns a `seq`; `townhall
verify` recomputes it from an export. Anyone can recount a meeting without trusting us.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

__all__ = ["GENESIS", "canonical_json", "entry_hash", "entry_hash_raw"]

GENESIS = "0" * 64


# Built once: `json.dumps` with these options builds this very encoder on every call, which
# costs a third of encoding a ballot's data. The options, hence the bytes, are the same.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_json(value: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8, no NaN."""
    return _CANONICAL(value).encode("utf-8")


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
