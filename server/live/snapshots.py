"""A room's snapshot as stored: a cache of its state, checked before it is trusted.

A snapshot only saves replaying the log, so a damaged one must cost a replay and nothing
else. The stored bytes are framed:

    b"THS1" | SHA-256 of the body (32 bytes) | body: msgpack {"state": ..., "hash": ...}

The digest catches bytes that still decode after a flipped bit (a ballot's choice, say);
`hash` is the chain hash of the entry at the snapshot's seq, so the loader can check that
the snapshot belongs to this very log and is not ahead of it. Bytes without the frame are
read as the older bare format (msgpack of `rooms.to_snapshot`), so an upgrade does not
force every room to replay.

`unpack_snapshot` raises only `SnapshotDamaged`, whatever the bytes: truncated or invalid
msgpack, a digest mismatch, wrong types, another room's or another seq's state, a version
this build does not read, or any error inside `rooms.from_snapshot`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import msgpack

from rooms import RoomState, from_snapshot, to_snapshot

__all__ = ["MAGIC", "Loaded", "SnapshotDamaged", "pack_fields", "pack_snapshot", "unpack_snapshot"]

MAGIC = b"THS1"
_DIGEST = 32


class SnapshotDamaged(Exception):
    """The snapshot cannot be trusted; the message says why, in a few words."""


@dataclass(frozen=True, slots=True)
class Loaded:
    state: RoomState
    head_hash: str | None  # the chain hash at state.seq; None in the older bare format


def pack_snapshot(state: RoomState, head_hash: str | None) -> bytes:
    return pack_fields(to_snapshot(state), head_hash)


def pack_fields(fields: dict[str, object], head_hash: str | None) -> bytes:
    """The stored bytes of `rooms.to_snapshot`'s plain copy of a state: this part needs no
    live state, so the hub runs it in a thread while the loop goes on."""
    body: bytes = msgpack.packb({"state": fields, "hash": head_hash or ""}, use_bin_type=True)
    return MAGIC + hashlib.sha256(body).digest() + body


def _decode(raw: bytes) -> object:
    try:
        return msgpack.unpackb(raw, raw=False)
    except Exception as exc:  # truncated, invalid, extra data, too deep: all of them
        raise SnapshotDamaged(f"not msgpack ({type(exc).__name__})") from exc


def _unframe(data: bytes) -> tuple[dict[str, object], str | None]:
    if not data.startswith(MAGIC):
        bare = _decode(data)
        if not isinstance(bare, dict):
            raise SnapshotDamaged(f"a {type(bare).__name__}, not a map")
        return bare, None
    digest, body = data[len(MAGIC) : len(MAGIC) + _DIGEST], data[len(MAGIC) + _DIGEST :]
    if hashlib.sha256(body).digest() != digest:
        raise SnapshotDamaged("checksum mismatch")
    framed = _decode(body)
    if not isinstance(framed, dict):
        raise SnapshotDamaged(f"a {type(framed).__name__}, not a map")
    state, head_hash = framed.get("state"), framed.get("hash")
    if not isinstance(state, dict) or not isinstance(head_hash, str):
        raise SnapshotDamaged("the frame lacks its state or hash")
    return state, head_hash or None


def unpack_snapshot(room: str, seq: int, data: bytes) -> Loaded:
    """The state in `data`, stored for `room` at `seq`; SnapshotDamaged if it is not that."""
    fields, head_hash = _unframe(data)
    try:
        state = from_snapshot(fields)
    except Exception as exc:  # a future version, a missing key, a wrong type, anything
        raise SnapshotDamaged(f"unreadable state ({type(exc).__name__}: {exc})"[:200]) from exc
    if state.code != room:
        raise SnapshotDamaged(f"the state of room {state.code!r}")
    if state.seq != seq:
        raise SnapshotDamaged(f"a state at seq {state.seq}, stored as seq {seq}")
    return Loaded(state, head_hash)
