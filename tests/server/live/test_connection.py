"""A socket's own frames (acks, errors) are never skipped, but they are bounded: a peer that
stops reading while it keeps sending ops is closed at the hard limit, not buffered forever."""

from __future__ import annotations

from collections.abc import Callable

from moderation.roles import Role
from server.live.codec import Encoding
from server.live.connection import CLOSE_LAGGING, Connection
from server.live.ratelimit import Bucket


class StuckPeer:
    """An outbox whose peer never reads: everything written stays in its backlog."""

    def __init__(self) -> None:
        self.pending = 0

    def write(self, frame: bytes, text: bool) -> bool:
        self.pending += len(frame)
        return True

    def fan_out(self, text: bool) -> tuple[Callable[[bytes], object], Callable[[], int]]:
        return (lambda frame: self.write(frame, text)), self.backlog

    def backlog(self) -> int:
        return self.pending

    def close(self) -> None:
        pass


def _connection(outbox: StuckPeer, closed: list[int], hard_limit: int) -> Connection:
    return Connection(
        room="R",
        role=Role.ATTENDEE,
        participant_id="u1",
        encoding=Encoding.JSON,
        outbox=outbox,
        ip="127.0.0.1",
        bucket=Bucket(10, 30, 0.0),
        close=lambda code, reason: closed.append(code),
        hard_limit=hard_limit,
    )


def test_personal_frames_past_the_hard_limit_close_the_socket_once() -> None:
    peer, closed = StuckPeer(), []
    conn = _connection(peer, closed, hard_limit=10_000)
    ack = {"type": "ack", "op_id": "x" * 40, "seq": 1}
    while not closed:
        conn.send(ack)
    held = peer.backlog()
    assert closed == [CLOSE_LAGGING] and held <= 10_000 + 200
    for _ in range(100):
        conn.send(ack)
    assert peer.backlog() == held and closed == [CLOSE_LAGGING]  # nothing more, closed once


def test_under_the_hard_limit_every_personal_frame_is_written() -> None:
    peer, closed = StuckPeer(), []
    conn = _connection(peer, closed, hard_limit=1 << 20)
    for n in range(100):
        conn.send({"type": "ack", "op_id": str(n), "seq": n})
    assert closed == [] and peer.backlog() > 0
