"""Every op over a real WebSocket: its ack, its error, and idempotency by op_id."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join, results_of


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
def test_a_meeting_end_to_end(server: LiveServer, binary: bool) -> None:
    async def meeting() -> None:
        room = create_room(server.http, "Town hall")
        code = room["code"]
        mod = await Client.open(server.ws, code, room["moderator_token"], binary=binary)
        first = await mod.wait_for(lambda f: True)
        assert first["type"] == "snapshot" and first["you"]["role"] == "organiser"
        people = [join(server.http, code, name=f"P{i}") for i in range(3)]
        clients = [
            await Client.open(server.ws, code, p["participant_token"], binary=binary)
            for p in people
        ]
        screen = await Client.open(server.ws, code, room["screen_token"], binary=binary)
        for c in [*clients, screen]:
            assert (await c.wait_for(lambda f: True))["type"] == "snapshot"

        created = await mod.op(
            "poll.create",
            kind="single",
            question="Extend the bus lane?",
            options=["yes", "no", "unsure"],
        )
        assert created["type"] == "ack" and isinstance(created["poll_id"], int)
        poll_id = created["poll_id"]
        assert (await mod.op("poll.open", poll_id=poll_id))["type"] == "ack"
        assert (await mod.op("poll.reveal", poll_id=poll_id))["type"] == "ack"
        for i, c in enumerate(clients):
            ack = await c.op("vote", poll_id=poll_id, choice=i % 2)
            assert ack["type"] == "ack" and ack["receipt"]["hash"]
        tally = await screen.wait_for(lambda f: (results_of(f, poll_id) or {}).get("voters") == 3)
        assert results_of(tally, poll_id)["counts"] == [2, 1, 0]  # type: ignore[index]
        assert isinstance(tally["seq"], int)

        asked = await clients[0].op(
            "question.ask", text="When will the library reopen?", anonymous=False
        )
        assert asked["type"] == "ack"
        qid = asked["question_id"]
        assert (await mod.op("question.approve", question_id=qid))["type"] == "ack"
        assert (await clients[1].op("question.upvote", question_id=qid))["type"] == "ack"
        dup = await clients[1].op("question.upvote", question_id=qid)
        assert dup["type"] == "error" and dup["code"] == "upvote.duplicate"
        seen = await clients[2].wait_for(
            lambda f: (
                f.get("question", {}).get("question_id") == qid and f["question"]["upvotes"] == 1
            )
        )
        assert seen["question"]["text"] == "When will the library reopen?"
        assert (await mod.op("question.pin", question_id=qid))["type"] == "ack"
        assert (await mod.op("question.answer", question_id=qid, text="In March."))["type"] == "ack"

        assert (await clients[2].op("speaker.request", topic="Parking"))["type"] == "ack"
        assert (await mod.op("speaker.next"))["type"] == "ack"
        assert (await clients[0].op("react", emoji="👏"))["type"] == "ack"
        banned = await mod.op(
            "participant.ban", participant_id=people[2]["participant_id"], reason="abusive"
        )
        assert banned["type"] == "ack"
        code_, _ = await asyncio.wait_for(clients[2].closed, 10)
        assert code_ == 4003
        assert (await mod.op("poll.close", poll_id=poll_id))["type"] == "ack"
        late = await clients[0].op("vote", poll_id=poll_id, choice=1)
        assert late["type"] == "error" and late["code"] == "poll.closed"
        for c in [mod, *clients, screen]:
            await c.close()

    run(meeting())


def test_same_op_id_twice_is_one_event_and_the_same_answer(server: LiveServer) -> None:
    async def scenario() -> None:
        room = create_room(server.http)
        mod = await Client.open(server.ws, room["code"], room["moderator_token"])
        first = await mod.op(
            "poll.create", op_id="same", kind="single", question="Q?", options=["a", "b"]
        )
        # Sent twice without waiting: the second copy must not become a second poll.
        await mod.send(
            "poll.create", op_id="twice", kind="single", question="R?", options=["a", "b"]
        )
        second = await mod.op(
            "poll.create", op_id="twice", kind="single", question="R?", options=["a", "b"]
        )
        again = await mod.op(
            "poll.create", op_id="same", kind="single", question="Q?", options=["a", "b"]
        )
        assert again["poll_id"] == first["poll_id"] and again.get("duplicate") is True
        snapshot = await mod.wait_for(lambda f: f["type"] == "snapshot")
        await mod.close()
        fresh = await Client.open(server.ws, room["code"], room["moderator_token"])
        snap = await fresh.wait_for(lambda f: f["type"] == "snapshot")
        polls = snap["room"]["polls"]
        assert sorted(p["poll_id"] for p in polls) == sorted({first["poll_id"], second["poll_id"]})
        assert snapshot["seq"] <= snap["seq"]
        await fresh.close()

    run(scenario())


def test_attendee_cannot_act_as_moderator_and_screen_cannot_vote(server: LiveServer) -> None:
    async def scenario() -> None:
        room = create_room(server.http)
        person = join(server.http, room["code"])
        att = await Client.open(server.ws, room["code"], person["participant_token"])
        refused = await att.op("poll.create", kind="single", question="Mine?", options=["a", "b"])
        assert refused["type"] == "error" and refused["code"] == "auth.forbidden"
        embed = await Client.open(server.ws, room["code"], room["embed_token"])
        refused = await embed.op("vote", poll_id=1, choice=0)
        assert refused["code"] == "auth.forbidden"
        unknown = await att.op("poll.explode")
        assert unknown["type"] == "error" and unknown["code"] in ("op.unknown", "auth.forbidden")
        await att.close()
        await embed.close()

    run(scenario())


def test_a_poll_reopened_with_a_new_deadline_closes_again_on_time(server: LiveServer) -> None:
    """The server closes timed polls itself; its op_id names the deadline, so the second
    deadline of a reopened poll is a new op, not a retry of the first close."""

    async def scenario() -> None:
        room = create_room(server.http, "Timed")
        mod = await Client.open(server.ws, room["code"], room["moderator_token"])
        created = await mod.op("poll.create", kind="single", question="Now?", options=["a", "b"])
        poll_id = created["poll_id"]

        async def closes_by_itself() -> None:
            await mod.op("poll.open", poll_id=poll_id, duration_s=1)
            start = len(mod.frames)
            for _ in range(200):  # up to 10 s; the timer checks every 0.25 s
                if any(_poll_state(f, poll_id) == "closed" for f in mod.frames[start:]):
                    return
                await asyncio.sleep(0.05)
            raise AssertionError("the poll did not close at its deadline")

        await closes_by_itself()
        await closes_by_itself()  # reopened: a second, later deadline
        await mod.close()

    run(scenario())


def _poll_state(frame: dict[str, Any], poll_id: int) -> str | None:
    polls = [frame.get("poll") or {}, *((frame.get("room") or {}).get("polls") or [])]
    for poll in polls:
        if poll.get("poll_id") == poll_id:
            return str(poll.get("state"))
    return None


def test_ops_only_the_server_sends_are_refused_from_clients(server: LiveServer) -> None:
    """participant.join over the socket would dodge the join budget; room.create likewise."""
    room = create_room(server.http)
    person = join(server.http, room["code"])

    async def scenario() -> None:
        phone = await Client.open(server.ws, room["code"], person["participant_token"])
        for op in ("participant.join", "room.create"):
            answer = await phone.op(op, name="Sybil")
            assert answer["type"] == "error" and answer["code"] == "op.unknown", answer
        await phone.close()

    asyncio.run(scenario())
    over_http = httpx.post(
        f"{server.http}/api/rooms/{room['code']}/ops",
        json={"op": "participant.join", "op_id": "j1"},
        headers={"authorization": f"Bearer {person['participant_token']}"},
    )
    assert over_http.status_code == 400 and over_http.json()["error"]["code"] == "op.unknown"
