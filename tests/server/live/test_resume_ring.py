"""The resume ring on its own: which ticks a position missed, and the one write that
replays them (a reconnect storm made one system call per missed tick per phone)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from server.live.codec import Encoding, encode, wire_frame
from server.live.outbox import unframe
from server.live.resume import ResumeRing, TickFrames
from server.live.wsframe import binary_frame, text_frame


def _ring(seqs: list[int], size: int = 512) -> ResumeRing:
    ring = ResumeRing(0, size, 1 << 30)  # bounded by ticks alone
    for seq in seqs:
        ring.append(TickFrames(seq, [{"type": "poll.tally", "seq": seq}, {"type": "x", "n": seq}]))
    return ring


@given(
    st.lists(st.integers(1, 10_000), unique=True).map(sorted),
    st.integers(0, 10_001),
    st.integers(1, 40),
)
def test_since_is_every_tick_after_the_position_oldest_first(
    seqs: list[int], since: int, size: int
) -> None:
    ring = _ring(seqs, size)
    kept = seqs[-size:]
    assert [t.seq for t in ring.since(since)] == [s for s in kept if s > since]


def test_a_replay_is_the_missed_ticks_frames_in_one_blob_until_the_next_tick() -> None:
    ring = _ring([3, 5, 8])
    for encoding in Encoding:
        blob = ring.replay(3, encoding)
        assert blob == b"".join(t.blob(encoding) for t in ring.since(3))
        assert len(unframe(blob)) == 4  # two ticks of two frames
        assert ring.replay(3, encoding) is blob, "built once for every phone at that position"
    assert ring.replay(8, Encoding.JSON) == b""
    ring.append(TickFrames(9, [{"type": "poll.tally", "seq": 9}]))
    after = ring.replay(3, Encoding.JSON)
    assert len(unframe(after)) == 5, "a new tick is in the next replay"


@given(st.lists(st.binary(max_size=70_000), max_size=6), st.booleans())
def test_unframe_gives_back_every_message_of_a_blob(payloads: list[bytes], text: bool) -> None:
    frame = text_frame if text else binary_frame
    assert unframe(b"".join(frame(p) for p in payloads)) == payloads


class _Frames(list[dict[str, Any]]):
    """A list that can be watched with a weak reference (a plain list cannot)."""


def test_a_tick_keeps_its_frames_as_wire_bytes_in_each_encoding_and_not_as_objects() -> None:
    frames = _Frames([{"type": "poll.tally", "counts": [1, 2], "seq": 4}, {"type": "x", "n": 4}])
    watched = weakref.ref(frames)
    expected = {
        encoding: b"".join(wire_frame(encode(frame, encoding), encoding) for frame in frames)
        for encoding in Encoding
    }
    tick = TickFrames(4, frames)
    del frames
    gc.collect()
    assert watched() is None, "the ring would hold every tick's frames as objects"
    for encoding in Encoding:
        assert tick.blob(encoding) == expected[encoding]


@given(st.lists(st.integers(0, 3000), min_size=1, max_size=60), st.integers(100, 20_000))
def test_the_ring_holds_at_most_its_bytes_and_serves_exactly_what_it_holds(
    padding: list[int], max_bytes: int
) -> None:
    ring = ResumeRing(0, 512, max_bytes)
    ticks = [TickFrames(seq, [{"type": "q", "text": "x" * n}]) for seq, n in enumerate(padding, 1)]
    for tick in ticks:
        ring.append(tick)
    held = ring.since(ring.base)
    assert held[-1] is ticks[-1], "the newest tick is always held"
    assert ring.held_bytes == sum(tick.nbytes for tick in held)
    assert ring.held_bytes <= max_bytes or len(held) == 1
    # Nothing dropped that fit: one more tick back would have broken the bound.
    dropped = ticks[: len(ticks) - len(held)]
    if dropped:
        assert ring.held_bytes + dropped[-1].nbytes > max_bytes
        assert ring.base == dropped[-1].seq and not ring.can_serve(ring.base - 1)
