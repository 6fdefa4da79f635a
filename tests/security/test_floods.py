"""Issue 13 item 7: floods under the rate limits, met through a real server."""

from __future__ import annotations

import asyncio

import httpx

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


def test_one_person_cannot_fill_the_moderator_queue(server: LiveServer) -> None:
    room = create_room(server.http)
    code = room["code"]
    alice = join(server.http, code, name="Alice")
    bob = join(server.http, code, name="Bob")

    async def scenario() -> None:
        a = await Client.open(server.ws, code, alice["participant_token"])
        answers = [
            await a.op("question.ask", text=f"Why the potholes, part {i}?") for i in range(12)
        ]
        acked = [f for f in answers if f["type"] == "ack"]
        refused = {f.get("code") for f in answers if f["type"] == "error"}
        assert len(acked) == 5, answers
        assert refused == {"question.too_many_pending"}
        # a bystander still asks
        b = await Client.open(server.ws, code, bob["participant_token"])
        assert (await b.op("question.ask", text="And the buses?"))["type"] == "ack"
        await a.close()
        await b.close()

    asyncio.run(scenario())
    # the HTTP API answers the same code, with 409
    r = httpx.post(
        f"{server.http}/api/rooms/{code}/ops",
        headers={"Authorization": f"Bearer {alice['participant_token']}"},
        json={"op": "question.ask", "op_id": "h-1", "text": "Over HTTP?"},
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "question.too_many_pending"


def test_asking_faster_than_the_room_allows_is_refused(server: LiveServer) -> None:
    room = create_room(server.http, moderation="post", questions_per_minute=3)
    code = room["code"]
    alice = join(server.http, code, name="Alice")

    async def scenario() -> None:
        a = await Client.open(server.ws, code, alice["participant_token"])
        answers = [await a.op("question.ask", text=f"Question {i}?") for i in range(5)]
        assert [f["type"] for f in answers] == ["ack"] * 3 + ["error"] * 2
        assert answers[-1]["code"] == "question.too_fast"
        await a.close()

    asyncio.run(scenario())
