"""Three server processes, one room, one PostgreSQL schema, one Redis: a burst of votes,
questions and upvotes through all three ends identical everywhere."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from tests.scale.cluster import (
    assert_monotonic,
    cluster,
    converge,
    receipts_in,
    recount,
    transcript,
)
from tests.support.wsclient import Client, create_room, join, results_of

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

PEOPLE = 60
OPTIONS = 3


def _last_question_frames(client: Client) -> dict[int, dict[str, Any]]:
    """Each question as the client last saw it (frames are upserts)."""
    seen: dict[int, dict[str, Any]] = {}
    for frame in client.frames:
        if frame["type"] == "snapshot":
            for q in frame["room"].get("questions", []):
                seen[q["question_id"]] = q
        elif isinstance(frame.get("question"), dict):
            seen[frame["question"]["question_id"]] = frame["question"]
    return seen


def _last_results(client: Client, poll_id: int) -> dict[str, Any] | None:
    last = None
    for frame in client.frames:
        results = results_of(frame, poll_id)
        if results is not None:
            last = results
    return last


def test_three_processes_serve_one_room_identically(
    tmp_path: Path, pg_url: str, shared_redis: str
) -> None:
    with cluster(tmp_path, 3, pg_url, shared_redis) as procs:
        room = create_room(procs[0].http, moderation="post", vote_changes=False)
        code, mod_token = room["code"], room["moderator_token"]
        people = [join(procs[i % 3].http, code) for i in range(PEOPLE)]

        async def scenario() -> None:
            mods = [await Client.open(p.ws, code, mod_token) for p in procs]
            poll = await mods[0].op(
                "poll.create", kind="single", question="Budget?", options=["a", "b", "c"]
            )
            poll_id = poll["poll_id"]
            # Straight away through the other processes, which may not have applied the
            # create yet: a refusal is re-checked at the store's head before it is final.
            assert (await mods[1].op("poll.open", poll_id=poll_id))["type"] == "ack"
            assert (await mods[2].op("poll.reveal", poll_id=poll_id))["type"] == "ack"
            clients = await asyncio.gather(
                *(
                    Client.open(procs[i % 3].ws, code, p["participant_token"])
                    for i, p in enumerate(people)
                )
            )
            # Questions first, from every process, so that upvotes can target them all.
            asked = await asyncio.gather(
                *(clients[i].op("question.ask", text=f"Question {i}?") for i in range(9))
            )
            question_ids = [a["question_id"] for a in asked]
            assert all(a["type"] == "ack" for a in asked)
            for client in clients:  # every process has applied every question
                await client.wait_for(
                    lambda f, c=client: set(question_ids) <= set(_last_question_frames(c))
                )

            rng = random.Random(5)
            acked_votes: dict[str, dict[str, Any]] = {}  # participant -> receipt

            async def act(i: int) -> None:
                client = clients[i]
                choice = i % OPTIONS
                jobs: list[Any] = [client.op("vote", poll_id=poll_id, choice=choice)]
                for qid in rng.sample(question_ids, 3):
                    jobs.append(client.op("question.upvote", question_id=qid))
                if i % 10 == 0:
                    jobs.append(client.op("question.ask", text=f"Late question {i}?"))
                answers = await asyncio.gather(*jobs)
                assert all(a["type"] == "ack" for a in answers), answers
                acked_votes[people[i]["participant_id"]] = answers[0]["receipt"]

            await asyncio.gather(*(act(i) for i in range(PEOPLE)))
            # A final change every role sees, so every socket must end on the same seq.
            final = await mods[0].op("poll.close", poll_id=poll_id)
            snaps = await converge(procs, code, mod_token)
            head = snaps[0]["seq"]
            assert final["seq"] == head

            everyone = [*clients, *mods]
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while any(c.seq != head for c in everyone) and loop.time() < deadline:
                await asyncio.sleep(0.05)
            assert sorted({c.seq for c in everyone}) == [head], "clients ended on other seqs"
            for client in everyone:
                assert_monotonic(client)

            # What clients last saw equals the final snapshot, on every process.
            final_poll = next(p for p in snaps[0]["room"]["polls"] if p["poll_id"] == poll_id)
            for client in everyone:
                assert _last_results(client, poll_id) == final_poll["results"]
            mod_questions = {q["question_id"]: q for q in snaps[0]["room"]["questions"]}
            for client in clients:
                seen = _last_question_frames(client)
                for qid, question in mod_questions.items():
                    assert seen[qid]["upvotes"] == question["upvotes"], qid

            entries = await asyncio.to_thread(transcript, procs[2], code, mod_token)
            assert receipts_in(entries, acked_votes.values()), "an acked vote is not in the log"
            assert final_poll["results"]["counts"] == recount(entries, poll_id, OPTIONS)
            assert final_poll["results"]["voters"] == PEOPLE
            upvotes = sum(q["upvotes"] for q in mod_questions.values())
            assert upvotes == PEOPLE * 3
            for client in everyone:
                await client.close()

        asyncio.run(scenario())
