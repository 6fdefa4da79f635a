"""A live room's audience: its sockets by view, their resume rings, the tick's fan-out, and
the readers that fell behind.

The room's log (server/live/room_host.py) applies entries and collects their changes; the
audience turns a tick's changes into frames, once per view and encoding, and writes the
same bytes to every socket of that view. A tick's writes are a `Delivery` written in
slices (`write(budget)`), so the hub can let acks and incoming frames through between
slices instead of holding them behind 5,000 writes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from moderation.roles import Role
from rooms import Change, RoomState, personal_frames, snapshot_view, view_frames, you_frame
from server.config import Limits
from server.live.codec import Encoding
from server.live.connection import CLOSE_BANNED, CLOSE_LAGGING, Connection
from server.live.resume import ResumeRing, TickFrames

__all__ = ["VIEWS", "VIEW_OF", "Audience", "Delivery"]

# Organisers and co-moderators see the same view; render it once.
VIEW_OF = {
    Role.ORGANISER: Role.MODERATOR,
    Role.MODERATOR: Role.MODERATOR,
    Role.ATTENDEE: Role.ATTENDEE,
    Role.SCREEN: Role.SCREEN,
    Role.EMBED: Role.EMBED,
    Role.INTERPRETER: Role.SCREEN,  # reads what the public reads; translates through ops
}
VIEWS = (Role.MODERATOR, Role.ATTENDEE, Role.SCREEN, Role.EMBED)
_SHUT_OUT = frozenset({"participant.banned", "moderator.revoked", "links.rotated"})


class Audience:
    """`state` is the room's live state object (the log applies to it; never replaced)."""

    def __init__(self, state: RoomState, limits: Limits) -> None:
        self.state = state
        self.limits = limits
        self.sockets: dict[Role, dict[Encoding, set[Connection]]] = {
            view: {Encoding.JSON: set(), Encoding.MSGPACK: set()} for view in VIEWS
        }
        self.by_participant: dict[str, set[Connection]] = {}
        self.laggers: set[Connection] = set()
        self.rings = {
            view: ResumeRing(state.seq, limits.resume_window_ticks, limits.resume_window_bytes)
            for view in VIEWS
        }

    # -- sockets --------------------------------------------------------------------------

    def attach(self, conn: Connection, since: int | None) -> None:
        """Send the first frames (missed ticks or a snapshot), then join the fan-out.

        No await between the two, so no tick can slip between them.
        """
        view = VIEW_OF[conn.role]
        ring = self.rings[view]
        if since is not None and since <= self.state.seq and ring.can_serve(since):
            missed = ring.replay(since, conn.encoding)
            if missed:
                conn.outbox.write(missed, conn.encoding is Encoding.JSON)
            # What it has now. Not state.seq: entries applied since the last tick reach it in
            # the next one, and a resume from state.seq would skip that tick.
            conn.sent_seq = max(since, ring.head)
            if conn.role is Role.ATTENDEE:
                # Personal frames are not in the shared ring: send their sum instead.
                you = you_frame(self.state, conn.role, conn.participant_id)
                conn.send({**you, "seq": conn.sent_seq})
        else:
            conn.send(self.snapshot_frame(conn.role, conn.participant_id))
            conn.sent_seq = self.state.seq
        self.sockets[view][conn.encoding].add(conn)
        self.by_participant.setdefault(conn.participant_id, set()).add(conn)

    def detach(self, conn: Connection) -> None:
        self.sockets[VIEW_OF[conn.role]][conn.encoding].discard(conn)
        self.laggers.discard(conn)
        mine = self.by_participant.get(conn.participant_id)
        if mine is not None:
            mine.discard(conn)
            if not mine:
                del self.by_participant[conn.participant_id]

    def snapshot_frame(self, role: Role, participant_id: str | None) -> dict[str, Any]:
        return {
            "type": "snapshot",
            "seq": self.state.seq,
            **snapshot_view(self.state, role, participant_id),
        }

    def connection_count(self) -> int:
        return sum(len(conns) for by_enc in self.sockets.values() for conns in by_enc.values())

    def close_sockets(self, code: int, reason: str) -> None:
        for by_enc in self.sockets.values():
            for conns in by_enc.values():
                for conn in list(conns):
                    conn.close(code, reason)

    def close_participant(self, participant_id: str, code: int, reason: str) -> None:
        for conn in list(self.by_participant.get(participant_id, ())):
            conn.close(code, reason)

    # -- the tick -------------------------------------------------------------------------

    def render(self, changes: list[Change], now: float) -> Delivery:
        """The tick's frames, built now (and kept in the rings); written by the Delivery."""
        delivery = Delivery(self, self.state.seq, now)
        if changes:
            seq = self.state.seq
            for view in VIEWS:
                frames = view_frames(self.state, view, changes)
                if not frames:
                    continue
                for frame in frames:
                    frame["seq"] = seq
                tick = TickFrames(seq, frames)
                self.rings[view].append(tick)
                for encoding, conns in self.sockets[view].items():
                    if conns:
                        delivery.shared.append((tick.blob(encoding), list(conns)))
            for participant_id, frame in personal_frames(self.state, changes):
                frame["seq"] = seq
                delivery.personal.append((participant_id, frame))
            delivery.shut_out = [
                change
                for change in changes
                if change.type in _SHUT_OUT and isinstance(change.key, str)
            ]
        return delivery

    def tend_laggers(self, now: float) -> None:
        limits = self.limits
        for conn in list(self.laggers):
            if conn.closed:
                self.laggers.discard(conn)
            elif (
                conn.lag_started is not None and now - conn.lag_started > limits.lag_close_seconds
            ) or conn.outbox.backlog() > limits.socket_hard_buffer:
                self.laggers.discard(conn)
                conn.close(CLOSE_LAGGING, "too slow: reconnect with ?since=<last seq>")
            elif conn.outbox.backlog() < limits.socket_soft_buffer // 4:
                # It drained: give it what it skipped, from the ring or as a fresh snapshot.
                self.laggers.discard(conn)
                conn.lag_started = None
                ring = self.rings[VIEW_OF[conn.role]]
                if ring.can_serve(conn.sent_seq):
                    missed = ring.replay(conn.sent_seq, conn.encoding)
                    if missed:
                        conn.outbox.write(missed, conn.encoding is Encoding.JSON)
                else:
                    conn.send(self.snapshot_frame(conn.role, conn.participant_id))
                conn.sent_seq = self.state.seq


