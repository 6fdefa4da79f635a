"""The `abuse` scenario's load processes: attackers on one address, bystanders on another.

The harness (`loadtests.bench`, scenario `abuse`) starts one process per side, each bound to
its own 127.0.0.x source address, and drives both through a pipe like the other scenarios'
workers: `join` -> `connect` -> `go` (one shared timeline of phases) -> results.

- Attackers: many sockets from one address, one person each (the worst case for per-person
  budgets: every socket has a fresh one), each sending a padded vote every 100 ms, open
  loop: an attacker does not wait for answers. A phase sets the frame size (0: idle) and
  the pad's shape: a flat JSON list of zeros (`[0,0,...]`, as the issue measured: about
  1 ms of CPU to decode 7 KiB, 6 ms for 62 KiB), or of empty lists (`[[],[],...]`: fewer
  elements, but each one is a container the server's depth check walks into, three times
  the cost at 7 KiB). A socket the server closes is opened again at once, with the
  same token, for as long as an attack phase runs. A frame is not written while the socket
  has more than `BACKLOG` bytes unsent (a real attacker's TCP stack would block too).
- Bystanders: a few people voting, each every 100-200 ms (uniform), open loop, from the
  start of the first phase to the end of the last; each ack's latency is measured from the
  op's *scheduled* time (a stall shows up, it does not lower the offered rate).

Answers are counted by what the client sees. The server answers only some refusals (the
first five in a row and every twentieth after), so `unanswered` frames were refused too.
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

__all__ = ["ATTACKER", "BYSTANDER", "Phase", "SidePlan", "side_main"]

ATTACKER = "attacker"
BYSTANDER = "bystander"
BACKLOG = 256 * 1024  # unsent bytes on one attacking socket past which it skips a frame
_ACK = b'{"type":"ack"'
_ERROR = b'{"type":"error"'


# Pad shapes: one list element (with its comma) to repeat up to the frame's size.
PADS = {"zeros": b"0", "lists": b"[]"}


@dataclass(frozen=True)
class Phase:
    name: str
    start: float  # seconds after the shared start
    end: float
    frame_bytes: int  # the attack's frame size; 0: the attackers stay connected and idle
    pad: str = "zeros"  # a key of PADS: what fills the frame


@dataclass
class SidePlan:
    role: str  # ATTACKER or BYSTANDER
    source: str  # 127.0.0.x
    server: str  # http://127.0.0.1:port
    code: str
    poll_id: int
    people: int  # one socket each
    phases: list[Phase]
    interval: tuple[float, float]  # seconds between one socket's frames, uniform in [a, b]
    seed: int = 0


@dataclass
class PhaseCounts:
    """One phase, one side: what was sent and what came back."""

    sent: int = 0
    bytes: int = 0
    acked: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # answered error frames, by code
    not_sent: dict[str, int] = field(default_factory=dict)  # socket down / backlog
    closed: dict[str, int] = field(default_factory=dict)  # closes by the server, by code
    reconnects: int = 0
    handshakes_refused: dict[str, int] = field(default_factory=dict)
    ack_ms: list[float] = field(default_factory=list)
    ack_at: list[float] = field(default_factory=list)  # each ack's op, scheduled at (s)


def _bump(counts: dict[str, int], key: str) -> None:
    counts[key] = counts.get(key, 0) + 1


class Sock(WsSocket):
    def __init__(self, side: Side, request: bytes, slot: int) -> None:
        super().__init__(request)
        self.side = side
        self.slot = slot

    def on_message(self, data: bytes, start: int, end: int) -> None:
        if data.startswith(_ACK, start) or data.startswith(_ERROR, start):
            self.side.answer(json.loads(data[start:end]))

    def on_closed(self) -> None:
        self.side.lost(self)


class Side:
    """One process: its people's tokens, their sockets, the timeline, the counts."""

    def __init__(self, plan: SidePlan, pipe: Pipe) -> None:
        self.plan = plan
        self.pipe = pipe
        self.rng = random.Random(plan.seed)
        parts = urlsplit(plan.server)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.tokens: list[str] = []
        self.socks: list[Sock | None] = []
        self.counts = [PhaseCounts() for _ in plan.phases]
        self.outside = PhaseCounts()  # what falls between phases (not in any phase figure)
        self.errors: dict[str, int] = {}
        self.pending: dict[str, float] = {}  # op_id -> scheduled (perf_counter)
        self.acked_votes: list[str] = []
        self.payloads: dict[int, tuple[bytes, bytes]] = {}  # phase -> (head, tail)
        self.start_pc = 0.0
        self.start_loop = 0.0
        self.running = False
        self.reconnecting: set[int] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    # -- setup ---------------------------------------------------------------------------

    async def join(self) -> None:
        plan = self.plan
        self.tokens = [""] * plan.people
        queue = list(range(plan.people))

        async def joiner() -> None:
            conn = HttpConn(self.host, self.port, plan.source)
            try:
                while queue:
                    i = queue.pop()
                    status = 0
                    for _ in range(5):
                        status, body = await conn.request(
                            "POST", f"/api/rooms/{plan.code}/join", {"name": f"{plan.role}-{i}"}
                        )
                        if status == 200:
                            self.tokens[i] = body["participant_token"]
                            break
                        await asyncio.sleep(0.2)
                    else:
                        _bump(self.errors, f"join:{status}")
            finally:
                await conn.close()

        await asyncio.gather(*(joiner() for _ in range(4)))

    async def open(self, slot: int) -> Sock | str:
        """A socket for this person, or why not (a handshake status or an OS error)."""
        path = f"/ws/rooms/{self.plan.code}?token={self.tokens[slot]}"
        request = handshake_request(self.host, self.port, path, "townhall.v1.json")
        try:
            sock = await open_ws(
                lambda: Sock(self, request, slot), self.host, self.port, source=self.plan.source
            )
        except OSError as exc:
            return type(exc).__name__
        if sock.error is not None:
            return str(sock.handshake_status or sock.error)
        assert isinstance(sock, Sock)
        return sock

    async def connect(self) -> None:
        self.socks = [None] * self.plan.people

        async def one(slot: int) -> None:
            if not self.tokens[slot]:
                return
            opened = await self.open(slot)
            if isinstance(opened, str):
                _bump(self.errors, f"connect:{opened}")
            else:
                self.socks[slot] = opened

        await asyncio.gather(*(one(slot) for slot in range(self.plan.people)))

    # -- the timeline ----------------------------------------------------------------------

    def phase_at(self, offset: float) -> int:
        for i, phase in enumerate(self.plan.phases):
            if phase.start <= offset < phase.end:
                return i
        return -1

    def counts_at(self, offset: float) -> PhaseCounts:
        i = self.phase_at(offset)
        return self.counts[i] if i >= 0 else self.outside

    def offset_now(self) -> float:
        return time.perf_counter() - self.start_pc

    def at(self, offset: float, callback: Any, *args: Any) -> None:
        asyncio.get_running_loop().call_at(self.start_loop + offset, callback, *args)

    def usable(self, slot: int) -> Sock | None:
        sock = self.socks[slot]
        if sock is None or sock.closed or not sock.upgraded:
            return None
        return sock

    # bystanders

    def vote(self, slot: int, offset: float, k: int) -> None:
        plan = self.plan
        end = plan.phases[-1].end
        if offset >= end:
            return
        after = offset + self.rng.uniform(*plan.interval)
        self.at(after, self.vote, slot, after, k + 1)
        counts = self.counts_at(offset)
        op_id = f"b{slot}-{k}"
        counts.sent += 1
        sock = self.usable(slot)
        frame = {"op": "vote", "op_id": op_id, "poll_id": plan.poll_id, "choice": k % 4}
        if sock is None or not sock.send_json(frame):
            _bump(self.errors, "vote:not_sent")
            return
        self.pending[op_id] = self.start_pc + offset

    # attackers

    def payload(self, phase: int) -> tuple[bytes, bytes]:
        """(head before the op_id, the rest) sized so the whole frame is the phase's size."""
        if phase not in self.payloads:
            size, element = self.plan.phases[phase].frame_bytes, PADS[self.plan.phases[phase].pad]
            head = b'{"op":"vote","op_id":"'
            rest = b'","poll_id":%d,"choice":0,"pad":[' % self.plan.poll_id
            room = size - len(head) - len(self._op_id(phase, 0, 0)) - len(rest) - len(b"]}")
            count = max(1, (room + 1) // (len(element) + 1))
            self.payloads[phase] = (head, rest + b",".join([element] * count) + b"]}")
        return self.payloads[phase]

    @staticmethod
    def _op_id(phase: int, slot: int, k: int) -> bytes:
        return b"a%d.%04d.%07d" % (phase, slot, k)

    def attack(self, phase: int, slot: int, offset: float, k: int) -> None:
        plan = self.plan
        if offset >= plan.phases[phase].end:
            return
        after = offset + self.rng.uniform(*plan.interval)
        self.at(after, self.attack, phase, slot, after, k + 1)
        counts = self.counts[phase]
        sock = self.usable(slot)
        if sock is None:
            _bump(counts.not_sent, "socket_down")
            return
        assert sock.transport is not None
        if sock.transport.get_write_buffer_size() > BACKLOG:
            _bump(counts.not_sent, "backlog")
            return
        head, rest = self.payload(phase)
        payload = head + self._op_id(phase, slot, k) + rest
        if sock.send_text(payload):
            counts.sent += 1
            counts.bytes += len(payload)

    def attack_phase(self) -> int:
        """The attack phase running now, or -1."""
        i = self.phase_at(self.offset_now())
        return i if i >= 0 and self.plan.phases[i].frame_bytes else -1

    # -- answers and closes -------------------------------------------------------------

    def answer(self, frame: dict[str, Any]) -> None:
        op_id = frame.get("op_id")
        if self.plan.role == BYSTANDER:
            self._bystander_answer(frame, op_id)
        else:
            self._attacker_answer(frame, op_id)

    def _bystander_answer(self, frame: dict[str, Any], op_id: Any) -> None:
        scheduled = self.pending.pop(op_id, None) if isinstance(op_id, str) else None
        if scheduled is None:
            _bump(self.errors, f"frame:{frame.get('code', frame.get('type'))}")
            return
        counts = self.counts_at(scheduled - self.start_pc)
        if frame["type"] == "error":
            _bump(self.errors, f"vote:{frame.get('code')}")
            _bump(counts.refused, str(frame.get("code")))
            return
        counts.acked += 1
        counts.ack_ms.append((time.perf_counter() - scheduled) * 1000)
        counts.ack_at.append(scheduled - self.start_pc)
        self.acked_votes.append(op_id)

    def _attacker_answer(self, frame: dict[str, Any], op_id: Any) -> None:
        phase = -1
        if isinstance(op_id, str) and op_id.startswith("a"):
            with contextlib.suppress(ValueError):
                phase = int(op_id[1:].split(".", 1)[0])
        counts = self.counts[phase] if 0 <= phase < len(self.counts) else self.outside
        if frame["type"] == "error":
            _bump(counts.refused, str(frame.get("code")))
        else:
            counts.acked += 1
            self.acked_votes.append(op_id)

    def lost(self, sock: Sock) -> None:
        if not self.running or self.socks[sock.slot] is not sock:
            return
        if self.plan.role == BYSTANDER:
            _bump(self.errors, f"closed:{sock.close_code}")
            return
        phase = self.attack_phase()
        _bump((self.counts[phase] if phase >= 0 else self.outside).closed, str(sock.close_code))
        if sock.slot not in self.reconnecting:
            self.reconnecting.add(sock.slot)
            task = asyncio.get_running_loop().create_task(self.reopen(sock.slot))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def reopen(self, slot: int) -> None:
        """Open this attacker's socket again at once, while any attack phase is left."""
        try:
            while self.running and self.offset_now() < self.plan.phases[-1].end:
                opened = await self.open(slot)
                phase = self.attack_phase()
                counts = self.counts[phase] if phase >= 0 else self.outside
                if isinstance(opened, Sock):
                    self.socks[slot] = opened
                    counts.reconnects += 1
                    return
                _bump(counts.handshakes_refused, opened)
                await asyncio.sleep(0.2)
        finally:
            self.reconnecting.discard(slot)

    # -- run -------------------------------------------------------------------------------

    async def run(self, start_wall: float) -> None:
        plan = self.plan
        loop = asyncio.get_running_loop()
        ahead = start_wall - time.time()
        self.start_pc = time.perf_counter() + ahead
        self.start_loop = loop.time() + ahead
        self.running = True
        for slot in range(plan.people):
            if plan.role == BYSTANDER:
                first = plan.phases[0].start + self.rng.uniform(0, plan.interval[1])
                self.at(first, self.vote, slot, first, 0)
                continue
            for i, phase in enumerate(plan.phases):
                if phase.frame_bytes:
                    first = phase.start + self.rng.uniform(*plan.interval)
                    self.at(first, self.attack, i, slot, first, 0)
        end = plan.phases[-1].end
        await asyncio.sleep(max(0.0, end - self.offset_now()))
        # Drain: bystanders' answers for ops sent near the end; attackers' last answers.
        deadline = time.perf_counter() + (10 if plan.role == BYSTANDER else 2)
        while time.perf_counter() < deadline and (  # noqa: ASYNC110 (many sockets)
            self.pending or plan.role == ATTACKER
        ):
            await asyncio.sleep(0.05)
        self.running = False
        for _ in self.pending:
            _bump(self.errors, "vote:unanswered")

    def report(self) -> dict[str, Any]:
        def one(c: PhaseCounts) -> dict[str, Any]:
            return {
                "sent": c.sent,
                "bytes": c.bytes,
                "acked": c.acked,
                "refused": c.refused,
                "not_sent": c.not_sent,
                "closed": c.closed,
                "reconnects": c.reconnects,
                "handshakes_refused": c.handshakes_refused,
                "ack_ms": c.ack_ms,
                "ack_at": c.ack_at,
            }

        return {
            "role": self.plan.role,
            "connected": sum(1 for s in self.socks if s is not None),
            "phases": [one(c) for c in self.counts],
            "outside": one(self.outside),
            "errors": self.errors,
            "acked_votes": self.acked_votes,
        }

    async def main(self) -> None:
        assert await self.recv() == "join"
        await self.join()
        self.pipe.send(("joined", dict(self.errors)))
        assert await self.recv() == "connect"
        await self.connect()
        connected = sum(1 for s in self.socks if s is not None)
        self.pipe.send(("ready", {"connected": connected, "errors": self.errors}))
        command, start_wall = await self.recv()
        assert command == "go"
        await self.run(start_wall)
        self.pipe.send(("done", self.report()))
        for sock in self.socks:
            if sock is not None:
                sock.close()
        await asyncio.sleep(0.2)

    async def recv(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, self.pipe.recv)


def side_main(plan: SidePlan, pipe: Pipe) -> None:
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(Side(plan, pipe).main())
