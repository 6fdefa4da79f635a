"""The published record over a real server: private by construction, recountable by anyone."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.tools.verify import verify_lines
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

REJECTED = "Zanzibar-fourteen is a slur-like rejected text"
ANONYMOUS = "Who pays for the anonymous bridge?"


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def meeting(server: LiveServer) -> dict[str, Any]:
    """Four people vote on three polls and an open question, ask, change a vote, erase."""

    async def run() -> dict[str, Any]:
        room = create_room(server.http, "Recount test", districts=["Northgate", "Southmere"])
        code, token = room["code"], room["moderator_token"]
        mod = await Client.open(server.ws, code, token)
        people = [
            join(server.http, code, name="Annabel", district="Northgate"),
            join(server.http, code, name="Bartholomew", district="Southmere"),
            join(server.http, code, name="Cordelia", district="Northgate"),
            join(server.http, code, name="Desmond"),
        ]
        clients = [await Client.open(server.ws, code, p["participant_token"]) for p in people]
        single = (
            await mod.op("poll.create", kind="single", question="Bus?", options=["Yes", "No"])
        )["poll_id"]
        ranking = (
            await mod.op("poll.create", kind="ranking", question="Rank", options=["A", "B", "C"])
        )["poll_id"]
        budget = (
            await mod.op(
                "poll.create", kind="budget", question="Spend", options=["Park", "Road"], total=10
            )
        )["poll_id"]
        answers = (await mod.op("poll.create", kind="open", question="Ideas?"))["poll_id"]
        for pid in (single, ranking, budget, answers):
            await mod.op("poll.open", poll_id=pid)
        acks = []
        for i, c in enumerate(clients):
            acks.append(await c.op("vote", poll_id=single, choice=i % 2))
            await c.op("vote", poll_id=ranking, choice=[i % 3, (i + 1) % 3, (i + 2) % 3])
            await c.op("vote", poll_id=budget, choice={"0": i, "1": 10 - i})
        changed = await clients[0].op("vote", poll_id=single, choice=1)  # Annabel: yes -> no
        kept = await clients[1].op("vote", poll_id=answers, choice="More benches please")
        await clients[2].op("vote", poll_id=answers, choice=REJECTED)
        named = await clients[0].op("question.ask", text="Named one?", anonymous=False)
        anon = await clients[1].op("question.ask", text=ANONYMOUS, anonymous=True)
        bad = await clients[2].op("question.ask", text=REJECTED, anonymous=False)
        await mod.op("question.approve", question_id=named["question_id"])
        await mod.op("question.approve", question_id=anon["question_id"])
        await mod.op("question.reject", question_id=bad["question_id"], reason="abusive")
        for answer in (kept,):
            if answer.get("state") == "pending":
                await mod.op("answer.approve", answer_id=answer["answer_id"])
        publish_live = await mod.op("room.publish")
        erased = await clients[0].op("participant.erase")  # Annabel, from her phone
        forgot = await mod.op("participant.forget", participant_id=people[3]["participant_id"])
        for pid in (single, ranking, budget, answers):
            await mod.op("poll.close", poll_id=pid)
        await mod.op("room.close")
        published = await mod.op("room.publish")
        for c in [mod, *clients]:
            await c.close()
        return {
            "code": code,
            "token": token,
            "people": people,
            "polls": (single, ranking, budget, answers),
            "first": acks[0],
            "changed": changed,
            "publish_live": publish_live,
            "erased": erased,
            "forgot": forgot,
            "published": published,
        }

    return asyncio.run(run())


@pytest.fixture(scope="module")
def record(server: LiveServer, meeting: dict[str, Any]) -> dict[str, Any]:
    r = httpx.get(f"{server.http}/api/rooms/{meeting['code']}/published", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_publishing_before_close_is_refused(meeting: dict[str, Any]) -> None:
    assert meeting["publish_live"]["type"] == "error"
    assert meeting["publish_live"]["code"] == "room.not_closed"
    assert meeting["published"]["type"] == "ack"
    assert meeting["erased"]["type"] == "ack" and meeting["forgot"]["type"] == "ack"


def test_the_record_names_no_one_and_links_no_ballots(
    record: dict[str, Any], meeting: dict[str, Any]
) -> None:
    chain = json.dumps(record["entries"], ensure_ascii=False)
    whole = json.dumps(record, ensure_ascii=False)
    people = meeting["people"]
    for person in people:
        assert person["participant_id"] not in whole
    for secret in ("Bartholomew", "Cordelia", "Desmond", REJECTED):
        assert secret not in whole, secret
    # The room's list of districts is its settings; whose district is which, nowhere.
    settings = [e for e in record["entries"] if e["type"] in ("room.created", "room.updated")]
    outside = json.dumps([e for e in record["entries"] if e not in settings])
    assert "Northgate" not in outside and "Southmere" not in outside
    joins = [e["data"] for e in record["entries"] if e["type"] == "participant.joined"]
    assert len(joins) == 4 and all(set(d) == {"sealed"} for d in joins)
    for name in ("Annabel", "Bartholomew", "Cordelia", "Desmond"):
        assert name not in chain
    # Annabel signed her question, then erased her name: the record says so.
    (signed,) = [q for q in record["questions"] if q["text"] == "Named one?"]
    assert signed["author"] == "erased"
    (anon,) = [q for q in record["questions"] if q["text"] == ANONYMOUS]
    assert anon["author"] is None
    assert record["moderation"]["questions"] == {"abusive": 1}
    keys: dict[int, set[str]] = {}
    for e in record["entries"]:
        if e["type"] == "ballot.cast":
            keys.setdefault(e["data"]["poll_id"], set()).add(e["actor"])
    assert set(keys) == set(meeting["polls"])
    assert [len(k) for k in keys.values()] == [4, 4, 4, 2]  # one key per person and poll
    seen: set[str] = set()
    for poll_keys in keys.values():
        assert not poll_keys & seen  # no ballot key is shared across polls
        seen |= poll_keys
    # No attendee entry carries an id that appears twice outside one poll's ballots.
    actors = [e["actor"] for e in record["entries"] if e["actor"].startswith("a-")]
    assert len(actors) == len(set(actors))


def test_verify_recounts_every_poll_to_the_published_results(
    record: dict[str, Any], meeting: dict[str, Any]
) -> None:
    first, changed = meeting["first"]["receipt"], meeting["changed"]["receipt"]
    result = verify_lines(
        [json.dumps(record)],
        [(first["seq"], first["hash"]), (changed["seq"], changed["code"].split(":")[1])],
    )
    assert result.ok and result.published, result.problems
    recounted = {p["poll_id"]: p["results"] for p in result.polls}
    single, ranking, budget, answers = meeting["polls"]
    assert recounted[single] == {"voters": 4, "counts": [1, 3]}
    assert recounted[budget] == {"voters": 4, "points": [6, 34]}
    assert recounted[answers] == {"voters": 2}
    published = {p["poll_id"]: p["results"] for p in record["polls"]}
    assert published[ranking] == recounted[ranking]
    assert [r["ballot"] for r in result.receipts] == ["replaced", "counted"]
    assert record["reveals"]  # the approved question texts open their commitments


def test_a_record_whose_results_were_changed_fails_the_recount(record: dict[str, Any]) -> None:
    forged = json.loads(json.dumps(record))
    forged["polls"][0]["results"]["counts"] = [3, 1]
    result = verify_lines([json.dumps(forged)])
    assert not result.ok and "recount" in result.problems[0]
    forged = json.loads(json.dumps(record))
    (_seq, fields), *_ = forged["reveals"].items()
    fields["text"]["value"] = "Something else entirely?"
    assert not verify_lines([json.dumps(forged)]).ok


def test_the_record_is_refused_before_publication(server: LiveServer) -> None:
    room = create_room(server.http, "Unpublished")
    url = f"{server.http}/api/rooms/{room['code']}/published"
    r = httpx.get(url)
    assert r.status_code == 404 and r.json()["error"]["code"] == "transcript.not_published"
    r = httpx.get(url, headers=_auth(room["moderator_token"]))
    assert r.status_code == 409 and r.json()["error"]["code"] == "room.not_closed"


def test_a_room_logged_before_sealing_replays_verifies_and_is_refused_publication(
    tmp_path: Path,
) -> None:
    """An older room, as the store holds it (names and participant ids in the chain): it
    still replays and recounts, but publishing it would publish who voted what."""
    from moderation.roles import Role
    from rooms import CommandError, Context, decide
    from rooms.transcript import records_of, replay
    from server.store import Entry
    from server.store.sqlite import SqliteStore
    from server.tools.exports import transcript_lines

    def old(n: int, actor: str, type_: str, data: dict[str, Any]) -> Entry:
        return Entry(1_700_000_000_000 + n, actor, f"op-{n}", type_, data)

    async def body() -> None:
        store = SqliteStore(tmp_path / "old.db")
        await store.open()
        try:
            settings = {"vote_changes": True}
            await store.append(
                "OLD",
                [
                    old(
                        1,
                        "org",
                        "room.created",
                        {"code": "OLD", "title": "T", "settings": settings},
                    ),
                    old(2, "p1", "participant.joined", {"name": "Olga", "district": None}),
                    old(
                        3,
                        "org",
                        "poll.created",
                        {"kind": "single", "question": "Q?", "options": ["a", "b"]},
                    ),
                    old(4, "org", "poll.opened", {"poll_id": 3}),
                    old(5, "p1", "ballot.cast", {"poll_id": 3, "choice": 1}),
                    old(6, "org", "room.closed", {}),
                ],
            )
            entries = await store.read("OLD")
        finally:
            await store.close()
        state = replay(records_of(entries))
        assert state.log_format == 1 and state.participants["p1"].name == "Olga"
        with pytest.raises(CommandError) as refused:
            decide(state, "room.publish", {}, Context("org", Role.ORGANISER, 1, "pub"))
        assert refused.value.code == "transcript.legacy"
        lines = b"".join(transcript_lines(entries)).decode().splitlines()
        result = verify_lines(lines)
        assert result.ok and result.polls[0]["results"] == {"voters": 1, "counts": [0, 1]}

    asyncio.run(body())
