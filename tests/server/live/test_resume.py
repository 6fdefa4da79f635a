"""Resume: inside the log window a client gets exactly what it missed; beyond it, a snapshot."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join, results_of


def _server_with(factory: pytest.TempPathFactory, name: str, env: dict[str, str]) -> LiveServer:
    return LiveServer(Path(factory.mktemp(name)), env=env).start()


@pytest.fixture(scope="module")
def small_window(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = _server_with(
        tmp_path_factory, "small-window", {"TOWNHALL_LIMIT_RESUME_WINDOW_TICKS": "3"}
    )
    yield live
    live.stop()


def test_resume_inside_the_window_sends_only_the_missed_frames(server: LiveServer) -> None:
    async def scenario() -> None:
        room = create_room(server.http)
        code = room["code"]
        mod = await Client.open(server.ws, code, room["moderator_token"])
        person = join(server.http, code)
        watcher = await Client.open(server.ws, code, person["participant_token"])
        first = await watcher.wait_for(lambda f: f["type"] == "snapshot")
        poll = await mod.op("poll.create", kind="single", question="Before?", options=["a", "b"])
        await mod.op("poll.open", poll_id=poll["poll_id"])
        seen = await watcher.wait_for(lambda f: f.get("poll", {}).get("state") == "open")
        last_seen = seen["seq"]
        await watcher.close()

        # While it is away: a reveal and a vote.
        await mod.op("poll.reveal", poll_id=poll["poll_id"])
        voter = await Client.open(server.ws, code, join(server.http, code)["participant_token"])
        await voter.op("vote", poll_id=poll["poll_id"], choice=1)
        await mod.wait_for(lambda f: (results_of(f, poll["poll_id"]) or {}).get("voters") == 1)

        back = await Client.open(server.ws, code, person["participant_token"], since=last_seen)
        tally = await back.wait_for(
            lambda f: (results_of(f, poll["poll_id"]) or {}).get("voters") == 1
        )
        assert results_of(tally, poll["poll_id"])["counts"] == [0, 1]  # type: ignore[index]
        assert all(f["type"] != "snapshot" for f in back.frames)
        assert all(f["seq"] > last_seen for f in back.frames)
        assert first["seq"] < last_seen
        for c in (mod, voter, back):
            await c.close()

    asyncio.run(scenario())


def test_resume_beyond_the_window_gets_a_fresh_snapshot(small_window: LiveServer) -> None:
    server = small_window

    async def scenario() -> None:
        room = create_room(server.http)
        code = room["code"]
        mod = await Client.open(server.ws, code, room["moderator_token"])
        person = join(server.http, code)
        watcher = await Client.open(server.ws, code, person["participant_token"])
        snap = await watcher.wait_for(lambda f: f["type"] == "snapshot")
        await watcher.close()
        poll_ids = []
        for i in range(6):  # six separate ticks: more than the window of 3
            poll = await mod.op("poll.create", kind="single", question=f"Q{i}", options=["a", "b"])
            await mod.op("poll.open", poll_id=poll["poll_id"])
            await mod.wait_for(
                lambda f, p=poll["poll_id"]: (
                    f.get("poll", {}).get("poll_id") == p and f["poll"]["state"] == "open"
                )
            )
            poll_ids.append(poll["poll_id"])
        back = await Client.open(server.ws, code, person["participant_token"], since=snap["seq"])
        fresh = await back.wait_for(lambda f: True)
        assert fresh["type"] == "snapshot"
        assert sorted(p["poll_id"] for p in fresh["room"]["polls"]) == poll_ids
        await mod.close()
        await back.close()

    asyncio.run(scenario())


def test_resume_from_the_future_catches_up_and_sends_a_snapshot(server: LiveServer) -> None:
    async def scenario() -> None:
        room = create_room(server.http)
        client = await Client.open(server.ws, room["code"], room["moderator_token"], since=10_000)
        first = await client.wait_for(lambda f: True)
        assert first["type"] == "snapshot"
        await client.close()

    asyncio.run(scenario())


def test_a_resumed_attendee_learns_what_happened_to_them_while_away(server: LiveServer) -> None:
    """Personal facts (your question rejected, your place in the queue) are not in the shared
    resume window; a resume inside it ends with a `you` frame that holds them all."""

    async def scenario() -> None:
        room = create_room(server.http, moderation="pre")
        code = room["code"]
        mod = await Client.open(server.ws, code, room["moderator_token"])
        person = join(server.http, code, name="Ana")
        phone = await Client.open(server.ws, code, person["participant_token"])
        await phone.wait_for(lambda f: f["type"] == "snapshot")
        asked = await phone.op("question.ask", text="Can we talk about parking?")
        await phone.op("speaker.request", topic="parking")
        poll = await mod.op("poll.create", kind="single", question="Now?", options=["a", "b"])
        await mod.op("poll.open", poll_id=poll["poll_id"])
        seen = await phone.wait_for(lambda f: f.get("poll", {}).get("state") == "open")
        await phone.close()

        # While it is away: its question is rejected and someone queues after it.
        rejected = await mod.op(
            "question.reject", question_id=asked["question_id"], reason="off_topic"
        )
        assert rejected["type"] == "ack", rejected
        other = join(server.http, code, name="Ben")
        ben = await Client.open(server.ws, code, other["participant_token"])
        await ben.op("speaker.request", topic="trees")
        await mod.op("poll.close", poll_id=poll["poll_id"])
        await mod.wait_for(lambda f: f.get("poll", {}).get("state") == "closed")

        back = await Client.open(server.ws, code, person["participant_token"], since=seen["seq"])
        you = (await back.wait_for(lambda f: f["type"] == "you"))["you"]
        assert all(f["type"] != "snapshot" for f in back.frames)  # served from the window
        [question] = you["questions"]
        assert question["state"] == "rejected" and question["reason"] == "off_topic"
        assert you["speaker"] == {"position": 1, "speaking": False}
        assert you["participant_id"] == person["participant_id"]
        # Its seq never runs ahead of the shared frames it came with.
        shared = [f["seq"] for f in back.frames if f["type"] not in ("you", "ack", "pong")]
        assert shared and you_seq(back) == max(shared)
        for c in (mod, ben, back):
            await c.close()

    asyncio.run(scenario())


def you_seq(client: Client) -> int:
    return int(next(f for f in client.frames if f["type"] == "you")["seq"])


@pytest.fixture(scope="module")
def small_byte_window(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    env = {"TOWNHALL_LIMIT_RESUME_WINDOW_BYTES": "1500"}
    live = _server_with(tmp_path_factory, "small-byte-window", env)
    yield live
    live.stop()


def test_wordy_questions_past_the_byte_window_send_a_returning_phone_an_exact_snapshot(
    small_byte_window: LiveServer,
) -> None:
    """Long questions make kilobyte ticks: past the ring's bytes (not its 512 ticks) a phone
    coming back gets a snapshot holding every one, and a phone that stayed saw each live."""
    server = small_byte_window

    async def scenario() -> None:
        room = create_room(server.http, moderation="post")  # public at once, to every phone
        code = room["code"]
        mod = await Client.open(server.ws, code, room["moderator_token"])
        stayer = await Client.open(server.ws, code, join(server.http, code)["participant_token"])
        person = join(server.http, code)
        away = await Client.open(server.ws, code, person["participant_token"])
        snap = await away.wait_for(lambda f: f["type"] == "snapshot")
        await away.close()
        texts = []
        for i in range(6):  # six askers, six ticks of a long question each
            asker = await Client.open(server.ws, code, join(server.http, code)["participant_token"])
            text = (f"Question {i}: " + "will the new bus lanes on Hancock Street " * 6).strip()
            asked = await asker.op("question.ask", text=text)
            assert asked["type"] == "ack", asked
            texts.append(text)
            await mod.wait_for(lambda f, t=text: t in str(f))
            await asker.close()
        back = await Client.open(server.ws, code, person["participant_token"], since=snap["seq"])
        fresh = await back.wait_for(lambda f: True)
        assert fresh["type"] == "snapshot", "1,500 bytes cannot hold six such ticks"
        assert sorted(q["text"] for q in fresh["room"]["questions"]) == sorted(texts)
        for text in texts:  # the phone that stayed was sent each one as it came
            await stayer.wait_for(lambda f, t=text: t in str(f))
        for c in (mod, stayer, back):
            await c.close()

    asyncio.run(scenario())
