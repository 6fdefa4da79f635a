"""A stored snapshot is checked before it is trusted: whatever its bytes, unpacking either
gives back exactly the state that was packed or raises SnapshotDamaged, nothing else."""

from __future__ import annotations

import contextlib
import hashlib

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms import to_snapshot
from server.live.snapshots import MAGIC, SnapshotDamaged, pack_snapshot, unpack_snapshot
from tests.rooms.harness import Room

HEAD = "ab" * 32


def voted_room() -> Room:
    room = Room()
    room.join("alice", "bob")
    poll = room.poll("single")
    room.do("alice", "vote", poll_id=poll, choice=1)
    room.do("bob", "vote", poll_id=poll, choice=0)
    room.ask("alice", "Why?")
    return room


ROOM = voted_room()
PACKED = pack_snapshot(ROOM.state, HEAD)


def bare(**changes: object) -> bytes:
    """The older, unframed format, with some fields changed."""
    packed: bytes = msgpack.packb({**to_snapshot(ROOM.state), **changes}, use_bin_type=True)
    return packed


def framed_body(body: bytes) -> bytes:
    """A frame with a valid digest around any body: only the body can be wrong."""
    return MAGIC + hashlib.sha256(body).digest() + body


def test_a_packed_snapshot_comes_back_exactly() -> None:
    loaded = unpack_snapshot("TOWN", ROOM.state.seq, PACKED)
    assert to_snapshot(loaded.state) == to_snapshot(ROOM.state)
    assert loaded.head_hash == HEAD


def test_the_older_bare_format_is_still_read() -> None:
    loaded = unpack_snapshot("TOWN", ROOM.state.seq, bare())
    assert to_snapshot(loaded.state) == to_snapshot(ROOM.state)
    assert loaded.head_hash is None


DAMAGED = {
    "truncated": PACKED[: len(PACKED) // 2],
    "empty": b"",
    "a flipped bit in the body": PACKED[:-7] + bytes([PACKED[-7] ^ 1]) + PACKED[-6:],
    "bare truncated": bare()[:40],
    "bare garbage": b"\xc1\xc1\xc1",
    "bare list": msgpack.packb([1, 2, 3]),
    "bare int": msgpack.packb(7),
    "bare deep": b"\x91" * 100_000,
    "bare extra bytes": bare() + b"x",
    "bare int map keys": msgpack.packb({1: 2}),
    "future version": bare(version=99),
    "missing keys": msgpack.packb({"version": 2}),
    "wrong types": bare(queue=[[1]], moderators=[{"zz": 1}]),
    "ops not a map": bare(ops=None),
    "another room": bare(code="OTHER"),
    "another seq": bare(seq=ROOM.state.seq + 5),
    "frame of a list": framed_body(msgpack.packb([1])),
    "frame without hash": framed_body(msgpack.packb({"state": to_snapshot(ROOM.state)})),
    "frame of garbage": framed_body(b"\xc1"),
}


@pytest.mark.parametrize("data", DAMAGED.values(), ids=DAMAGED.keys())
def test_every_kind_of_damage_raises_snapshot_damaged_only(data: bytes) -> None:
    with pytest.raises(SnapshotDamaged):
        unpack_snapshot("TOWN", ROOM.state.seq, data)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=len(PACKED) - 1), st.integers(1, 255))
def test_any_changed_byte_of_a_framed_snapshot_is_caught(index: int, xor: int) -> None:
    damaged = bytearray(PACKED)
    damaged[index] ^= xor
    try:
        loaded = unpack_snapshot("TOWN", ROOM.state.seq, bytes(damaged))
    except SnapshotDamaged:
        return
    # Only a change inside the magic that still reads as the bare format could get here,
    # and that cannot decode: so nothing may.
    raise AssertionError(f"byte {index} changed and still loaded: seq {loaded.state.seq}")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_anything_else(data: bytes) -> None:
    with contextlib.suppress(SnapshotDamaged):
        unpack_snapshot("TOWN", 3, data)