class Delivery:
    """One tick's writes, in order: the shared frames socket by socket, then the personal
    frames, then closing whoever the tick shut out, then tending the laggers. The frames
    were built at render time; a socket that joins meanwhile got this tick from its ring."""

    __slots__ = ("_at", "_stage", "audience", "now", "personal", "seq", "shared", "shut_out")

    def __init__(self, audience: Audience, seq: int, now: float) -> None:
        self.audience = audience
        self.seq = seq
        self.now = now
        self.shared: list[tuple[bytes, list[Connection]]] = []
        self.personal: list[tuple[str, dict[str, Any]]] = []
        self.shut_out: list[Change] = []
        self._stage = 0  # index into `shared`; len(shared) once the shared frames are out
        self._at = 0  # the next socket in shared[_stage]

    def write(self, budget: int) -> tuple[bool, int]:
        """Write to at most `budget` sockets; (finished, shared frames written)."""
        written = 0
        while self._stage < len(self.shared):
            blob, conns = self.shared[self._stage]
            end = min(len(conns), self._at + budget)
            written += self._offer(blob, _slice(conns, self._at, end), None)
            budget -= end - self._at
            if end < len(conns):
                self._at = end
                return False, written
            self._stage += 1
            self._at = 0
            if budget <= 0 and self._stage < len(self.shared):
                return False, written
        self._finish()
        return True, written

    def next_shared(self) -> tuple[bytes, list[Connection]] | None:
        """The next shared frame and its sockets, for the tick's worker thread
        (server/live/thread_fanout.py), which hands each batch of them to `pick` as it
        queues it. None once the shared frames are out and the rest of the tick is done."""
        if self._stage < len(self.shared):
            self._stage += 1
            return self.shared[self._stage - 1]
        self._finish()
        return None

    def pick(self, blob: bytes, conns: list[Connection]) -> tuple[list[Connection], int]:
        """Of `conns`, the sockets the worker may write `blob` to now: (those, how many were
        written here). Asked when their batch is queued, not when the tick began: an ack
        written since may wait in a transport, and the frame must follow it, so such a
        socket (or one with no descriptor of its own) is written here, as `write` does; one
        that lags, or closed since, is skipped."""
        picked: list[Connection] = []
        return picked, self._offer(blob, conns, picked)

    def _offer(
        self, blob: bytes, conns: Iterable[Connection], worker: list[Connection] | None
    ) -> int:
        """`blob` for each of `conns` that keeps up, a lagging one set aside: appended to
        `worker` where it may take it, else written here. Returns how many were written here.
        `Connection.push`, inline: this loop runs once per socket per tick, and each call
        saved is a measurable share of the fan-out's CPU (docs/PERFORMANCE.md)."""
        soft = self.audience.limits.socket_soft_buffer
        seq, now, laggers = self.seq, self.now, self.audience.laggers
        written = 0
        for conn in conns:
            if conn.lag_started is None and not conn.closed:
                buffered = conn.buffered()
                if buffered > soft:
                    conn.lag_started = now
                    laggers.add(conn)
                    continue
                conn.sent_seq = seq
                if worker is not None and buffered == 0 and conn.fd >= 0 and conn.held is None:
                    worker.append(conn)
                else:
                    conn.put(blob)
                    written += 1
        return written

    def _finish(self) -> None:
        audience = self.audience
        for participant_id, frame in self.personal:
            for conn in audience.by_participant.get(participant_id, ()):
                # A lagging socket has skipped shared frames up to `seq`: its personal
                # frame must not claim a position it has not reached.
                lagging = conn.lag_started is not None
                conn.send({**frame, "seq": conn.sent_seq} if lagging else frame)
        for change in self.shut_out:
            assert isinstance(change.key, str)
            # They were told why in a personal frame above; now they may watch no more.
            audience.close_participant(change.key, CLOSE_BANNED, change.type)
        self.personal, self.shut_out = [], []
        if audience.laggers:
            audience.tend_laggers(self.now)


def _slice(conns: list[Connection], start: int, end: int) -> Iterable[Connection]:
    return conns if start == 0 and end == len(conns) else conns[start:end]
