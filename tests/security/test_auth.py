"""Items 1-4: foreign origins, forged/expired/other-room tokens, role escalation, bans and
revocations. Every refusal changes nothing and lands in the room's security record."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from moderation.roles import Role
from server.edge.tokens import Claims, issue
from tests.security.helpers import SECRET, bearer, post_op, security_report, seq_of
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


def test_foreign_origin_with_a_valid_moderator_cookie_is_refused_before_accept(
    server: LiveServer,
) -> None:
    """A hostile page cannot ride the browser's cookie: the Origin check comes first."""
    room = create_room(server.http)
    code, token = room["code"], room["moderator_token"]
    cookie = {"cookie": f"th_{code}={token}"}

    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as refused:
            await connect(
                f"{server.ws}/ws/rooms/{code}",
                origin="https://evil.example",  # type: ignore[arg-type]
                additional_headers=cookie,
            )
        assert refused.value.response.status_code == 403
        assert json.loads(refused.value.response.body)["error"]["code"] == "auth.origin"
        # The very same cookie from our own page is accepted: only the origin was wrong.
        ws = await connect(
            f"{server.ws}/ws/rooms/{code}",
            origin=f"http://127.0.0.1:{server.port}",  # type: ignore[arg-type]
            additional_headers=cookie,
        )
        first = json.loads(await ws.recv())
        assert first["type"] == "snapshot" and first["you"]["role"] == "organiser"
        await ws.close()

    asyncio.run(scenario())
    report = security_report(server.http, code, token)
    assert report["refused"].get("auth.origin") == 1


