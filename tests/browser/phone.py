"""Helpers for the phone tests: rooms set up over the HTTP API, people only through pages."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
OPTIONS = ["Parks", "Roads", "Library"]
# Every poll kind, with the settings the phone must honour.
KINDS: list[tuple[str, dict[str, Any]]] = [
    ("single", {"options": OPTIONS}),
    ("multiple", {"options": OPTIONS, "max_selections": 2}),
    ("rating", {"scale": 5}),
    ("ranking", {"options": OPTIONS}),
    ("budget", {"options": OPTIONS, "total": 10}),
    ("wordcloud", {}),
    ("open", {}),
]
_ids = itertools.count(1)


class Room:
    def __init__(self, server: LiveServer, title: str = "Council", **settings: Any) -> None:
        self.server = server
        self.info = create_room(server.http, title, **settings)
        self.code: str = self.info["code"]
        self.url = f"{server.http}/r/{self.code}"

    def op(self, op: str, **fields: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.server.http}/api/rooms/{self.code}/ops",
            headers={"authorization": f"Bearer {self.info['moderator_token']}"},
            json={"op": op, "op_id": f"ph-{next(_ids)}", **fields},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def poll(self, kind: str, question: str, opened: bool = True, **fields: Any) -> int:
        poll_id = int(self.op("poll.create", kind=kind, question=question, **fields)["poll_id"])
        if opened:
            self.op("poll.open", poll_id=poll_id)
        return poll_id

    def every_kind(self) -> dict[str, int]:
        return {kind: self.poll(kind, f"Which {kind}?", **extra) for kind, extra in KINDS}

    def snapshot(self) -> dict[str, Any]:
        response = httpx.get(
            f"{self.server.http}/api/rooms/{self.code}",
            headers={"authorization": f"Bearer {self.info['moderator_token']}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    def question_of(self, text: str) -> dict[str, Any]:
        room = self.snapshot()["room"]
        return next(q for q in room["questions"] if text in q["text"])

    def ballots(self, poll_id: int) -> int:
        poll = next(p for p in self.snapshot()["room"]["polls"] if p["poll_id"] == poll_id)
        return int(poll["results"]["voters"])


def join(page: Any, room: Room, name: str = "", online: bool = True, **fields: str) -> None:
    page.goto(room.url)
    if name:
        page.get_by_label("Your name").fill(name)
    for label, value in fields.items():
        page.locator(f"#{label}").fill(value)
    page.get_by_role("button", name="Join").click()
    if online:
        page.wait_for_selector("body[data-conn=online]")


def shot(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"phone-{name}.png"), full_page=True)


def axe(page: Any) -> list[str]:
    page.add_script_tag(url="/static/vendor/axe.min.js")
    violations = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)" for v in violations]
