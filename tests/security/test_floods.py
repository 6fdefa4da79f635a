"""Issue 13 item 7: floods under the rate limits, met through a real server."""

from __future__ import annotations

import asyncio
import json
from typing import Any

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


def test_the_moderator_queue_is_paged_on_the_panel_and_the_socket(server: LiveServer) -> None:
    room = create_room(server.http, questions_pending_max=40, questions_per_minute=60)
    code = room["code"]
    people = [join(server.http, code, name=f"P{i}") for i in range(2)]

    async def flood() -> Client:
        mod = await Client.open(server.ws, code, room["moderator_token"])
        for n, person in enumerate(people):
            c = await Client.open(server.ws, code, person["participant_token"])
            for i in range(30):  # inside the socket's burst of 30
                answer = await c.op("question.ask", text=f"Question {n}-{i}?")
                assert answer["type"] == "ack", answer
            await c.close()
        await mod.wait_for(lambda f: f["type"] == "moderation.queue" and f["pending_total"] == 60)
        return mod

    async def scenario() -> None:
        mod = await flood()
        queues = [f for f in mod.frames if f["type"] == "moderation.queue"]
        assert all(len(f["questions"]) <= 50 for f in queues)
        asked = [f for f in mod.frames if f["type"] == "question.asked"]
        assert len(asked) == 50  # the ten beyond the first page are only counted
        await mod.close()
        again = await Client.open(server.ws, code, room["moderator_token"])
        snapshot = await again.wait_for(lambda f: f["type"] == "snapshot")
        assert snapshot["room"]["pending_total"] == 60
        assert len(snapshot["room"]["questions"]) == 50
        await again.close()

    asyncio.run(scenario())
    with httpx.Client(base_url=server.http, timeout=10, follow_redirects=True) as browser:
        first = browser.get(room["urls"]["moderate"])
        assert first.status_code == 200
        assert first.text.count('id="mq-t-') == 50
        assert "Waiting: 1\u201350 of 60" in first.text
        assert f'href="/r/{code}/moderate?qpage=2#queue"' in first.text
        second = browser.get(f"/r/{code}/moderate?qpage=2")
        assert second.text.count('id="mq-t-') == 10 and "Waiting: 51\u201360 of 60" in second.text
        panel = browser.get(f"/r/{code}/moderate/panel?qpage=2")
        assert panel.text.count('id="mq-t-') == 10


def test_reactions_are_logged_as_one_counted_entry_per_window(server: LiveServer) -> None:
    room = create_room(server.http)
    code, mod = room["code"], room["moderator_token"]
    alice = join(server.http, code, name="Alice")
    bob = join(server.http, code, name="Bob")

    async def scenario() -> list[dict[str, Any]]:
        sockets = [await Client.open(server.ws, code, alice["participant_token"]) for _ in range(4)]
        b = await Client.open(server.ws, code, bob["participant_token"])
        taps = [s.op("react", emoji="👍") for s in sockets for _ in range(6)]
        answers = await asyncio.gather(*taps, b.op("react", emoji="❤️"))
        # a client may not write a window itself
        forged = await b.op("reactions.count", window_start=0, counts={"👍": 1000})
        assert forged["type"] == "error", forged
        for s in [*sockets, b]:
            await s.close()
        return list(answers)

    answers = asyncio.run(scenario())
    acks = [a for a in answers if a["type"] == "ack"]
    counted = [a for a in acks if a.get("counted")]
    assert counted and all("receipt" in a for a in counted)  # acked at the window's commit
    assert len(counted) < len(acks)  # alice's taps past her share were answered, not counted
    auth = {"Authorization": f"Bearer {mod}"}
    lines = httpx.get(f"{server.http}/api/rooms/{code}/transcript", headers=auth).text
    entries = [json.loads(line) for line in lines.splitlines() if line]
    assert not [e for e in entries if e["type"] == "reaction.sent"]
    windows = [e for e in entries if e["type"] == "reactions.counted"]
    assert 1 <= len(windows) <= 4
    logged = sum(n for w in windows for n in w["data"]["counts"].values())
    assert logged == len(counted)
    report = httpx.get(f"{server.http}/api/rooms/{code}/report", headers=auth).json()
    assert report["reactions"]["total"] == logged
    snapshot = httpx.get(f"{server.http}/api/rooms/{code}", headers=auth).json()
    assert sum(snapshot["room"]["reactions"]["counts"].values()) == logged
