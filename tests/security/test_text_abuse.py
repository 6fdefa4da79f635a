"""Issue 13, item 1: arbitrary strings in every field never cost an honest vote.

Through a real server over real sockets: in each example, attackers (attendees over JSON and
msgpack, the moderator, strangers joining over HTTP) send arbitrary strings, lone surrogates
and NULs included, in every field, key and op_id of the ops that store text, at the same
moment as twelve honest votes. Every honest vote is acked and counted; every attacking
frame is answered (a refusal of a malformed op_id without it); the server logs no
traceback. Before the fix a single `"\\ud800"` failed the whole commit it shared with the
votes, and a surrogate op_id got no answer at all.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

pytestmark = pytest.mark.slow

HONEST = 12
# Any code point: surrogates (Cs), controls (Cc) and unassigned ones too.
anything = st.text(alphabet=st.characters(blacklist_categories=()), max_size=30)
strings = anything | st.sampled_from(["\ud800", "\x00", "ok\udfff", "\x00\x00", "\x1b[2J", ""])
keys = st.dictionaries(anything, anything, max_size=2)

# op -> its text fields (each gets an arbitrary string) and fixed fields (filled per room).
ATTENDEE_OPS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "question.ask": (("text",), {}),
    "speaker.request": (("topic",), {}),
    "react": (("emoji",), {}),
    "participant.join": (("name", "district"), {}),
    "vote": (("choice",), {"poll_id": "wordcloud"}),
    "question.upvote": (("question_id",), {}),
}
MODERATOR_OPS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "poll.create": (("question",), {"kind": "single", "options": ["yes", "no"]}),
    "room.update": (("title",), {}),
    "moderator.add": (("name",), {}),
    "question.answer": (("text",), {"question_id": "question"}),
    "question.label": (("labels",), {"question_id": "question"}),
}


@st.composite
def attack(draw: st.DrawFn, ops: dict[str, tuple[tuple[str, ...], dict[str, Any]]]) -> Any:
    op = draw(st.sampled_from(sorted(ops)) | strings)
    names, fixed = ops.get(op, ((), {}))
    fields = {name: draw(strings) for name in names}
    if "labels" in fields:
        fields["labels"] = [fields["labels"]]
    return op, draw(strings | st.just("good")), fields, fixed, draw(keys)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        Path(tmp_path_factory.mktemp("text")),
        env={"TOWNHALL_LIMIT_OPS_PER_SECOND": "10000", "TOWNHALL_LIMIT_OPS_BURST": "10000"},
    ).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def meeting(server: LiveServer) -> dict[str, Any]:
    room = create_room(server.http, moderation="post")
    code = room["code"]
    people = [join(server.http, code, name=f"Voter {n}") for n in range(HONEST)]
    attackers = [join(server.http, code, name=f"Mallory {n}") for n in range(3)]

    async def setup() -> dict[str, Any]:
        mod = await Client.open(server.ws, code, room["moderator_token"])
        single = await mod.op("poll.create", kind="single", question="Bus?", options=["a", "b"])
        cloud = await mod.op("poll.create", kind="wordcloud", question="One word?")
        for poll in (single, cloud):
            await mod.op("poll.open", poll_id=poll["poll_id"])
        asker = await Client.open(server.ws, code, attackers[0]["participant_token"])
        question = await asker.op("question.ask", text="Why is the bus late?")
        await asker.close()
        await mod.close()
        return {"single": single["poll_id"], "wordcloud": cloud["poll_id"],
                "question": question["question_id"]}  # fmt: skip

    ids = asyncio.run(setup())
    return {"room": room, "code": code, "people": people, "attackers": attackers, **ids}


_op_ids = itertools.count(1)


def _frame(drawn: Any, meeting: dict[str, Any]) -> dict[str, Any]:
    op, op_id, fields, fixed, extra = drawn
    frame: dict[str, Any] = {
        **extra,
        **{k: meeting.get(v, v) if isinstance(v, str) else v for k, v in fixed.items()},
    }
    frame.update(fields)
    frame["op"] = op
    frame["op_id"] = f"a-{next(_op_ids)}" if op_id == "good" else op_id
    return frame


async def _answers(client: Client, count: int) -> list[dict[str, Any]]:
    """Wait for `count` answers (ack, error or pong) to the frames this client sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while True:
        got = [f for f in client.frames if f["type"] in ("ack", "error", "pong")]
        if len(got) >= count or loop.time() > deadline:
            return got
        await asyncio.sleep(0.02)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    choices=st.lists(st.integers(0, 1), min_size=HONEST, max_size=HONEST),
    by_attendees=st.lists(attack(ATTENDEE_OPS), min_size=1, max_size=6),
    by_moderator=st.lists(attack(MODERATOR_OPS), max_size=3),
    http_names=st.lists(st.tuples(strings, strings), max_size=2),
)
def test_arbitrary_strings_in_every_field_never_cost_an_honest_vote(
    server: LiveServer,
    meeting: dict[str, Any],
    choices: list[int],
    by_attendees: list[Any],
    by_moderator: list[Any],
    http_names: list[tuple[str, str]],
) -> None:
    code = meeting["code"]

    async def scenario() -> tuple[list[dict[str, Any]], list[int], list[int]]:
        voters = await asyncio.gather(
            *(Client.open(server.ws, code, p["participant_token"]) for p in meeting["people"])
        )
        tokens = [a["participant_token"] for a in meeting["attackers"]]
        attackers = [
            await Client.open(server.ws, code, tokens[0]),
            await Client.open(server.ws, code, tokens[1], binary=True),
            await Client.open(server.ws, code, tokens[2]),
        ]
        mod = await Client.open(server.ws, code, meeting["room"]["moderator_token"])
        everyone = [*voters, *attackers, mod]
        try:
            return await exchange(voters, attackers, mod)
        finally:
            for client in everyone:
                await client.close()

    async def exchange(
        voters: list[Client], attackers: list[Client], mod: Client
    ) -> tuple[list[dict[str, Any]], list[int], list[int]]:
        for client in [*voters, *attackers, mod]:
            await client.wait_for(lambda f: f["type"] == "snapshot")
        sent = {id(c): 0 for c in [*attackers, mod]}

        async def hit(client: Client, frame: dict[str, Any]) -> None:
            sent[id(client)] += 1
            if client.binary:
                await client.ws.send(msgpack.packb(frame, unicode_errors="surrogatepass"))
            else:
                await client.ws.send(json.dumps(frame))  # ASCII escapes, as a browser may send

        async def stranger(name: str, district: str) -> int:
            async with httpx.AsyncClient() as http:
                response = await http.post(
                    f"{server.http}/api/rooms/{code}/join",
                    content=json.dumps({"name": name, "district": district}),
                    headers={"content-type": "application/json"},
                    timeout=10,
                )
            return response.status_code

        votes = [
            voter.op("vote", op_id=f"v-{next(_op_ids)}", poll_id=meeting["single"], choice=c)
            for voter, c in zip(voters, choices, strict=True)
        ]
        attacks = [
            hit(attackers[n % 3], _frame(drawn, meeting)) for n, drawn in enumerate(by_attendees)
        ] + [hit(mod, _frame(drawn, meeting)) for drawn in by_moderator]
        results = await asyncio.gather(
            *votes, *attacks, *(stranger(n, d) for n, d in http_names)
        )
        answered = [len(await _answers(c, sent[id(c)])) for c in [*attackers, mod]]
        statuses = [r for r in results[len(votes) + len(attacks) :] if isinstance(r, int)]
        return list(results[: len(votes)]), answered, statuses

    acks, answered, statuses = asyncio.run(scenario())
    assert [a["type"] for a in acks] == ["ack"] * HONEST, [a for a in acks if a["type"] != "ack"]
    expected = [sum(c == 0 for c in choices), sum(c == 1 for c in choices)]
    snapshot = httpx.get(
        f"{server.http}/api/rooms/{code}",
        headers={"authorization": f"Bearer {meeting['room']['moderator_token']}"},
        timeout=10,
    ).json()
    [single] = [p for p in snapshot["room"]["polls"] if p["poll_id"] == meeting["single"]]
    assert single["results"]["voters"] == HONEST
    assert single["results"]["counts"] == expected
    # Every attacking frame was answered: with a refusal, or an ack where the text was fine.
    total = len(by_attendees) + len(by_moderator)
    assert sum(answered) == total, answered
    assert all(s < 500 for s in statuses), statuses
    log = server.logs()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
