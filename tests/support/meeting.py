"""A small meeting built over the documented HTTP API: a room, a poll with votes, an
approved question. For tests that restart or damage a real server and compare what it serves."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

__all__ = ["Meeting", "hold_meeting", "op", "view"]

_ids = itertools.count(1)


def op(server: LiveServer, code: str, token: str, name: str, **fields: Any) -> httpx.Response:
    """POST /api/rooms/{code}/ops: the raw answer (ack 200, or an error with its status)."""
    return httpx.post(
        f"{server.http}/api/rooms/{code}/ops",
        json={"op": name, "op_id": f"t-{next(_ids)}", **fields},
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )


def view(server: LiveServer, code: str, token: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.http}/api/rooms/{code}",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@dataclass
class Meeting:
    code: str
    moderator: str
    voters: list[str]
    poll_id: int


def hold_meeting(server: LiveServer, title: str, choices: tuple[int, ...] = (0, 1, 1)) -> Meeting:
    room = create_room(server.http, title)
    code, moderator = room["code"], room["moderator_token"]
    voters = [join(server.http, code, name=f"v{i}")["participant_token"] for i in choices]
    created = op(
        server,
        code,
        moderator,
        "poll.create",
        kind="single",
        question="Q?",
        options=["a", "b", "c"],
    )
    assert created.status_code == 200, created.text
    poll_id = created.json()["poll_id"]
    assert op(server, code, moderator, "poll.open", poll_id=poll_id).status_code == 200
    for token, choice in zip(voters, choices, strict=True):
        voted = op(server, code, token, "vote", poll_id=poll_id, choice=choice)
        assert voted.status_code == 200, voted.text
    asked = op(server, code, voters[0], "question.ask", text=f"About {title}?", anonymous=False)
    assert asked.status_code == 200, asked.text
    question = asked.json()["question_id"]
    assert op(server, code, moderator, "question.approve", question_id=question).status_code == 200
    return Meeting(code, moderator, voters, poll_id)
