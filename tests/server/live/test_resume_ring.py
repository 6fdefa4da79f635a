"""The resume ring on its own: which ticks a position missed, and the one write that
replays them (a reconnect storm made one system call per missed tick per phone)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.live.codec import Encoding
from server.live.outbox import unframe
from server.live.resume import ResumeRing, TickFrames
from server.live.wsframe import binary_frame, text_frame


def _ring(seqs: list[int], size: int = 512) -> ResumeRing:
    ring = ResumeRing(0, size)
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
