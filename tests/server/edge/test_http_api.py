"""The HTTP API of ../shared/API.md over a real socket."""

from __future__ import annotations

import httpx

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join


def test_healthz_reports_ok(server: LiveServer) -> None:
    response = httpx.get(server.http + "/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_create_room_returns_code_tokens_and_urls(server: LiveServer) -> None:
    room = create_room(server.http, "Budget assembly", moderation="post")
    assert len(room["code"]) == 6
    assert {"attend", "moderate", "screen", "embed"} <= set(room["urls"])
    assert room["urls"]["attend"].endswith(f"/r/{room['code']}")
    snapshot = httpx.get(
        f"{server.http}/api/rooms/{room['code']}",
        headers={"authorization": f"Bearer {room['moderator_token']}"},
    ).json()
    assert snapshot["room"]["title"] == "Budget assembly"
    assert snapshot["you"]["role"] == "organiser"
    assert snapshot["seq"] >= 1


def test_create_room_with_bad_settings_is_refused_with_a_code(server: LiveServer) -> None:
    response = httpx.post(
        server.http + "/api/rooms", json={"title": "x", "moderation": "sometimes"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "field.invalid"
    response = httpx.post(
        server.http + "/api/rooms", content=b"[1,2", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "frame.invalid"


def test_join_issues_a_participant_token_and_cookie(server: LiveServer) -> None:
    room = create_room(server.http)
    response = httpx.post(f"{server.http}/api/rooms/{room['code']}/join", json={"name": "Ana"})
    assert response.status_code == 200
    body = response.json()
    assert body["participant_id"] and body["participant_token"]
    assert f"th_{room['code']}" in response.cookies
    me = httpx.get(
        f"{server.http}/api/rooms/{room['code']}",
        headers={"authorization": f"Bearer {body['participant_token']}"},
    ).json()
    assert me["you"] == me["you"] | {"participant_id": body["participant_id"], "role": "attendee"}


def test_join_of_unknown_room_is_404(server: LiveServer) -> None:
    response = httpx.post(f"{server.http}/api/rooms/NOPE99/join", json={})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "room.not_found"


def test_snapshot_needs_a_token_for_that_room(server: LiveServer) -> None:
    room = create_room(server.http)
    other = create_room(server.http)
    response = httpx.get(f"{server.http}/api/rooms/{room['code']}")
    assert response.status_code == 401
    response = httpx.get(
        f"{server.http}/api/rooms/{room['code']}",
        headers={"authorization": f"Bearer {other['moderator_token']}"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "auth.token"


def test_ops_over_http_ack_like_the_websocket(server: LiveServer) -> None:
    room = create_room(server.http)
    mod = {"authorization": f"Bearer {room['moderator_token']}"}
    url = f"{server.http}/api/rooms/{room['code']}/ops"
    created = httpx.post(
        url,
        headers=mod,
        json={
            "op": "poll.create",
            "op_id": "c1",
            "kind": "single",
            "question": "Bus lane?",
            "options": ["yes", "no"],
        },
    )
    assert created.status_code == 200, created.text
    poll_id = created.json()["poll_id"]
    again = httpx.post(
        url,
        headers=mod,
        json={
            "op": "poll.create",
            "op_id": "c1",
            "kind": "single",
            "question": "Bus lane?",
            "options": ["yes", "no"],
        },
    )
    assert again.json()["poll_id"] == poll_id and again.json()["duplicate"] is True
    attendee = join(server.http, room["code"])
    voter = {"authorization": f"Bearer {attendee['participant_token']}"}
    refused = httpx.post(
        url, headers=voter, json={"op": "vote", "op_id": "v1", "poll_id": poll_id, "choice": 0}
    )
    assert refused.status_code in (400, 409) and refused.json()["error"]["code"] == "poll.not_open"
    assert (
        httpx.post(
            url, headers=mod, json={"op": "poll.open", "op_id": "o1", "poll_id": poll_id}
        ).status_code
        == 200
    )
    forbidden = httpx.post(
        url, headers=voter, json={"op": "poll.close", "op_id": "x", "poll_id": poll_id}
    )
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "auth.forbidden"
    voted = httpx.post(
        url, headers=voter, json={"op": "vote", "op_id": "v2", "poll_id": poll_id, "choice": 1}
    )
    assert voted.status_code == 200
    assert voted.json()["receipt"]["seq"] == voted.json()["seq"]


def test_transcript_is_jsonl_for_moderators_only(server: LiveServer) -> None:
    room = create_room(server.http)
    attendee = join(server.http, room["code"], name="Bo")
    url = f"{server.http}/api/rooms/{room['code']}/transcript"
    assert (
        httpx.get(
            url, headers={"authorization": f"Bearer {attendee['participant_token']}"}
        ).status_code
        == 403
    )
    response = httpx.get(url, headers={"authorization": f"Bearer {room['moderator_token']}"})
    assert response.status_code == 200
    lines = [line for line in response.text.splitlines() if line]
    import json

    entries = [json.loads(line) for line in lines]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0]["type"] == "room.created"
    assert entries[1]["type"] == "participant.joined"
    assert entries[1]["prev"] == entries[0]["hash"]


def test_oversized_body_is_413(server: LiveServer) -> None:
    response = httpx.post(server.http + "/api/rooms", json={"title": "x" * 20000})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "frame.too_large"


def test_json_sent_with_a_form_content_type_is_read_as_json(server: LiveServer) -> None:
    """What `curl -d '{"title": ...}'` sends, as README shows."""
    response = httpx.post(server.http + "/api/rooms", content=b'{"title": "From curl"}',
                          headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 201, response.text
