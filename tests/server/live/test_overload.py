"""Overload: past its pending-ops bound a room says `server.busy` at once; nothing is lost."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


@pytest.mark.slow
def test_a_room_sheds_load_with_server_busy_and_resends_count_once(tmp_path: Path) -> None:
    server = LiveServer(
        tmp_path,
        env={
            "TOWNHALL_LIMIT_MAX_PENDING_OPS": "3",
            "TOWNHALL_LIMIT_OPS_PER_SECOND": "10000",
            "TOWNHALL_LIMIT_OPS_BURST": "10000",
        },
    ).start()
    try:
        room = create_room(server.http)
        code = room["code"]
        people = [join(server.http, code) for _ in range(40)]

        async def scenario() -> tuple[int, set[str]]:
            mod = await Client.open(server.ws, code, room["moderator_token"])
            poll = (await mod.op("poll.create", kind="single", question="Q?", options=["a", "b"]))[
                "poll_id"
            ]
            await mod.op("poll.open", poll_id=poll)
            clients = await asyncio.gather(
                *(Client.open(server.ws, code, p["participant_token"]) for p in people)
            )
            busy = 0
            acked: set[str] = set()

            async def vote(i: int) -> None:
                nonlocal busy
                for attempt in range(50):
                    answer = await clients[i].op(
                        "vote", op_id=f"vote-{i}", poll_id=poll, choice=i % 2
                    )
                    if answer["type"] == "ack":
                        acked.add(f"{answer['receipt']['seq']}:{answer['receipt']['hash']}")
                        return
                    assert answer["code"] == "server.busy", answer
                    busy += 1
                    await asyncio.sleep(0.01 * (attempt + 1))

            await asyncio.gather(*(vote(i) for i in range(len(people))))
            for c in [mod, *clients]:
                await c.close()
            return busy, acked

        busy, acked = asyncio.run(scenario())
        assert busy > 0, "the bound was never reached: the test proves nothing"
        assert len(acked) == len(people)
        transcript = httpx.get(
            f"{server.http}/api/rooms/{code}/transcript",
            headers={"authorization": f"Bearer {room['moderator_token']}"},
        ).text
        ballots = [json.loads(line) for line in transcript.splitlines() if '"ballot.cast"' in line]
        # One each, none twice: as many ballot keys as ballots, each ack's receipt among them.
        assert len({b["actor"] for b in ballots}) == len(ballots) == len(people)
        assert {f"{b['seq']}:{b['hash']}" for b in ballots} == acked
    finally:
        server.stop()
