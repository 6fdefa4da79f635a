"""One load-generator process: joins its attendees, opens their sockets, offers ops open-loop.

The harness (`loadtests.bench`) starts several of these with `multiprocessing` and drives
them through a pipe, phase by phase: `join` -> `connect` -> `go` -> results. Every process
binds its own 127.0.0.x source address and stays far below its open-file limit.

Ops are sent at scheduled times (open loop: a slow server does not slow the offered rate),
and latencies are measured from the *scheduled* time, so a stall shows up in the figures
instead of quietly lowering the load (no coordinated omission).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from typing import Any
from urllib.parse import urlsplit

from loadtests.wsclient import HttpConn, WsSocket, handshake_request, open_ws

__all__ = ["RoomPlan", "WorkerPlan", "worker_main"]

_ACK = b'{"type":"ack"'
_ERROR = b'{"type":"error"'
_TALLY = b'{"type":"poll.tally"'
_SNAPSHOT = b'{"type":"snapshot"'
_SEQ = b'"seq":'


@dataclass
class RoomPlan:
    code: str
    poll_id: int
    attendees: int
    moderator_token: str = ""  # when set, a moderator socket approves every asked question
    server: int = 0  # index into WorkerPlan.servers for this room's sockets (-1: spread)
    join: bool = True  # False: no HTTP join, dummy tokens (the reference broadcast server)


@dataclass
class WorkerPlan:
    worker: int
    source: str
    servers: list[str]  # http://127.0.0.1:port, one per server process
    rooms: list[RoomPlan]
    rate: float  # ops offered per second by this process
    duration: float
    mix: dict[str, float] = field(default_factory=lambda: {"vote": 1.0})
    slow_fraction: float = 0.0
    slow_rcvbuf: int = 4096
    reconnect_at: float = -1.0  # seconds into the window; < 0: no storm
    reconnect_spread: float = 10.0
    connect_concurrency: int = 200
    question_chars: int = 120
    dialect: str = "townhall"  # or "socketio": the socket.io reference (SioAttendee)


def _seq_of(data: bytes, start: int, end: int) -> int:
    at = data.rfind(_SEQ, start, end)
    if at < 0:
        return -1
    at += 6
    stop = at
    while stop < end and 48 <= data[stop] <= 57:
        stop += 1
    return int(data[at:stop]) if stop > at else -1


class Stats:
    def __init__(self) -> None:
        self.counting = False
        self.frames = 0
        self.bytes = 0
        self.offered: dict[str, int] = {}
        self.acked: dict[str, int] = {}  # every answer, the drain after the window too
        self.acked_in_window: dict[str, int] = {}  # answers that arrived inside the window
        self.started = 0.0  # the window's start (perf_counter)
        self.acked_by_s: list[int] = []  # answers per second from the window's start
        self.errors: dict[str, int] = {}
        self.ack_ms: list[float] = []
        self.v2s_ms: list[float] = []
        self.acked_votes: list[str] = []
        self.snapshots = 0
        self.resync_s: list[float] = []
        self.slow_closed = 0
        self.skipped = 0
        self.unexpected_closes = 0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


class Attendee(WsSocket):
    """An attendee (or moderator) socket that counts frames and times its own ops."""

    def __init__(self, worker: Worker, room: RoomState, request: bytes, index: int) -> None:
        super().__init__(request)
        self.worker = worker
        self.stats = worker.stats
        self.room = room
        self.index = index
        self.pending: dict[str, tuple[str, float]] = {}  # op_id -> (op, scheduled at)
        self.awaiting: dict[str, tuple[int, float]] = {}  # acked votes -> (ack seq, scheduled)
        self.last_tally_seq = -1
        self.last_tally_t = 0.0
        self.last_seq = 0
        self.track_seq = worker.plan.reconnect_at >= 0
        self.slow = False
        self.leaving = False
        self.reconnect_started = 0.0
        self.resynced = True
        self.upvoted: set[int] = set()

    def on_message(self, data: bytes, start: int, end: int) -> None:
        stats = self.stats
        if stats.counting:
            stats.frames += 1
            stats.bytes += end - start
        if self.track_seq:
            seq = _seq_of(data, start, end)
            if seq > self.last_seq:
                self.last_seq = seq
            if not self.resynced:
                self.resynced = True
                stats.resync_s.append(time.perf_counter() - self.reconnect_started)
                if data.startswith(_SNAPSHOT, start):
                    stats.snapshots += 1
        if data.startswith(_TALLY, start):
            self._tally(data, start, end)
        elif data.startswith(_ACK, start) or data.startswith(_ERROR, start):
            self._answer(json.loads(data[start:end]))

    def _tally(self, data: bytes, start: int, end: int) -> None:
        """A tally frame: the votes it includes (acked at or below its seq) are on screen."""
        if self.awaiting or self.pending:
            now = time.perf_counter()
            seq = _seq_of(data, start, end)
            self.last_tally_seq = seq
            self.last_tally_t = now
            for op_id, (ack_seq, scheduled) in list(self.awaiting.items()):
                if ack_seq <= seq:
                    del self.awaiting[op_id]
                    self.stats.v2s_ms.append((now - scheduled) * 1000)

    def _answer(self, frame: dict[str, Any]) -> None:
        stats = self.stats
        op_id = frame.get("op_id")
        if not isinstance(op_id, str) or op_id not in self.pending:
            if frame.get("type") == "error":
                stats.error(f"frame:{frame.get('code')}")
            return
        op, scheduled = self.pending.pop(op_id)
        now = time.perf_counter()
        if frame["type"] == "error":
            stats.error(f"{op}:{frame.get('code')}")
            return
        stats.acked[op] = stats.acked.get(op, 0) + 1
        if stats.counting:
            stats.acked_in_window[op] = stats.acked_in_window.get(op, 0) + 1
        second = int(now - stats.started)
        by_s = stats.acked_by_s
        while len(by_s) <= second:
            by_s.append(0)
        by_s[second] += 1
        stats.ack_ms.append((now - scheduled) * 1000)
        if op == "vote":
            stats.acked_votes.append(op_id)
            seq = int(frame["seq"])
            if self.last_tally_seq >= seq:
                stats.v2s_ms.append((self.last_tally_t - scheduled) * 1000)
            else:
                self.awaiting[op_id] = (seq, scheduled)
        elif op == "question.ask":
            self.room.asked(int(frame["question_id"]), self.index)
        elif op == "question.approve":
            self.room.approved.append(
                (int(frame["question_id"]), self.room.authors.pop(int(frame["question_id"]), -1))
            )

    def on_closed(self) -> None:
        if not self.slow and not self.leaving and not self.worker.finished:
            self.stats.unexpected_closes += 1
            self.stats.error(f"closed:{self.close_code}")

    def op(self, op: str, op_id: str, scheduled: float, **fields: Any) -> None:
        stats = self.stats
        stats.offered[op] = stats.offered.get(op, 0) + 1
        if self.send_json({"op": op, "op_id": op_id, **fields}):
            self.pending[op_id] = (op, scheduled)
        else:
            stats.error(f"{op}:not_sent")


class SioAttendee(Attendee):
    """The same attendee speaking socket.io 4 over Engine.IO v4's WebSocket transport, for
    the socket.io reference (loadtests/socketio_ref.js). Every message is one Engine.IO
    packet, its type the first digit: `0{...}` open (answered with `40`, connect to the
    default namespace), `2` ping (answered `3`), `4` a socket.io packet: `40{...}` connected,
    `42["tally",{"seq":...}]` an event, `43<id>[{...}]` the ack of the op sent as
    `42<id>["vote",{...}]`."""

    def __init__(self, worker: Worker, room: RoomState, request: bytes, index: int) -> None:
        super().__init__(worker, room, request, index)
        self.acks: dict[int, str] = {}  # socket.io ack id -> op_id
        self.last_ack_id = 0

    def on_message(self, data: bytes, start: int, end: int) -> None:
        stats = self.stats
        if stats.counting:
            stats.frames += 1
            stats.bytes += end - start
        if end - start < 1:
            return
        kind = data[start]
        if kind == _EIO_MESSAGE and end - start >= 2:
            packet = data[start + 1]
            if packet == _SIO_EVENT and data.startswith(_SIO_TALLY, start + 2):
                self._tally(data, start, end)
            elif packet == _SIO_ACK:
                body = data.find(b"[", start + 2, end)
                digits = data[start + 2 : body] if body > 0 else b""
                op_id = self.acks.pop(int(digits), None) if digits.isdigit() else None
                if op_id is None:
                    stats.error("frame:sio.ack_unknown")
                    return
                [answer] = json.loads(data[body:end])
                if "error" in answer:
                    self._answer({"type": "error", "op_id": op_id, "code": answer["error"]})
                else:
                    self._answer({"type": "ack", "op_id": op_id, "seq": answer["seq"]})
        elif kind == _EIO_PING:
            self.send_text(b"3")
        elif kind == _EIO_OPEN:
            self.send_text(b"40")

    def op(self, op: str, op_id: str, scheduled: float, **fields: Any) -> None:
        stats = self.stats
        stats.offered[op] = stats.offered.get(op, 0) + 1
        self.last_ack_id += 1
        event = json.dumps([op, fields], separators=(",", ":")).encode()
        if self.send_text(b"42%d%s" % (self.last_ack_id, event)):
            self.pending[op_id] = (op, scheduled)
            self.acks[self.last_ack_id] = op_id
        else:
            stats.error(f"{op}:not_sent")


_EIO_OPEN, _EIO_PING, _EIO_MESSAGE = ord("0"), ord("2"), ord("4")
_SIO_EVENT, _SIO_ACK = ord("2"), ord("3")
_SIO_TALLY = b'["tally",'
SIO_PATH = "/socket.io/?EIO=4&transport=websocket"


class RoomState:
    def __init__(self, plan: RoomPlan) -> None:
        self.plan = plan
        self.attendees: list[Attendee] = []
        self.moderator: Attendee | None = None
        self.authors: dict[int, int] = {}  # pending question -> author index
        self.approved: list[tuple[int, int]] = []  # (question_id, author index)
        self.approvals = 0

    def asked(self, question_id: int, author: int) -> None:
        if self.moderator is None:  # post-moderation: visible at once
            self.approved.append((question_id, author))
            return
        self.authors[question_id] = author
        self.approvals += 1
        self.moderator.op(
            "question.approve", f"a{question_id}", time.perf_counter(), question_id=question_id
        )


class Worker:
    def __init__(self, plan: WorkerPlan, pipe: Pipe) -> None:
        self.plan = plan
        self.pipe = pipe
        self.stats = Stats()
        self.rooms = [RoomState(r) for r in plan.rooms]
        self.tokens: dict[str, list[str]] = {}
        self.finished = False
        self.rng = random.Random(plan.worker)
        self.sequence = 0

    async def recv(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)

    def server_of(self, room: RoomPlan, index: int) -> tuple[str, int]:
        url = self.plan.servers[room.server if room.server >= 0 else index % len(self.plan.servers)]
        parts = urlsplit(url)
        return parts.hostname or "127.0.0.1", parts.port or 80

    async def join(self) -> None:
        queue: list[tuple[RoomPlan, int]] = [
            (room, i) for room in self.plan.rooms for i in range(room.attendees)
        ]
        for room in self.plan.rooms:
            self.tokens[room.code] = [""] * room.attendees if room.join else ["-"] * room.attendees
        queue = [(room, i) for room, i in queue if room.join]

        async def joiner(k: int) -> None:
            host, port = self.server_of(self.plan.rooms[0], k)
            conn = HttpConn(host, port, self.plan.source)
            try:
                while queue:
                    room, i = queue.pop()
                    name = f"w{self.plan.worker}-{i}"
                    for _ in range(5):
                        status, body = await conn.request(
                            "POST", f"/api/rooms/{room.code}/join", {"name": name}
                        )
                        if status == 200:
                            self.tokens[room.code][i] = body["participant_token"]
                            break
                        await asyncio.sleep(0.2)
                    else:
                        self.stats.error(f"join:{status}")
            finally:
                await conn.close()

        await asyncio.gather(*(joiner(k) for k in range(16)))

    async def connect(self) -> None:
        gate = asyncio.Semaphore(self.plan.connect_concurrency)
        slow_every = round(1 / self.plan.slow_fraction) if self.plan.slow_fraction > 0 else 0

        async def one(room: RoomState, index: int, token: str, moderator: bool) -> None:
            host, port = self.server_of(room.plan, index)
            path = f"/ws/rooms/{room.plan.code}?token={token}"
            slow = bool(slow_every) and not moderator and index % slow_every == slow_every - 1
            async with gate:
                sock = await self._open(room, index, host, port, path, slow)
            if sock is None:
                return
            sock.slow = slow
            if moderator:
                room.moderator = sock
            else:
                room.attendees.append(sock)

        jobs = []
        for room in self.rooms:
            if room.plan.moderator_token:
                jobs.append(one(room, 0, room.plan.moderator_token, True))
            for i, token in enumerate(self.tokens[room.plan.code]):
                if token:
                    jobs.append(one(room, i, token, False))
        await asyncio.gather(*jobs)

    async def _open(
        self, room: RoomState, index: int, host: str, port: int, path: str, slow: bool
    ) -> Attendee | None:
        socketio = self.plan.dialect == "socketio"
        if socketio:
            path = SIO_PATH
        request = handshake_request(host, port, path, None if socketio else "townhall.v1.json")
        kind = SioAttendee if socketio else Attendee
        for attempt in range(3):
            try:
                sock = await open_ws(
                    lambda: kind(self, room, request, index),
                    host,
                    port,
                    source=self.plan.source,
                    rcvbuf=self.plan.slow_rcvbuf if slow else 0,
                )
            except OSError as exc:
                self.stats.error(f"connect:{type(exc).__name__}")
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            if sock.error is None:
                assert isinstance(sock, Attendee)
                return sock
            self.stats.error(f"connect:{sock.error}")
            await asyncio.sleep(0.5 * (attempt + 1))
        return None

    def sockets(self) -> list[Attendee]:
        return [s for room in self.rooms for s in room.attendees]

    def next_op(self, scheduled: float) -> None:
        plan = self.plan
        room = self.rooms[self.sequence % len(self.rooms)]
        self.sequence += 1
        if not room.attendees:
            return
        sock = room.attendees[(self.sequence // len(self.rooms)) % len(room.attendees)]
        if sock.slow or sock.closed or not sock.resynced:
            sock = self.rng.choice(room.attendees)
            if sock.slow or sock.closed or not sock.resynced:
                self.stats.skipped += 1  # its socket is away (storm) or stuck (slow reader)
                return
        op = self.rng.choices(list(plan.mix), weights=list(plan.mix.values()))[0]
        op_id = f"w{plan.worker}-{self.sequence}"
        if op == "question.upvote" and room.approved:
            for _ in range(4):
                qid, author = self.rng.choice(room.approved)
                if author != sock.index and qid not in sock.upvoted:
                    sock.upvoted.add(qid)
                    sock.op(op, op_id, scheduled, question_id=qid)
                    return
            op = "vote"
        if op == "question.ask":
            text = f"Question {op_id}: " + "what about the budget for the park " * 10
            sock.op(op, op_id, scheduled, text=text[: plan.question_chars])
            return
        sock.op("vote", op_id, scheduled, poll_id=room.plan.poll_id, choice=self.rng.randrange(4))

    async def storm(self, started: float) -> None:
        """Every attendee drops its socket, then reconnects with ?since= at a random moment."""
        plan = self.plan
        old = [(room, s) for room in self.rooms for s in room.attendees]
        for room in self.rooms:
            room.attendees = []
        for _, sock in old:
            sock.leaving = True
            sock.abort()  # the network went away: no close handshake
        gate = asyncio.Semaphore(plan.connect_concurrency)

        async def back(room: RoomState, sock: Attendee) -> None:
            await asyncio.sleep(self.rng.uniform(0, plan.reconnect_spread))
            host, port = self.server_of(room.plan, sock.index)
            token = self.tokens[room.plan.code][sock.index]
            path = f"/ws/rooms/{room.plan.code}?token={token}&since={sock.last_seq}"
            begun = time.perf_counter()
            async with gate:
                new = await self._open(room, sock.index, host, port, path, False)
            if new is None:
                return
            new.last_seq = sock.last_seq
            new.reconnect_started = begun
            new.resynced = False
            room.attendees.append(new)

        await asyncio.gather(*(back(room, sock) for room, sock in old))
        self.storm_done = time.perf_counter() - started

    async def run(self, start_wall: float) -> None:
        plan = self.plan
        start = time.perf_counter() + (start_wall - time.time())
        await asyncio.sleep(max(0.0, start - time.perf_counter()))
        for sock in self.sockets():
            if sock.slow:
                sock.pause_reading()
        self.stats.started = start
        self.stats.counting = True
        storm: asyncio.Task[None] | None = None
        end = start + plan.duration
        sent = 0
        interval = 1 / plan.rate if plan.rate > 0 else 0.0
        while (now := time.perf_counter()) < end:
            if plan.reconnect_at >= 0 and storm is None and now >= start + plan.reconnect_at:
                storm = asyncio.get_running_loop().create_task(self.storm(now))
            if interval:
                due = min(int((now - start) / interval) + 1, int(plan.duration / interval))
                while sent < due:
                    self.next_op(start + sent * interval)
                    sent += 1
            await asyncio.sleep(0.005)
        self.stats.counting = False
        slow = [s for s in self.sockets() if s.slow]
        for sock in slow:  # read again: a socket the server gave up on finds its close frame
            sock.resume_reading()
        waited = time.perf_counter() + 10
        while slow and time.perf_counter() < waited:
            await asyncio.sleep(0.2)
            if all(s.close_code == 4008 or s.closed for s in slow):
                break
        self.stats.slow_closed = sum(1 for s in slow if s.close_code == 4008 or s.closed)
        if storm is not None:
            await storm
        # Drain: answers and tallies for ops sent near the end.
        deadline = time.perf_counter() + 10
        while time.perf_counter() < deadline and any(  # noqa: ASYNC110 (polling many sockets)
            s.pending or s.awaiting for s in self.sockets()
        ):
            await asyncio.sleep(0.05)
        for sock in self.sockets():
            for op, _ in sock.pending.values():
                self.stats.error(f"{op}:unanswered")
            for _ in sock.awaiting:
                self.stats.error("vote:no_tally")

    def report(self) -> dict[str, Any]:
        s = self.stats
        return {
            "frames": s.frames,
            "bytes": s.bytes,
            "offered": s.offered,
            "acked": s.acked,
            "acked_in_window": s.acked_in_window,
            "acked_by_s": s.acked_by_s,
            "errors": s.errors,
            "ack_ms": s.ack_ms,
            "v2s_ms": s.v2s_ms,
            "acked_votes": s.acked_votes,
            "snapshots": s.snapshots,
            "resync_s": s.resync_s,
            "storm_done_s": getattr(self, "storm_done", None),
            "slow_closed": s.slow_closed,
            "skipped": s.skipped,
            "slow": sum(1 for x in self.sockets() if x.slow),
            "connected": len(self.sockets()),
            "unexpected_closes": s.unexpected_closes,
        }

    async def main(self) -> None:
        assert await self.recv() == "join"
        await self.join()
        self.pipe.send(("joined", dict(self.stats.errors)))
        assert await self.recv() == "connect"
        await self.connect()
        self.pipe.send(("ready", {"connected": len(self.sockets()), "errors": self.stats.errors}))
        command, start_wall = await self.recv()
        assert command == "go"
        await self.run(start_wall)
        self.finished = True
        self.pipe.send(("done", self.report()))
        for sock in self.sockets():
            sock.leaving = True
            sock.close()
        for room in self.rooms:
            if room.moderator is not None:
                room.moderator.leaving = True
                room.moderator.close()
        await asyncio.sleep(0.2)


def worker_main(plan: WorkerPlan, pipe: Pipe) -> None:
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(Worker(plan, pipe).main())
