"""Items 9, 11, 15: one ballot per person whatever the network does; bad votes change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.security.helpers import seq_of, snapshot
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


def _voters(server: LiveServer, code: str, mod: str, poll_id: int) -> int:
    polls = snapshot(server.http, code, mod)["room"]["polls"]
    return int(next(p for p in polls if p["poll_id"] == poll_id)["results"]["voters"])


async def _open_poll(boss: Client, **fields: Any) -> int:
    created = await boss.op(
        "poll.create", **{"kind": "single", "question": "Q?", "options": ["a", "b", "c"], **fields}
    )
    await boss.op("poll.open", poll_id=created["poll_id"])
    return int(created["poll_id"])


def test_the_same_op_id_resent_after_a_reconnect_is_one_event(server: LiveServer) -> None:
    room = create_room(server.http, vote_changes=False)
    code, mod = room["code"], room["moderator_token"]
    person = join(server.http, code)

    async def scenario() -> None:
        boss = await Client.open(server.ws, code, mod)
        poll_id = await _open_poll(boss)
        first = await Client.open(server.ws, code, person["participant_token"])
        ack = await first.op("vote", op_id="ballot-1", poll_id=poll_id, choice=1)
        assert ack["type"] == "ack"
        await first.close()
        before = seq_of(server.http, code, mod)
        again = await Client.open(server.ws, code, person["participant_token"])
        for _ in range(3):
            dup = await again.op("vote", op_id="ballot-1", poll_id=poll_id, choice=1)
            assert dup["type"] == "ack" and dup.get("duplicate") is True
            assert dup["seq"] == ack["seq"] and dup["poll_id"] == poll_id
        assert seq_of(server.http, code, mod) == before
        assert _voters(server, code, mod, poll_id) == 1
        await again.close()
        await boss.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("binary", [False, True], ids=["json", "msgpack"])
def test_reset_after_sending_a_vote_before_its_ack_then_resend_counts_once(
    server: LiveServer, binary: bool
) -> None:
    """Item 15: the TCP connection dies with the vote in flight; the client cannot know whether
    it counted, resends it (same op_id) on a new socket, and it counts exactly once."""
    room = create_room(server.http, vote_changes=False)
    code, mod = room["code"], room["moderator_token"]
    people = [join(server.http, code) for _ in range(10)]

    async def scenario() -> None:
        boss = await Client.open(server.ws, code, mod)
        poll_id = await _open_poll(boss)
        for i, person in enumerate(people):
            phone = await Client.open(server.ws, code, person["participant_token"], binary=binary)
            await phone.wait_for(lambda f: f["type"] == "snapshot")
            await phone.send("vote", op_id=f"v-{i}", poll_id=poll_id, choice=i % 3)
            if i % 2:
                await asyncio.sleep(0.05)  # sometimes the vote got through before the reset
            phone.ws.transport.abort()  # a reset: no close frame, the ack (if any) is lost
            await asyncio.wait_for(phone.closed, 5)
            again = await Client.open(server.ws, code, person["participant_token"], binary=binary)
            answer = await again.op("vote", op_id=f"v-{i}", poll_id=poll_id, choice=i % 3)
            assert answer["type"] == "ack", answer
            await again.close()
        assert _voters(server, code, mod, poll_id) == len(people)
        counts = next(
            p for p in snapshot(server.http, code, mod)["room"]["polls"] if p["poll_id"] == poll_id
        )["results"]["counts"]
        assert counts == [4, 3, 3]
        await boss.close()

    asyncio.run(scenario())


def test_votes_on_closed_unknown_draft_or_other_rooms_polls_and_bad_choices_change_nothing(
    server: LiveServer,
) -> None:
    room, other = create_room(server.http), create_room(server.http)
    code, mod = room["code"], room["moderator_token"]
    person = join(server.http, code)

    async def scenario() -> None:
        boss = await Client.open(server.ws, code, mod)
        stranger = await Client.open(server.ws, other["code"], other["moderator_token"])
        foreign = await _open_poll(stranger)  # a poll that exists, in another room
        open_id = await _open_poll(boss)
        rating = await _open_poll(boss, kind="rating", options=[], scale=5)
        ranking = await _open_poll(boss, kind="ranking")
        budget = await _open_poll(boss, kind="budget", total=10)
        multiple = await _open_poll(boss, kind="multiple", max_selections=2)
        closed = await _open_poll(boss)
        await boss.op("poll.close", poll_id=closed)
        draft = (await boss.op("poll.create", kind="single", question="D?", options=["a", "b"]))[
            "poll_id"
        ]
        phone = await Client.open(server.ws, code, person["participant_token"])
        before = seq_of(server.http, code, mod)
        cases = [
            ({"poll_id": closed, "choice": 0}, {"poll.closed"}),
            ({"poll_id": draft, "choice": 0}, {"poll.not_open"}),
            ({"poll_id": 999_999, "choice": 0}, {"poll.not_found"}),
            ({"poll_id": foreign, "choice": 0}, {"poll.not_found", "poll.not_open"}),
            ({"poll_id": open_id, "choice": 3}, {"vote.invalid_choice"}),
            ({"poll_id": open_id, "choice": -1}, {"vote.invalid_choice"}),
            ({"poll_id": open_id, "choice": 2**64}, {"vote.invalid_choice", "field.invalid"}),
            ({"poll_id": open_id, "choice": True}, {"vote.invalid_choice", "field.invalid"}),
            ({"poll_id": open_id, "choice": "0"}, {"vote.invalid_choice", "field.invalid"}),
            ({"poll_id": open_id, "choice": [0]}, {"vote.invalid_choice", "field.invalid"}),
            ({"poll_id": open_id}, {"field.missing"}),
            ({"poll_id": rating, "choice": 6}, {"vote.invalid_choice"}),
            ({"poll_id": rating, "choice": 0}, {"vote.invalid_choice"}),
            ({"poll_id": ranking, "choice": [0, 0, 1]}, {"vote.invalid_choice"}),
            ({"poll_id": ranking, "choice": [0, 1]}, {"vote.invalid_choice"}),
            ({"poll_id": budget, "choice": {"0": 11}}, {"vote.invalid_choice"}),
            ({"poll_id": budget, "choice": {"0": -1}}, {"vote.invalid_choice"}),
            ({"poll_id": budget, "choice": {"7": 1}}, {"vote.invalid_choice"}),
            ({"poll_id": multiple, "choice": [0, 1, 2]}, {"vote.invalid_choice"}),
            ({"poll_id": multiple, "choice": [1, 1]}, {"vote.invalid_choice"}),
            ({"poll_id": multiple, "choice": []}, {"vote.invalid_choice"}),
        ]
        for fields, codes in cases:
            answer = await phone.op("vote", **fields)
            assert answer["type"] == "error" and answer["code"] in codes, (fields, answer)
        assert seq_of(server.http, code, mod) == before  # no event for any of them
        for c in (boss, stranger, phone):
            await c.close()

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def forgetful(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Rooms remember only their last 5 op results: older retries must go to the store."""
    live = LiveServer(
        Path(tmp_path_factory.mktemp("forgetful")), env={"TOWNHALL_LIMIT_RECENT_OPS": "5"}
    ).start()
    yield live
    live.stop()


