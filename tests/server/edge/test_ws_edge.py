"""The edge: handshake checks, frame size, malformed frames, rate limits."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


def test_foreign_origin_is_refused_before_accept(server: LiveServer) -> None:
    room = create_room(server.http)

    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as refused:
            await Client.open(
                server.ws, room["code"], room["moderator_token"], origin="https://evil.example"
            )
        assert refused.value.response.status_code == 403
        assert b"auth.origin" in refused.value.response.body
        ok = await Client.open(
            server.ws,
            room["code"],
            room["moderator_token"],
            origin=f"http://127.0.0.1:{server.port}",
        )
        await ok.close()

    asyncio.run(scenario())


@pytest.mark.parametrize("token", ["", "garbage", "eyJyIjoiWCJ9.AAAA", "a.b.c"])
def test_forged_or_malformed_tokens_are_refused(server: LiveServer, token: str) -> None:
    room = create_room(server.http)

    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as refused:
            await Client.open(server.ws, room["code"], token)
        # Who are you? (401, auth.token), as on every entry point; not "you may not" (403).
        assert refused.value.response.status_code == 401
        assert b"auth.token" in refused.value.response.body

    asyncio.run(scenario())


def test_a_token_for_another_room_is_refused(server: LiveServer) -> None:
    room, other = create_room(server.http), create_room(server.http)

    async def scenario() -> None:
        with pytest.raises(InvalidStatus):
            await Client.open(server.ws, room["code"], other["moderator_token"])

    asyncio.run(scenario())


def test_a_token_signed_with_another_key_is_refused(server: LiveServer) -> None:
    from moderation.roles import Role
    from server.edge.tokens import Claims, issue

    room = create_room(server.http)
    forged = issue(b"not-the-server-secret", Claims(room["code"], "x", Role.ORGANISER, 0))

    async def scenario() -> None:
        with pytest.raises(InvalidStatus):
            await Client.open(server.ws, room["code"], forged)

    asyncio.run(scenario())


def test_frames_over_64_kib_close_with_1009_and_others_are_unaffected(server: LiveServer) -> None:
    room = create_room(server.http)
    person = join(server.http, room["code"])

    async def scenario() -> None:
        bystander = await Client.open(server.ws, room["code"], room["moderator_token"])
        big = await Client.open(server.ws, room["code"], person["participant_token"])
        await big.ws.send(json.dumps({"op": "question.ask", "op_id": "x", "text": "a" * 70_000}))
        code, _ = await asyncio.wait_for(big.closed, 10)
        assert code == 1009
        ack = await bystander.op(
            "poll.create", kind="single", question="Still fine?", options=["y", "n"]
        )
        assert ack["type"] == "ack"
        await bystander.close()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("not json", "frame.invalid"),
        ("[1, 2, 3]", "frame.invalid"),
        ('{"op_id": "x"}', "frame.invalid"),
        ('{"op": "vote"}', "field.missing"),
        ('{"op": "vote", "op_id": 7}', "field.invalid"),
        ('{"op": "vote", "op_id": "v", "poll_id": "1", "choice": 0}', "field.invalid"),
        ('{"op": "vote", "op_id": "v", "poll_id": 99999999999999999999999999, "choice": 0}', None),
        ('{"op": "question.ask", "op_id": "q", "text": ' + "[" * 50 + "]" * 50 + "}", None),
        ('{"op": "question.ask", "op_id": "q", "text": "' + "x" * 5000 + '"}', "text.too_long"),
        ('{"op": "nope.nothing", "op_id": "n"}', None),
    ],
)
def test_malformed_frames_get_an_error_code_and_change_nothing(
    server: LiveServer, payload: str, code: str | None
) -> None:
    room = create_room(server.http)
    person = join(server.http, room["code"])

    def head() -> int:
        snapshot = httpx.get(f"{server.http}/api/rooms/{room['code']}",
                             headers={"authorization": f"Bearer {room['moderator_token']}"})
        return int(snapshot.json()["seq"])

    async def scenario() -> None:
        client = await Client.open(server.ws, room["code"], person["participant_token"])
        await client.wait_for(lambda f: f["type"] == "snapshot")
        before = head()
        await client.ws.send(payload)
        error = await client.wait_for(lambda f: f["type"] == "error")
        assert isinstance(error["code"], str) and error["message"]
        if code is not None:
            assert error["code"] == code
        await client.ws.send(json.dumps({"op": "ping"}))
        await client.wait_for(lambda f: f["type"] == "pong")  # the socket is still served
        assert head() == before  # nothing was appended
        await client.close()

    asyncio.run(scenario())


def test_binary_frame_on_a_json_socket_closes_1003(server: LiveServer) -> None:
    room = create_room(server.http)

    async def scenario() -> None:
        client = await Client.open(server.ws, room["code"], room["moderator_token"])
        await client.ws.send(b"\x00\x01")
        code, _ = await asyncio.wait_for(client.closed, 10)
        assert code == 1003

    asyncio.run(scenario())


def test_a_flooding_socket_is_rate_limited_then_closed(server: LiveServer) -> None:
    room = create_room(server.http)
    person = join(server.http, room["code"])

    async def scenario() -> None:
        calm = await Client.open(server.ws, room["code"], room["moderator_token"])
        flood = await Client.open(server.ws, room["code"], person["participant_token"])
        try:
            for i in range(1000):
                await flood.ws.send(json.dumps({"op": "react", "op_id": f"r{i}", "emoji": "👍"}))
        except ConnectionClosed:
            pass
        code, _ = await asyncio.wait_for(flood.closed, 10)
        assert code == 1008
        limited = [f for f in flood.frames if f.get("code") == "rate.limited"]
        assert limited and all(f["op_id"].startswith("r") for f in limited)  # which op to resend
        ack = await calm.op("poll.create", kind="single", question="Calm?", options=["y", "n"])
        assert ack["type"] == "ack"
        await calm.close()

    asyncio.run(scenario())


def test_unknown_room_handshake_is_404(server: LiveServer) -> None:
    room = create_room(server.http)

    async def scenario() -> None:
        with pytest.raises(InvalidStatus) as refused:
            await connect(f"{server.ws}/ws/rooms/ZZZZZZ?token={room['moderator_token']}")
        assert refused.value.response.status_code in (401, 404)

    asyncio.run(scenario())
