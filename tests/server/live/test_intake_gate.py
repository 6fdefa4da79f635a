"""A saturated room holds the crowd's sockets unread instead of refusing their ops; staff get
through; every held op is answered once the writer moves on (server/live/intake_gate.py)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from moderation.roles import Role
from server.live.intake_gate import HELD, IntakeGate
from server.live.lean import LeanWebSocketProtocol
from tests.support.lean_server import lean_server
from tests.support.wsclient import Client, create_room, join

MARK = 2
PHONES = 12


def test_only_the_crowd_is_held_and_only_at_the_mark() -> None:
    gate = IntakeGate(mark=3)
    assert not gate.holds(Role.ATTENDEE, 2)
    assert gate.holds(Role.ATTENDEE, 3) and gate.holds(Role.ATTENDEE, 40)
    for role in Role:
        assert gate.holds(role, 3) is (role in HELD)
    assert not any(gate.holds(Role.MODERATOR, n) for n in range(100))
    assert not any(IntakeGate(mark=0).holds(Role.ATTENDEE, n) for n in range(100))


def test_held_sockets_go_on_in_order_once_the_writer_takes_below_the_mark() -> None:
    gate = IntakeGate(mark=3)
    ran: list[int] = []
    released: list[list[Callable[[], None]]] = []
    for i in range(3):
        gate.hold(lambda i=i: ran.append(i))
    gate.taken(lambda: 5, released.append)  # still at the mark after the take: all stay held
    gate.taken(lambda: 3, released.append)
    assert released == [] and len(gate.held) == 3
    gate.taken(lambda: 0, released.append)  # room for all three
    assert len(released) == 1 and gate.held == []
    for resume in released[0]:
        resume()
    assert ran == [0, 1, 2]
    gate.taken(lambda: 0, released.append)  # nothing held: nothing to let go
    gate.release(released.append)
    assert len(released) == 1


def test_only_as_many_go_on_as_there_is_room_for_and_the_last_looks_again() -> None:
    gate = IntakeGate(mark=4)
    pending = [2]
    ran: list[int] = []
    line: list[Callable[[], None]] = []  # the loop's intake line: run in order, later

    def resume(i: int) -> Callable[[], None]:
        def run() -> None:
            ran.append(i)
            pending[0] += i % 2  # the odd ones bring an op; the even ones none (gone, a ping)

        return run

    for i in range(9):
        gate.hold(resume(i))
    gate.taken(lambda: pending[0], line.extend)
    assert len(line) == 2 and len(gate.held) == 7, "room for two: two go on"
    while line:
        line.pop(0)()
        if pending[0] >= gate.mark:
            break
    # 0 brought nothing, 1 one op: room for one more, so the last of them let 2 go; 2 brought
    # nothing, so 3 went, whose op filled the room; the rest wait for the writer.
    assert ran == [0, 1, 2, 3] and pending[0] == 4 and line == []
    assert len(gate.held) == 5
    pending[0] = 0  # the writer took a batch
    gate.taken(lambda: pending[0], line.extend)
    while line:
        line.pop(0)()
    assert ran == list(range(9)) and gate.held == [], "none stranded"


@pytest.mark.parametrize("portable", [False, True], ids=["lean", "asgi"])
def test_a_saturated_room_holds_the_crowd_unrefused_and_lets_the_moderator_through(
    tmp_path: Path, portable: bool
) -> None:
    """The store's write lock is held from outside, so the room's first batch cannot
    commit: ops pile up to the mark, and then every phone's vote waits unread. A moderator's
    op sent after that is decided at once, ahead of the held votes; once the lock goes every
    vote is acked, none refused, each in the transcript once."""

    async def scenario() -> None:
        env = {
            "TOWNHALL_LIMIT_INTAKE_HOLD_OPS": str(MARK),
            "TOWNHALL_LIMIT_OPS_PER_SECOND_PER_IP": "10000",
            "TOWNHALL_LIMIT_OPS_BURST_PER_IP": "10000",
        }
        async with lean_server(tmp_path, env, portable=portable) as server:
            room = await asyncio.to_thread(create_room, server.http)
            code = room["code"]
            people = [await asyncio.to_thread(join, server.http, code) for _ in range(PHONES)]
            mod = await Client.open(server.ws, code, room["moderator_token"])
            poll = (await mod.op("poll.create", kind="single", question="Q?", options=["a", "b"]))[
                "poll_id"
            ]
            await mod.op("poll.open", poll_id=poll)
            phones = [await Client.open(server.ws, code, p["participant_token"]) for p in people]
            for phone in phones:
                await phone.wait_for(lambda f: f["type"] == "snapshot")
            host = server.hub.rooms[code]
            assert all(
                isinstance(p, LeanWebSocketProtocol) is not portable
                for p in server.server.server_state.connections
            )

            lock = sqlite3.connect(tmp_path / "townhall.db", isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")  # the room's writer waits for it
            try:
                votes = [
                    asyncio.create_task(phone.op("vote", poll_id=poll, choice=i % 2, timeout=30))
                    for i, phone in enumerate(phones)
                ]
                await _until(lambda: len(host.gate.held) >= PHONES - 2 * MARK - 1)
                assert len(host.room_log.inbox) == MARK, "held below the mark, or not at all"
                mod_op = asyncio.create_task(
                    mod.op("poll.create", kind="single", question="Next?", options=["x", "y"])
                )
                await _until(lambda: len(host.room_log.inbox) == MARK + 1)
            finally:
                lock.rollback()
                lock.close()
            answers: list[dict[str, Any]] = await asyncio.gather(*votes)
            staff = await mod_op

            assert [a["type"] for a in answers] == ["ack"] * PHONES, answers
            assert staff["type"] == "ack", staff
            later = [
                a["receipt"]["seq"]
                for a in answers
                if a["receipt"]["seq"] > staff["receipt"]["seq"]
            ]
            assert len(later) >= PHONES - 2 * MARK - 1, "the moderator waited behind the crowd"
            assert host.deps.stats.intake_held >= len(later)
            assert host.gate.held == []

            transcript = await asyncio.to_thread(_transcript, server.http, code, room)
            ballots = [line for line in transcript if line["type"] == "ballot.cast"]
            assert len(ballots) == PHONES == len({b["actor"] for b in ballots})
            for client in [mod, *phones]:
                await client.close()

    asyncio.run(scenario())


async def _until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


def _transcript(http: str, code: str, room: dict[str, Any]) -> list[dict[str, Any]]:
    text = httpx.get(
        f"{http}/api/rooms/{code}/transcript",
        headers={"authorization": f"Bearer {room['moderator_token']}"},
        timeout=10,
    ).text
    return [json.loads(line) for line in text.splitlines() if line.strip()]
