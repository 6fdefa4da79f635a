"""A turn of the event loop hands on at most `per_turn` client frames, all sockets together
(server/live/intake_turns.py): a flood from thousands of phones at once must leave room in
every turn for the commit's answer, the acks and the tick. Every frame is still handled, in
the order the sockets came."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import pytest
from websockets.frames import Frame, Opcode

from server.edge.ws_endpoint import SocketIntake
from server.live.intake_turns import IntakeTurns, turns_of
from tests.support.lean_server import lean_server
from tests.support.wsclient import Client, create_room, join


def test_a_turn_grants_its_frames_then_the_line_moves_on_in_order() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        turns = IntakeTurns(loop, per_turn=3)
        assert [turns.take() for _ in range(4)] == [True, True, True, False]
        ran: list[str] = []

        def socket(name: str, frames: int) -> None:
            left = frames

            def handle() -> None:
                nonlocal left
                if turns.take():
                    ran.append(name)
                    left -= 1
                if left:
                    turns.wait(handle)

            turns.wait(handle)

        socket("a", 3)
        socket("b", 1)
        socket("c", 2)
        other: list[int] = []
        loop.call_soon(lambda: other.append(len(ran)))  # someone else's work, queued now
        for _ in range(6):
            await asyncio.sleep(0)
        # One frame each, in the order they started waiting, three a turn; a socket with
        # more goes to the back of the line. The other callback ran after the first turn's
        # three and before the next three: the line never holds the loop past its budget.
        assert ran == ["a", "b", "c", "a", "c", "a"]
        assert other == [3]

    asyncio.run(scenario())


def test_a_turn_with_no_frames_taken_schedules_nothing() -> None:
    async def scenario() -> None:
        turns = IntakeTurns(asyncio.get_running_loop(), per_turn=2)
        await asyncio.sleep(0)
        assert not turns._refill_due
        assert turns.take()
        assert turns._refill_due
        await asyncio.sleep(0)
        assert turns.left == 2 and not turns._refill_due

    asyncio.run(scenario())


def _masked_text(obj: dict[str, object]) -> bytes:
    return Frame(Opcode.TEXT, json.dumps(obj).encode()).serialize(mask=True, extensions=[])


@pytest.mark.slow
def test_a_flood_from_every_socket_at_once_is_handed_on_a_few_frames_a_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forty phones' ten frames each arrive in one turn (their `data_received` called back to
    back, as the loop does when all are readable). Without the budget that turn handed on one
    frame from every socket, forty; with it, five. All 400 are answered in the end."""
    sockets, each, per_turn = 40, 10, 5

    async def scenario() -> None:
        async with lean_server(tmp_path) as server:
            room = await asyncio.to_thread(create_room, server.http)
            code = room["code"]
            people = [await asyncio.to_thread(join, server.http, code) for _ in range(sockets)]
            mod = await Client.open(server.ws, code, room["moderator_token"])
            poll = (await mod.op("poll.create", kind="single", question="Q?", options=["a", "b"]))
            await mod.op("poll.open", poll_id=poll["poll_id"])
            phones = [await Client.open(server.ws, code, p["participant_token"]) for p in people]
            for phone in phones:
                await phone.wait_for(lambda f: f["type"] == "snapshot")
            await mod.close()
            protos = [p for p in server.protocols() if isinstance(p.receiver, SocketIntake)]
            assert len(protos) == sockets

            loop = asyncio.get_running_loop()
            turns = turns_of(loop)
            turns.per_turn = turns.left = per_turn
            turn = 0
            handled: Counter[int] = Counter()
            order: list[int] = []
            real_frame = SocketIntake.frame

            def spy(intake: SocketIntake, text: str | None, data: bytes | None) -> None:
                handled[turn] += 1
                order.append(intake.conn.id)
                real_frame(intake, text, data)

            monkeypatch.setattr(SocketIntake, "frame", spy)
            poll_id = poll["poll_id"]
            flood = [
                b"".join(
                    _masked_text(
                        {"op": "vote", "op_id": f"v{i}-{k}", "poll_id": poll_id, "choice": k % 2}
                    )
                    for k in range(each)
                )
                for i in range(sockets)
            ]
            for proto, data in zip(protos, flood, strict=True):
                proto.data_received(data)  # one I/O phase: every socket readable at once
            assert handled[0] == per_turn, "the first turn handed on more than its budget"

            def next_turn() -> None:
                nonlocal turn
                turn += 1
                if sum(handled.values()) < sockets * each:
                    loop.call_soon(next_turn)

            loop.call_soon(next_turn)
            last = f"-{each - 1}"
            for phone in phones:
                await phone.wait_for(
                    lambda f: f["type"] in ("ack", "error") and f.get("op_id", "").endswith(last),
                    timeout=60,
                )
            assert sum(handled.values()) == sockets * each
            assert max(handled.values()) <= 2 * per_turn  # a refill and the line's turn
            # First come, first served: every socket's first frame before any socket's second.
            first_round = order[:sockets]
            assert len(set(first_round)) == sockets
            answers = [
                f for phone in phones for f in phone.frames if f["type"] in ("ack", "error")
            ]
            assert len(answers) == sockets * each, "a frame was left in the line"
            for phone in phones:
                await phone.close()

    asyncio.run(scenario())
