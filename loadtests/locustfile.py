"""Rehearse your event with Locust: attendees, moderators and big screens on one room.

    TOWNHALL_ROOM=K7F3QX TOWNHALL_MODERATOR_TOKEN=... \\
        .venv/bin/locust -f loadtests/locustfile.py --host http://127.0.0.1:8000

Then open http://127.0.0.1:8089, choose the number of users and the spawn rate. Attendees
join over HTTP, open a WebSocket, vote in the open polls and ask and upvote questions;
moderators (only with TOWNHALL_MODERATOR_TOKEN) approve what is pending; screens just watch.
Every op shows up in Locust's statistics as `WS <op>` with its time to ack, and every view
frame as `WS frame <type>` (size only). Locust has no WebSocket client: this uses the sync
client of server/client.py (on `websockets`' sync client), whose socket I/O gevent's
monkey-patching makes cooperative.

The server limits joins, connections and sockets per address: for a rehearsal from one
machine raise them on the server as README shows (TOWNHALL_LIMIT_JOINS_*,
TOWNHALL_LIMIT_SOCKETS_PER_IP, TOWNHALL_LIMIT_CONNECTIONS_PER_IP). Use
`python -m loadtests.bench` for figures: Locust's per-user greenlets cost far more than the
server does per socket.
"""

from __future__ import annotations

import json
import os
import random
import time
from typing import Any

import gevent
from locust import HttpUser, between, events, task
from websockets.exceptions import ConnectionClosed

from server.client import SyncClient

ROOM = os.environ.get("TOWNHALL_ROOM", "")
MODERATOR_TOKEN = os.environ.get("TOWNHALL_MODERATOR_TOKEN", "")
SCREEN_TOKEN = os.environ.get("TOWNHALL_SCREEN_TOKEN", MODERATOR_TOKEN)


def _fire(**fields: Any) -> None:
    events.request.fire(**fields)  # type: ignore[no-untyped-call]


class RoomSocket:
    """One room through server/client.py's SyncClient (op_ids, resume and resend are its),
    read by a greenlet; ops are timed from send to their ack or error."""

    def __init__(self, host: str, code: str, token: str, name: str) -> None:
        self.name = name
        self.client = SyncClient(host, code, token)
        self.pending: dict[str, tuple[str, float]] = {}
        self.polls: dict[int, dict[str, Any]] = {}
        self.questions: dict[int, dict[str, Any]] = {}
        self.reader = gevent.spawn(self._read)

    @property
    def seq(self) -> int:
        return self.client.session.seq

    def _read(self) -> None:
        try:
            while True:
                frame, _typed = self.client.recv()
                self._handle(frame, self.client.session.last_size)
        except ConnectionClosed:
            pass

    def _handle(self, frame: dict[str, Any], size: int) -> None:
        kind = frame.get("type", "?")
        if kind in ("ack", "error") and frame.get("op_id") in self.pending:
            op, started = self.pending.pop(frame["op_id"])
            self.client.session.answered(frame)
            _fire(
                request_type="WS",
                name=op,
                response_time=(time.perf_counter() - started) * 1000,
                response_length=size,
                exception=None if kind == "ack" else RuntimeError(frame.get("code")),
                context={},
            )
            return
        if kind == "snapshot":
            for poll in frame["room"].get("polls", []):
                self.polls[poll["poll_id"]] = poll
            for question in frame["room"].get("questions", []):
                self.questions[question["question_id"]] = question
        elif isinstance(frame.get("poll"), dict):
            self.polls[frame["poll"]["poll_id"]] = frame["poll"]
        elif isinstance(frame.get("question"), dict):
            self.questions[frame["question"]["question_id"]] = frame["question"]
        _fire(
            request_type="WS frame",
            name=kind,
            response_time=0,
            response_length=size,
            exception=None,
            context={},
        )

    def op(self, op: str, **fields: Any) -> None:
        started = time.perf_counter()
        try:
            op_id = self.client.send_op(op, **fields)
        except ConnectionClosed as exc:
            _fire(
                request_type="WS",
                name=op,
                response_time=0,
                response_length=0,
                exception=exc,
                context={},
            )
            return
        self.pending[op_id] = (op, started)

    def open_polls(self) -> list[dict[str, Any]]:
        return [p for p in self.polls.values() if p.get("state") == "open"]

    def close(self) -> None:
        self.reader.kill()
        self.client.close()


class _RoomUser(HttpUser):
    abstract = True
    sock: RoomSocket | None = None

    def on_stop(self) -> None:
        if self.sock is not None:
            self.sock.close()


class Attendee(_RoomUser):
    weight = 100
    wait_time = between(2, 8)

    def on_start(self) -> None:
        if not ROOM:
            raise RuntimeError("set TOWNHALL_ROOM to the room code to rehearse")
        name = f"rehearsal-{random.randrange(10**9)}"
        answer = self.client.post(f"/api/rooms/{ROOM}/join", json={"name": name}, name="join")
        answer.raise_for_status()
        self.sock = RoomSocket(self.host or "", ROOM, answer.json()["participant_token"], name)

    @task(6)
    def vote(self) -> None:
        assert self.sock is not None
        polls = [p for p in self.sock.open_polls() if p.get("kind") in ("single", "rating")]
        if polls:
            poll = random.choice(polls)
            if poll["kind"] == "single":
                choice = random.randrange(len(poll.get("options") or [0]))
            else:
                choice = random.randint(1, int(poll.get("scale") or 5))
            self.sock.op("vote", poll_id=poll["poll_id"], choice=choice)

    @task(1)
    def ask(self) -> None:
        assert self.sock is not None
        self.sock.op("question.ask", text=f"Rehearsal question {random.randrange(10**6)}?")

    @task(3)
    def upvote(self) -> None:
        assert self.sock is not None
        if self.sock.questions:
            question_id = random.choice(list(self.sock.questions))
            self.sock.op("question.upvote", question_id=question_id)

    @task(1)
    def react(self) -> None:
        assert self.sock is not None
        self.sock.op("react", emoji="👏")


class Moderator(_RoomUser):
    """Approves whatever waits in the queue (needs TOWNHALL_MODERATOR_TOKEN)."""

    weight = 1
    fixed_count = 1 if MODERATOR_TOKEN else 0
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.sock = RoomSocket(
            self.host or "", ROOM, MODERATOR_TOKEN, f"mod-{random.randrange(10**6)}"
        )

    @task
    def approve(self) -> None:
        assert self.sock is not None
        for question in list(self.sock.questions.values()):
            if question.get("state") == "pending":
                question["state"] = "approving"
                self.sock.op("question.approve", question_id=question["question_id"])


class Screen(_RoomUser):
    """The projector: watches (screen token, or the moderator token), sends only pings."""

    weight = 1
    fixed_count = 1 if SCREEN_TOKEN else 0
    wait_time = between(5, 10)

    def on_start(self) -> None:
        self.sock = RoomSocket(
            self.host or "", ROOM, SCREEN_TOKEN, f"screen-{random.randrange(10**6)}"
        )

    @task
    def ping(self) -> None:
        assert self.sock is not None
        self.sock.client.ws.send(json.dumps({"op": "ping"}))