def test_cross_site_api_post_riding_the_attendee_cookie_is_refused(server: LiveServer) -> None:
    """A hidden form on another site posting to the ops API with the attendee's cookie."""
    room = create_room(server.http)
    code = room["code"]
    person = join(server.http, code)
    created = post_op(
        server.http,
        code,
        room["moderator_token"],
        op="poll.create",
        op_id="p",
        kind="single",
        question="Q?",
        options=["a", "b"],
    ).json()
    post_op(
        server.http,
        code,
        room["moderator_token"],
        op="poll.open",
        op_id="o",
        poll_id=created["poll_id"],
    )
    before = seq_of(server.http, code, room["moderator_token"])
    response = httpx.post(
        f"{server.http}/api/rooms/{code}/ops",
        data={"op": "vote", "op_id": "csrf-1", "poll_id": str(created["poll_id"]), "choice": "0"},
        headers={
            "origin": "https://evil.example",
            "cookie": f"th_{code}={person['participant_token']}",
        },
        timeout=10,
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "auth.origin"
    assert seq_of(server.http, code, room["moderator_token"]) == before


def _expired(code: str) -> str:
    return issue(SECRET, Claims(code, "someone", Role.ORGANISER, expires_at=1))


@pytest.mark.parametrize("kind", ["forged", "expired", "other-room", "garbage"])
def test_bad_tokens_for_moderator_actions_are_refused_audited_and_change_nothing(
    server: LiveServer, kind: str
) -> None:
    room, other = create_room(server.http), create_room(server.http)
    code, mod = room["code"], room["moderator_token"]
    token = {
        "forged": issue(b"not-the-server-secret", Claims(code, "x", Role.ORGANISER, 0)),
        "expired": _expired(code),
        "other-room": other["moderator_token"],
        "garbage": "eyJyIjoiWCJ9.AAAA",
    }[kind]
    before = seq_of(server.http, code, mod)

    async def handshake() -> None:
        with pytest.raises(InvalidStatus) as refused:
            await Client.open(server.ws, code, token)
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["error"]["code"] == "auth.token"

    asyncio.run(handshake())
    response = post_op(
        server.http,
        code,
        token,
        op="poll.create",
        op_id="evil",
        kind="single",
        question="Hijack?",
        options=["a", "b"],
    )
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth.token"
    response = httpx.get(f"{server.http}/api/rooms/{code}/transcript", headers=bearer(token))
    assert response.status_code in (401, 403)

    assert seq_of(server.http, code, mod) == before  # nothing appended
    report = security_report(server.http, code, mod)
    assert report["refused"].get("auth.token") == 3
    assert [r["kind"] for r in report["recent"]] == ["auth.token"] * 3
    assert all(r["address"].startswith("a-") for r in report["recent"])  # no raw IPs
    # ...and the room's permanent log holds nothing of it.
    log = httpx.get(f"{server.http}/api/rooms/{code}/transcript", headers=bearer(mod)).text
    assert "Hijack" not in log and "auth.token" not in log
    # Attendees may not read the security record.
    person = join(server.http, code)
    denied = httpx.get(
        f"{server.http}/api/rooms/{code}/security", headers=bearer(person["participant_token"])
    )
    assert denied.status_code == 403


def test_attendee_claiming_moderator_powers_and_embed_voting_are_forbidden(
    server: LiveServer,
) -> None:
    room = create_room(server.http)
    code, mod = room["code"], room["moderator_token"]
    person = join(server.http, code)
    victim = join(server.http, code)

    async def scenario() -> None:
        boss = await Client.open(server.ws, code, mod)
        poll = await boss.op("poll.create", kind="single", question="Q?", options=["a", "b"])
        await boss.op("poll.open", poll_id=poll["poll_id"])
        before = seq_of(server.http, code, mod)
        att = await Client.open(server.ws, code, person["participant_token"])
        for op, fields in [
            ("poll.create", {"kind": "single", "question": "Mine", "options": ["a", "b"]}),
            ("poll.close", {"poll_id": poll["poll_id"]}),
            ("participant.ban", {"participant_id": victim["participant_id"], "reason": "spam"}),
            ("moderator.add", {"name": "Me"}),
            ("room.close", {}),
            ("codes.issue", {"count": 5}),
        ]:
            answer = await att.op(op, role="moderator", actor=room["code"], **fields)
            assert answer["type"] == "error" and answer["code"] == "auth.forbidden", (op, answer)
        embed = await Client.open(server.ws, code, room["embed_token"])
        answer = await embed.op("vote", poll_id=poll["poll_id"], choice=0)
        assert answer["code"] == "auth.forbidden"
        screen = await Client.open(server.ws, code, room["screen_token"])
        answer = await screen.op("question.ask", text="From the projector?")
        assert answer["code"] == "auth.forbidden"
        assert seq_of(server.http, code, mod) == before
        for c in (boss, att, embed, screen):
            await c.close()

    asyncio.run(scenario())
    http = post_op(
        server.http,
        code,
        person["participant_token"],
        op="poll.create",
        op_id="h",
        role="organiser",
        kind="single",
        question="Q",
        options=["a", "b"],
    )
    assert http.status_code == 403 and http.json()["error"]["code"] == "auth.forbidden"
    report = security_report(server.http, code, mod)
    assert report["refused"]["auth.forbidden"] == 9
    assert {r["role"] for r in report["recent"]} == {"attendee", "embed", "screen"}


def test_banned_participant_is_closed_4003_then_refused_everywhere(server: LiveServer) -> None:
    room = create_room(server.http)
    code, mod = room["code"], room["moderator_token"]
    person = join(server.http, code)
    token = person["participant_token"]

    async def scenario() -> None:
        boss = await Client.open(server.ws, code, mod)
        phone = await Client.open(server.ws, code, token)
        laptop = await Client.open(server.ws, code, token)  # a second socket of the same person
        ack = await boss.op(
            "participant.ban", participant_id=person["participant_id"], reason="abusive"
        )
        assert ack["type"] == "ack"
        for sock in (phone, laptop):
            close_code, _ = await asyncio.wait_for(sock.closed, 10)
            assert close_code == 4003
        assert any(f["type"] == "participant.banned" for f in phone.frames)
        with pytest.raises(InvalidStatus) as refused:
            await Client.open(server.ws, code, token)
        assert refused.value.response.status_code == 403
        assert json.loads(refused.value.response.body)["error"]["code"] == "auth.banned"
        await boss.close()

    asyncio.run(scenario())
    before = seq_of(server.http, code, mod)
    later = post_op(server.http, code, token, op="question.ask", op_id="late", text="Hello?")
    assert later.status_code == 403 and later.json()["error"]["code"] == "auth.banned"
    rejoin = httpx.post(
        f"{server.http}/api/rooms/{code}/join",
        json={"name": "Again"},
        headers={"cookie": f"th_{code}={token}"},
    )
    assert rejoin.status_code == 403 and rejoin.json()["error"]["code"] == "auth.banned"
    assert seq_of(server.http, code, mod) == before
    kinds = security_report(server.http, code, mod)["refused"]
    assert kinds["auth.banned"] == 3


def test_revoked_co_moderator_is_closed_4003_then_refused(server: LiveServer) -> None:
    room = create_room(server.http)
    code, org = room["code"], room["moderator_token"]

    async def scenario() -> str:
        boss = await Client.open(server.ws, code, org)
        added = await boss.op("moderator.add", name="Deputy")
        deputy_token = added["token"]
        deputy = await Client.open(server.ws, code, deputy_token)
        assert (await deputy.wait_for(lambda f: f["type"] == "snapshot"))["you"]["role"] == (
            "moderator"
        )
        ack = await boss.op("moderator.revoke", moderator_id=added["moderator_id"])
        assert ack["type"] == "ack"
        close_code, _ = await asyncio.wait_for(deputy.closed, 10)
        assert close_code == 4003
        with pytest.raises(InvalidStatus) as refused:
            await Client.open(server.ws, code, deputy_token)
        assert refused.value.response.status_code == 403
        await boss.close()
        return str(deputy_token)

    deputy_token = asyncio.run(scenario())
    before = seq_of(server.http, code, org)
    response = post_op(
        server.http,
        code,
        deputy_token,
        op="poll.create",
        op_id="x",
        kind="single",
        question="Still?",
        options=["a", "b"],
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "auth.forbidden"
    assert (
        httpx.get(f"{server.http}/api/rooms/{code}", headers=bearer(deputy_token)).status_code
        == 403
    )
    assert seq_of(server.http, code, org) == before
