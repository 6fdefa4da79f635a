"""Banning the author of an anonymous question or an open answer on a real server, over the
WebSocket and the HTTP API, without staff (or the published record) ever learning who it is."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from starlette.datastructures import FormData

from rooms import RoomState
from server.edge.page_forms import op_fields
from tests.support.live_server import LiveServer
from tests.support.meeting import op, view
from tests.support.wsclient import Client, create_room, join

ANONYMOUS = "Who really signed off the bridge contract?"
ANSWER = "Sack the whole planning office"


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def banned(server: LiveServer) -> dict[str, Any]:
    """Alice asks anonymously and Carol answers an open poll; a moderator bans both through
    what they wrote, watches everything a moderator is sent, lifts one ban, then the room is
    closed and published."""

    async def scenario() -> dict[str, Any]:
        room = create_room(server.http, "Ban by content")
        code, token = room["code"], room["moderator_token"]
        alice, bob, carol = (join(server.http, code, name=n) for n in ("Alice", "Bob", "Carol"))
        mod = await Client.open(server.ws, code, token)
        await mod.wait_for(lambda f: f["type"] == "snapshot")
        a = await Client.open(server.ws, code, alice["participant_token"])
        c = await Client.open(server.ws, code, carol["participant_token"])
        poll_id = (await mod.op("poll.create", kind="open", question="Ideas?"))["poll_id"]
        await mod.op("poll.open", poll_id=poll_id)
        asked = await a.op("question.ask", text=ANONYMOUS, anonymous=True)
        answered = await c.op("vote", poll_id=poll_id, choice=ANSWER)
        await mod.wait_for(
            lambda f: any(q.get("text") == ANONYMOUS for q in f.get("questions", ()))
        )
        watched_from = len(mod.frames)
        by_question = await mod.op(
            "participant.ban", question_id=asked["question_id"], reason="abusive"
        )
        told = await a.wait_for(lambda f: f["type"] == "participant.banned")
        alice_closed = (await asyncio.wait_for(a.closed, 10))[0]
        # The same op over the HTTP API, through the open answer.
        by_answer = op(
            server, code, token, "participant.ban", answer_id=answered["answer_id"], reason="spam"
        )
        await asyncio.wait_for(c.closed, 10)
        await mod.wait_for(lambda f: f["type"] == "participant.banned" and "ban" in f)
        staff_view = view(server, code, token)
        lifted = op(server, code, token, "participant.unban", ban_id=by_answer.json()["ban_id"])
        await mod.wait_for(lambda f: f["type"] == "participant.unbanned")
        watched = mod.frames[watched_from:]
        # Carol is back: her link works again; Alice's does not.
        back = await Client.open(server.ws, code, carol["participant_token"])
        again = await back.op("question.ask", text="Thank you", anonymous=False)
        alice_again = op(server, code, alice["participant_token"], "question.ask", text="Me again")
        await mod.op("poll.close", poll_id=poll_id)
        await mod.op("room.close")
        published = await mod.op("room.publish")
        for client in (mod, back):
            await client.close()
        return {
            "code": code,
            "people": {"alice": alice, "bob": bob, "carol": carol},
            "question_id": asked["question_id"],
            "answer_id": answered["answer_id"],
            "by_question": by_question,
            "by_answer": by_answer,
            "told": told,
            "alice_closed": alice_closed,
            "staff_view": staff_view,
            "lifted": lifted,
            "watched": watched,
            "again": again,
            "alice_again": alice_again,
            "published": published,
        }

    return run(scenario())  # type: ignore[no-any-return]


def test_the_acks_name_the_ban_and_its_content_only(banned: dict[str, Any]) -> None:
    ack = banned["by_question"]
    assert ack["type"] == "ack"
    # (and the receipt every committed op gets: the chain entry's hash, which names nobody)
    assert set(ack) - {"receipt"} == {"type", "op_id", "seq", "ban_id", "via"}
    assert ack["via"] == f"question:{banned['question_id']}"
    http = banned["by_answer"]
    assert http.status_code == 200, http.text
    assert set(http.json()) - {"receipt"} == {"type", "op_id", "seq", "ban_id", "via"}
    assert http.json()["via"] == f"answer:{banned['answer_id']}"
    assert banned["lifted"].status_code == 200
    assert banned["lifted"].json()["ban_id"] == http.json()["ban_id"]


def test_the_banned_are_told_shut_out_and_let_back_when_lifted(banned: dict[str, Any]) -> None:
    assert banned["told"]["reason"] == "abusive"
    assert banned["alice_closed"] == 4003
    assert banned["again"]["type"] == "ack"  # Carol's ban was lifted
    assert banned["alice_again"].status_code == 403
    assert banned["alice_again"].json()["error"]["code"] == "auth.banned"


def test_moderators_are_never_shown_the_anonymous_authors(banned: dict[str, Any]) -> None:
    alice = banned["people"]["alice"]["participant_id"]
    carol = banned["people"]["carol"]["participant_id"]
    room = banned["staff_view"]["room"]
    assert room["banned"] == []  # nobody is banned *by name*
    assert [b["via"] for b in room["bans"]] == [
        f"question:{banned['question_id']}",
        f"answer:{banned['answer_id']}",
    ]
    shown = json.dumps(
        [banned["staff_view"], banned["watched"], banned["by_question"], banned["by_answer"].json()]
    )
    for secret in (alice, carol, "Alice", "Carol"):
        assert secret not in shown, secret
    lifted = [f for f in banned["watched"] if f["type"] == "participant.unbanned"]
    assert [(f["ban_id"], f["ban"]) for f in lifted] == [
        (banned["by_answer"].json()["ban_id"], None)
    ]


def test_the_published_record_does_not_link_the_ban_to_the_content(
    server: LiveServer, banned: dict[str, Any]
) -> None:
    assert banned["published"]["type"] == "ack"
    response = httpx.get(f"{server.http}/api/rooms/{banned['code']}/published", timeout=10)
    assert response.status_code == 200, response.text
    record = response.json()
    whole = json.dumps(record)
    for person in banned["people"].values():
        assert person["participant_id"] not in whole
    bans = [e for e in record["entries"] if e["type"] == "participant.banned"]
    unbans = [e for e in record["entries"] if e["type"] == "participant.unbanned"]
    assert len(bans) == 2 and len(unbans) == 1
    for entry in bans:
        assert set(entry["data"]) == {"reason", "sealed"}
        assert set(entry["data"]["sealed"]) == {"participant_id", "via"}
    assert set(unbans[0]["data"]) == {"sealed"}
    about_bans = json.dumps([*bans, *unbans])
    assert "question:" not in about_bans and "answer:" not in about_bans
    assert json.dumps(banned["by_question"]["ban_id"]) not in about_bans  # "b<seq>", quoted


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"reason": "abusive"}, 400, "ban.target"),
        ({"question_id": 1, "answer_id": 1, "reason": "abusive"}, 400, "ban.target"),
        ({"question_id": 0, "reason": "abusive"}, 400, "field.invalid"),
        ({"question_id": 2**63, "reason": "abusive"}, 400, "field.invalid"),
        ({"answer_id": 99, "reason": "abusive"}, 404, "answer.not_found"),
        ({"speaker": "floor", "reason": "abusive"}, 409, "speaker.no_floor"),
    ],
)
def test_ban_refusals_over_http(
    server: LiveServer, fields: dict[str, Any], status: int, code: str
) -> None:
    room = create_room(server.http)
    join(server.http, room["code"], name="Dora")
    answer = op(server, room["code"], room["moderator_token"], "participant.ban", **fields)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code


def test_unban_refusals_over_http(server: LiveServer) -> None:
    room = create_room(server.http)
    token = room["moderator_token"]
    for fields, status, code in (
        ({}, 400, "ban.target"),
        ({"ban_id": "b1", "participant_id": "x"}, 400, "ban.target"),
        ({"ban_id": "b12345"}, 404, "ban.not_found"),
        ({"ban_id": "<script>"}, 404, "ban.not_found"),
    ):
        answer = op(server, room["code"], token, "participant.unban", **fields)
        assert answer.status_code == status, answer.text
        assert answer.json()["error"]["code"] == code


def test_attendees_cannot_ban_through_content(server: LiveServer) -> None:
    room = create_room(server.http)
    dora = join(server.http, room["code"], name="Dora")
    eve = join(server.http, room["code"], name="Eve")
    asked = op(
        server, room["code"], dora["participant_token"], "question.ask", text="Hi", anonymous=True
    )
    answer = op(
        server,
        room["code"],
        eve["participant_token"],
        "participant.ban",
        question_id=asked.json()["question_id"],
        reason="spam",
    )
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "auth.forbidden"


def test_the_panel_forms_carry_every_ban_reference() -> None:
    """Without JavaScript the panel posts these fields; each reaches the op."""
    form = FormData(
        [("ban_id", "b12"), ("speaker", "floor"), ("answer_id", "7"), ("question_id", "")]
    )
    fields = op_fields("participant.unban", form, RoomState())
    assert fields == {"ban_id": "b12", "speaker": "floor", "answer_id": 7}
