"""kill -9 in the middle of a vote burst: every acknowledged vote survives, tallies exact."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


@pytest.mark.slow
def test_kill_9_mid_burst_loses_no_acknowledged_vote(tmp_path: Path) -> None:
    server = LiveServer(
        tmp_path / "data",
        env={"TOWNHALL_JOINS_PER_MINUTE": "100000", "TOWNHALL_LIMIT_JOINS_BURST_PER_IP": "100000"},
    ).start()
    voters = 120
    try:
        room = create_room(server.http)
        code = room["code"]
        people = [join(server.http, code) for _ in range(voters)]

        async def burst() -> tuple[dict[str, int], int]:
            mod = await Client.open(server.ws, code, room["moderator_token"])
            poll = (
                await mod.op(
                    "poll.create", kind="single", question="Kill?", options=["a", "b", "c"]
                )
            )["poll_id"]
            await mod.op("poll.open", poll_id=poll)
            clients = await asyncio.gather(
                *(Client.open(server.ws, code, p["participant_token"]) for p in people)
            )
            acked: dict[str, int] = {}

            async def vote(i: int) -> None:
                try:
                    answer = await clients[i].op("vote", poll_id=poll, choice=i % 3, timeout=5)
                except Exception:
                    return
                if answer["type"] == "ack":
                    acked[people[i]["participant_id"]] = i % 3

            tasks = [asyncio.create_task(vote(i)) for i in range(voters)]
            while len(acked) < voters // 3:
                await asyncio.sleep(0.001)
            server.kill()  # mid-burst, no goodbye
            await asyncio.gather(*tasks)
            return acked, poll

        acked, poll_id = asyncio.run(burst())
        assert len(acked) >= voters // 3
        server.start()
        transcript = httpx.get(
            f"{server.http}/api/rooms/{code}/transcript",
            headers={"authorization": f"Bearer {room['moderator_token']}"},
        ).text
        entries = [json.loads(line) for line in transcript.splitlines() if line]
        assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
        ballots = {e["actor"]: e["data"] for e in entries if e["type"] == "ballot.cast"}
        for participant, _choice in acked.items():
            assert participant in ballots, "an acknowledged vote was lost"
        snapshot = httpx.get(
            f"{server.http}/api/rooms/{code}",
            headers={"authorization": f"Bearer {room['moderator_token']}"},
        ).json()
        poll = next(p for p in snapshot["room"]["polls"] if p["poll_id"] == poll_id)
        assert poll["results"]["voters"] == len(ballots)
        expected = [0, 0, 0]
        for data in ballots.values():
            expected[data["choice"]] += 1
        assert poll["results"]["counts"] == expected
        # and each acknowledged voter sees their own ballot after the restart
        sample = next(p for p in people if p["participant_id"] in acked)
        me = httpx.get(
            f"{server.http}/api/rooms/{code}",
            headers={"authorization": f"Bearer {sample['participant_token']}"},
        ).json()
        assert json.dumps(me["you"]).find(str(poll_id)) >= 0
    finally:
        server.stop()
