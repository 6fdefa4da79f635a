"""The audience without sockets: a tick's frames built once, written in slices, in order."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from moderation.roles import Role
from rooms import Change
from server.config import Limits
from server.live.audience import Audience
from server.live.codec import Encoding
from server.live.connection import Connection
from server.live.ratelimit import Bucket
from tests.rooms.harness import Room


class Peer:
    """An outbox that keeps what it was given, decoded."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []

    def write(self, frame: bytes, text: bool) -> bool:
        at = 0
        while at < len(frame):  # one blob may hold several frames
            length = frame[at + 1] & 0x7F
            head = 2 if length < 126 else 4
            if length == 126:
                length = int.from_bytes(frame[at + 2 : at + 4], "big")
            self.frames.append(json.loads(frame[at + head : at + head + length]))
            at += head + length
        return True

    def fan_out(self, text: bool) -> tuple[Callable[[bytes], object], Callable[[], int]]:
        return (lambda frame: self.write(frame, text)), self.backlog

    def backlog(self) -> int:
        return 0

    def close(self) -> None:
        pass


def _socket(
    participant: str, role: Role = Role.ATTENDEE, peer: Peer | None = None
) -> tuple[Connection, Peer]:
    peer = peer or Peer()
    conn = Connection(
        room="TOWN",
        role=role,
        participant_id=participant,
        encoding=Encoding.JSON,
        outbox=peer,
        ip="127.0.0.1",
        bucket=Bucket(10, 10, 0.0),
        close=lambda code, reason: None,
    )
    return conn, peer


def _voting_room(people: int) -> tuple[Room, int, Audience]:
    room = Room(moderation="pre")
    poll = room.poll()
    room.do("org", "poll.reveal", poll_id=poll)
    room.join(*(f"p{i}" for i in range(people)))
    return room, poll, Audience(room.state, Limits())


def _votes(room: Room, poll: int, voters: int) -> list[Change]:
    changes: list[Change] = []
    for i in range(voters):
        applied = room.commit(f"p{i}", room.decide(f"p{i}", "vote", poll_id=poll, choice=0))
        changes.extend(applied.changes)
    return changes


def test_a_tick_is_written_in_slices_and_reaches_every_socket_once() -> None:
    room, poll, audience = _voting_room(7)
    changes = _votes(room, poll, 3)
    sockets = [_socket(f"p{i}") for i in range(7)]
    for conn, _ in sockets:
        audience.attach(conn, None)
    delivery = audience.render(changes, now=0.0)
    steps = []
    while True:
        done, written = delivery.write(3)
        steps.append(written)
        if done:
            break
    assert steps == [3, 3, 1]
    for conn, peer in sockets:
        tallies = [f for f in peer.frames if f["type"] == "poll.tally"]
        assert len(tallies) == 1 and tallies[0]["seq"] == room.state.seq
        assert conn.sent_seq == room.state.seq


def test_a_socket_that_joins_between_slices_gets_the_tick_once_from_the_ring() -> None:
    room, poll, audience = _voting_room(3)
    before = room.state.seq
    early, _ = _socket("p0")
    audience.attach(early, None)
    changes = _votes(room, poll, 3)
    delivery = audience.render(changes, now=0.0)
    late, late_peer = _socket("p1")
    audience.attach(late, before)  # resumes from a seq before this tick
    while not delivery.write(1)[0]:
        pass
    tallies = [f for f in late_peer.frames if f["type"] == "poll.tally"]
    assert len(tallies) == 1  # from the ring; the delivery's list was taken before it came


def test_personal_frames_follow_the_shared_ones_and_nothing_is_built_twice() -> None:
    room, poll, audience = _voting_room(2)
    changes = _votes(room, poll, 2)
    asked = room.commit("p0", room.decide("p0", "question.ask", text="And the park?"))
    changes.extend(asked.changes)  # pending: only its author is told, personally
    conn, peer = _socket("p0")
    other, _ = _socket("p1")
    audience.attach(conn, None)
    audience.attach(other, None)
    peer.frames.clear()
    delivery = audience.render(changes, now=0.0)
    assert len(delivery.shared) == 1  # one view (attendee), one encoding: one blob for both
    assert delivery.write(10**6)[0]
    kinds = [f["type"] for f in peer.frames]
    assert "poll.tally" in kinds
    personal = [i for i, f in enumerate(peer.frames) if f["type"] != "poll.tally"]
    assert personal, kinds  # a voter is told of their own ballot
    assert all(i > kinds.index("poll.tally") for i in personal)


class _Descriptor(Peer):
    """A peer with a descriptor of its own, as a lean socket's outbox has, and a backlog."""

    def __init__(self, fd: int, waiting: int = 0) -> None:
        super().__init__()
        self.fd, self.waiting = fd, waiting

    def fileno(self) -> int:
        return self.fd

    def backlog(self) -> int:
        return self.waiting


def test_the_worker_is_offered_only_sockets_it_may_write_to_now() -> None:
    room, poll, audience = _voting_room(5)
    changes = _votes(room, poll, 2)
    soft = audience.limits.socket_soft_buffer
    outboxes = [_Descriptor(40), _Descriptor(41, waiting=10), Peer(), _Descriptor(43, soft + 1)]
    outboxes.append(_Descriptor(44))
    conns = [_socket(f"p{n}", peer=outbox)[0] for n, outbox in enumerate(outboxes)]
    for conn in conns:
        audience.attach(conn, None)
    free, waiting, no_descriptor, lagging, gone = conns
    gone.close(1001, "going")
    delivery = audience.render(changes, now=5.0)
    step = delivery.next_shared()
    assert step is not None
    blob, stage = step
    for outbox in outboxes:
        outbox.frames.clear()
    picked, written_here = delivery.pick(blob, stage)
    assert picked == [free] and written_here == 2
    assert free.held is None and outboxes[0].frames == []  # the worker's to write
    for outbox in outboxes[1:3]:  # what waits in its transport goes first; no descriptor
        assert [f["type"] for f in outbox.frames] == ["poll.tally"]
    assert lagging in audience.laggers and lagging.lag_started == 5.0
    assert outboxes[3].frames == [] and outboxes[4].frames == []
    assert {c.sent_seq for c in (free, waiting, no_descriptor)} == {room.state.seq}
    assert delivery.next_shared() is None  # the shared frames are out: the rest is done