def test_a_retry_long_after_its_first_copy_is_still_one_event(forgetful: LiveServer) -> None:
    """Item 9 beyond the room's memory: the transcript keeps each op_id once, for good."""
    server = forgetful
    room = create_room(server.http, vote_changes=False)
    code, mod = room["code"], room["moderator_token"]
    person, other = join(server.http, code), join(server.http, code)

    async def scenario() -> None:
        boss = await Client.open(server.ws, code, mod)
        poll_id = await _open_poll(boss)
        phone = await Client.open(server.ws, code, person["participant_token"])
        asked = await phone.op("question.ask", op_id="q-1", text="Will the pool reopen?")
        voted = await phone.op("vote", op_id="ballot-1", poll_id=poll_id, choice=2)
        clapped = await phone.op("react", op_id="clap-1", emoji="👏")
        assert asked["type"] == voted["type"] == clapped["type"] == "ack"
        await phone.close()
        crowd = await Client.open(server.ws, code, other["participant_token"])
        for n in range(8):  # push both ops out of the room's memory
            assert (await crowd.op("react", op_id=f"r-{n}", emoji="👏"))["type"] == "ack"
        await boss.op("poll.close", poll_id=poll_id)
        before = seq_of(server.http, code, mod)

        again = await Client.open(server.ws, code, person["participant_token"])
        # Decided afresh this would be a second reaction: the store finds the first copy.
        dup_r = await again.op("react", op_id="clap-1", emoji="👏")
        assert dup_r["type"] == "ack" and dup_r["duplicate"] is True, dup_r
        assert dup_r["seq"] == clapped["seq"]
        # Decided afresh this is "text.repeated": the store says it was taken, at its seq.
        dup_q = await again.op("question.ask", op_id="q-1", text="Will the pool reopen?")
        assert dup_q["type"] == "ack" and dup_q["duplicate"] is True, dup_q
        assert dup_q["seq"] == asked["seq"] and dup_q["receipt"]["seq"] == asked["seq"]
        # The poll has closed since: still "your vote counted", not "poll.closed".
        dup_v = await again.op("vote", op_id="ballot-1", poll_id=poll_id, choice=2)
        assert dup_v["type"] == "ack" and dup_v["duplicate"] is True, dup_v
        assert dup_v["seq"] == voted["seq"] and dup_v["receipt"] == voted["receipt"]
        fresh = await again.op("vote", op_id="ballot-2", poll_id=poll_id, choice=0)
        assert fresh["type"] == "error" and fresh["code"] == "poll.closed"
        assert seq_of(server.http, code, mod) == before
        questions = snapshot(server.http, code, mod)["room"]["questions"]
        assert [q["question_id"] for q in questions] == [asked["question_id"]]
        assert _voters(server, code, mod, poll_id) == 1
        for client in (again, crowd, boss):
            await client.close()

    asyncio.run(scenario())
