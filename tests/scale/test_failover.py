"""A process SIGKILLed mid-burst, clients failing over to another process, and the same op
sent through two processes at once: nothing lost, nothing counted twice."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.scale.cluster import assert_monotonic, cluster, converge, recount, transcript
from tests.support.wsclient import Client, create_room, join, results_of

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

OPTIONS = 3


def _sees_open(frame: dict[str, Any]) -> bool:
    if frame["type"] == "snapshot":
        return any(p["state"] == "open" for p in frame["room"]["polls"])
    return bool(frame.get("poll", {}).get("state") == "open")


def test_sigkill_mid_burst_clients_fail_over_and_nothing_counts_twice(
    tmp_path: Path, pg_url: str, shared_redis: str
) -> None:
    people_count = 80
    with cluster(tmp_path, 2, pg_url, shared_redis) as procs:
        survivor, victim = procs[0], procs[1]
        room = create_room(survivor.http, vote_changes=False)
        code, mod_token = room["code"], room["moderator_token"]
        people = [join(procs[i % 2].http, code) for i in range(people_count)]

        async def scenario() -> None:
            mod = await Client.open(survivor.ws, code, mod_token)
            poll_id = (
                await mod.op("poll.create", kind="single", question="?", options=["a", "b", "c"])
            )["poll_id"]
            await mod.op("poll.open", poll_id=poll_id)
            await mod.op("poll.reveal", poll_id=poll_id)
            clients = [
                await Client.open(procs[i % 2].ws, code, p["participant_token"])
                for i, p in enumerate(people)
            ]
            on_victim = [i for i in range(people_count) if i % 2 == 1]
            for i in on_victim:  # everyone on the victim has seen the open poll
                await clients[i].wait_for(lambda f: results_of(f, poll_id) is not None)
            answers: dict[int, dict[str, Any]] = {}

            async def vote(i: int) -> None:
                await asyncio.sleep(0.015 * i)  # a burst over about a second
                try:
                    answers[i] = await clients[i].op(
                        "vote", f"vote-{i}", poll_id=poll_id, choice=i % OPTIONS, timeout=5
                    )
                except Exception as exc:  # the process died under it: no answer
                    del exc

            burst = [asyncio.create_task(vote(i)) for i in range(people_count)]
            while sum(1 for i in answers if i % 2 == 1) < len(on_victim) // 3:
                await asyncio.sleep(0.001)
            await asyncio.to_thread(victim.kill)
            await asyncio.gather(*burst)
            unanswered = [i for i in on_victim if i not in answers]
            assert unanswered, "the kill came too late to test anything"

            # Fail over: resume on the survivor from the last seq seen, resend what was not
            # acknowledged with the same op_id; resend a few acknowledged ones as well.
            resent = unanswered + [i for i in on_victim if i in answers][:5]
            moved: dict[int, Client] = {}
            for i in on_victim:
                old = clients[i]
                moved[i] = await Client.open(
                    survivor.ws, code, people[i]["participant_token"], since=old.seq
                )
            again = await asyncio.gather(
                *(
                    moved[i].op("vote", f"vote-{i}", poll_id=poll_id, choice=i % OPTIONS)
                    for i in resent
                )
            )
            assert all(a["type"] == "ack" for a in again), again
            assert all(a.get("duplicate") for a in again[len(unanswered) :])
            duplicates_among_unanswered = sum(
                1 for a in again[: len(unanswered)] if a.get("duplicate")
            )

            final = await mod.op("poll.close", poll_id=poll_id)
            snaps = await converge([survivor], code, mod_token)
            assert snaps[0]["seq"] == final["seq"]
            results = next(p for p in snaps[0]["room"]["polls"] if p["poll_id"] == poll_id)[
                "results"
            ]
            entries = await asyncio.to_thread(transcript, survivor, code, mod_token)
            ballots = [e for e in entries if e["type"] == "ballot.cast"]
            assert results["voters"] == people_count
            assert results["counts"] == recount(entries, poll_id, OPTIONS)
            # One ballot key per person, one entry per op: sealed keys name no one, so the
            # count is what the public log can show.
            assert len({e["actor"] for e in ballots}) == people_count
            assert len({(e["actor"], e["op_id"]) for e in ballots}) == people_count
            for i, client in moved.items():
                await client.wait_for(lambda f: f.get("seq", 0) >= final["seq"])
                # across the failover, seq never went backwards, and the tally is exact
                combined = Client.__new__(Client)
                combined.frames = clients[i].frames + client.frames
                assert_monotonic(combined)
                last = [r for f in combined.frames if (r := results_of(f, poll_id))][-1]
                assert last == results
            print(
                f"\nfailover: {len(unanswered)} unanswered at the kill, "
                f"{duplicates_among_unanswered} of them had committed (duplicate ack), "
                f"{len(ballots)} ballot entries for {people_count} voters"
            )
            for c in [mod, *moved.values()]:
                await c.close()
            for i in range(0, people_count, 2):
                await clients[i].close()

        asyncio.run(scenario())


def test_same_op_through_two_processes_at_once_counts_once(
    tmp_path: Path, pg_url: str, shared_redis: str
) -> None:
    people_count = 20
    with cluster(tmp_path, 2, pg_url, shared_redis) as procs:
        room = create_room(procs[0].http, moderation="post", vote_changes=False)
        code, mod_token = room["code"], room["moderator_token"]
        people = [join(procs[0].http, code) for _ in range(people_count)]

        async def scenario() -> None:
            mod = await Client.open(procs[0].ws, code, mod_token)
            poll_id = (
                await mod.op("poll.create", kind="single", question="?", options=["a", "b", "c"])
            )["poll_id"]
            await mod.op("poll.open", poll_id=poll_id)
            pairs = [
                (
                    await Client.open(procs[0].ws, code, p["participant_token"]),
                    await Client.open(procs[1].ws, code, p["participant_token"]),
                )
                for p in people
            ]
            for pair in pairs:
                for c in pair:
                    await c.wait_for(_sees_open)

            # One op_id through both processes at once: one question, one answer.
            asks = await asyncio.gather(
                *(
                    c.op("question.ask", f"ask-{i}", text=f"Same question {i}?")
                    for i, pair in enumerate(pairs)
                    for c in pair
                )
            )
            for i in range(people_count):
                first, second = asks[2 * i], asks[2 * i + 1]
                assert first["type"] == second["type"] == "ack", (first, second)
                assert first["question_id"] == second["question_id"]
            # One participant, two different votes through two processes at once: one ballot.
            votes = await asyncio.gather(
                *(
                    c.op("vote", f"vote-{i}-{side}", poll_id=poll_id, choice=side)
                    for i, pair in enumerate(pairs)
                    for side, c in enumerate(pair)
                )
            )
            for i in range(people_count):
                kinds = sorted(
                    v.get("code", "ack") for v in (votes[2 * i], votes[2 * i + 1])
                )
                assert kinds == ["ack", "vote.duplicate"], kinds

            snaps = await converge(procs, code, mod_token)
            room_now = snaps[0]["room"]
            assert len(room_now["questions"]) == people_count
            results = next(p for p in room_now["polls"] if p["poll_id"] == poll_id)["results"]
            assert results["voters"] == people_count
            entries = await asyncio.to_thread(transcript, procs[1], code, mod_token)
            assert results["counts"] == recount(entries, poll_id, OPTIONS)
            asked_entries = [e for e in entries if e["type"] == "question.asked"]
            print(
                f"\nsame op_id twice: {len(asked_entries)} question.asked entries for "
                f"{people_count} questions (copies applied as no-ops)"
            )
            for c in [mod, *(c for pair in pairs for c in pair)]:
                await c.close()

        asyncio.run(scenario())


def test_what_one_process_committed_is_usable_through_another_at_once(
    tmp_path: Path, pg_url: str, shared_redis: str
) -> None:
    """No sticky sessions: join on one process and connect to another, create a poll on one
    and open it on another, with no pause in between. Nothing is refused for being stale."""
    with cluster(tmp_path, 2, pg_url, shared_redis) as procs:
        room = create_room(procs[0].http, vote_changes=False)
        code, mod_token = room["code"], room["moderator_token"]

        async def scenario() -> None:
            mods = [await Client.open(p.ws, code, mod_token) for p in procs]
            for round_ in range(10):
                a, b = procs[round_ % 2], procs[1 - round_ % 2]
                mod_a, mod_b = mods[round_ % 2], mods[1 - round_ % 2]
                poll = await mod_a.op(
                    "poll.create", kind="single", question="?", options=["x", "y"]
                )
                opened = await mod_b.op("poll.open", poll_id=poll["poll_id"])
                assert opened["type"] == "ack", opened
                person = await asyncio.to_thread(join, a.http, code)
                client = await Client.open(b.ws, code, person["participant_token"])
                vote = await client.op("vote", poll_id=poll["poll_id"], choice=0)
                assert vote["type"] == "ack", vote
                await client.close()
            for mod in mods:
                await mod.close()

        asyncio.run(scenario())
