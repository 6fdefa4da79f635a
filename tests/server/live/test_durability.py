"""kill -9 in the middle of a vote burst: every acknowledged vote survives, tallies exact."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


@pytest.mark.slow
def test_kill_9_mid_burst_loses_no_acknowledged_vote(tmp_path: Path) -> None:
    # LiveServer already lifts the per-address join limits for the 120 voters from one address.
    server = LiveServer(tmp_path / "data").start()
    voters = 120
    try:
        room = create_room(server.http)
        code = room["code"]
        people = [join(server.http, code) for _ in range(voters)]

        async def burst() -> tuple[dict[str, dict[str, Any]], int]:
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
            acked: dict[str, dict[str, Any]] = {}  # participant -> the ack's receipt

            async def vote(i: int) -> None:
                try:
                    answer = await clients[i].op("vote", poll_id=poll, choice=i % 3, timeout=5)
                except Exception:
                    return
                if answer["type"] == "ack":
                    acked[people[i]["participant_id"]] = answer["receipt"]

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
        # Ballots stand under keys that name no one: each ack's receipt finds its entry.
        ballots = {e["actor"]: e["data"] for e in entries if e["type"] == "ballot.cast"}
        for receipt in acked.values():
            found = entries[receipt["seq"] - 1]
            assert found["hash"] == receipt["hash"], "an acknowledged vote was lost"
            assert found["type"] == "ballot.cast"
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


def test_restart_rebuilds_from_a_snapshot_plus_the_log_tail(tmp_path: Path) -> None:
    """Snapshots every 7 entries; kill -9; the rebuilt room equals the live one exactly."""
    server = LiveServer(tmp_path / "data", env={"TOWNHALL_SNAPSHOT_EVERY": "7"}).start()
    try:
        room = create_room(server.http, moderation="post")
        code = room["code"]
        people = [join(server.http, code, name=f"N{i}") for i in range(6)]

        async def meeting() -> None:
            mod = await Client.open(server.ws, code, room["moderator_token"])
            poll = (await mod.op("poll.create", kind="rating", question="How?", scale=5))["poll_id"]
            await mod.op("poll.open", poll_id=poll)
            for i, person in enumerate(people):
                c = await Client.open(server.ws, code, person["participant_token"])
                await c.op("vote", poll_id=poll, choice=1 + i % 5)
                asked = await c.op("question.ask", text=f"Question {i}", anonymous=i % 2 == 0)
                await c.op("speaker.request", topic=f"topic {i}")
                if i:
                    await c.op("question.upvote", question_id=first_question[0])
                else:
                    first_question.append(asked["question_id"])
                await c.close()
            await mod.op("speaker.next")
            await mod.close()

        first_question: list[int] = []
        asyncio.run(meeting())
        moderator = {"authorization": f"Bearer {room['moderator_token']}"}
        before = httpx.get(f"{server.http}/api/rooms/{code}", headers=moderator).json()
        assert before["seq"] > 21  # several snapshots were taken on the way
        time.sleep(0.5)  # snapshots are written off the ack path
        server.kill()
        with sqlite3.connect(tmp_path / "data" / "townhall.db") as db:
            (snapshot_seq,) = db.execute(
                "SELECT seq FROM snapshots WHERE room = ?", (code,)
            ).fetchone()
        db.close()
        assert 7 <= snapshot_seq <= before["seq"]  # the rebuild below starts from a snapshot
        server.start()
        after = httpx.get(f"{server.http}/api/rooms/{code}", headers=moderator).json()
        assert after == before
    finally:
        server.stop()
