"""Issue 13, item 2: a phone keeps an op the server answers "not now", and sends it again.

A real server on SQLite, with a pending-ops bound of one per room. The test holds the
database's write lock from outside (as a stuck disk or a backup holding it would): the
room's writer waits on it, the next op waits in the room's queue, and the phone's vote finds
the room full (`server.busy`); later, once the writer gives up, its batch answers
`server.unavailable`. The page keeps the vote queued and shows it as pending, resends it
with the same op_id after growing delays, and once the lock is released the vote is acked
and counted once.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(
        Path(tmp_path_factory.mktemp("pending")), env={"TOWNHALL_LIMIT_MAX_PENDING_OPS": "1"}
    ).start()
    yield live
    live.stop()


def _op(server: LiveServer, room: dict[str, Any], op: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.http}/api/rooms/{room['code']}/ops",
        headers={"authorization": f"Bearer {room['moderator_token']}"},
        json={"op": op, "op_id": f"{op}-{time.monotonic_ns()}", **fields},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


class Bystander(threading.Thread):
    """Another attendee whose two ops fill the room: one stuck in the writer, one queued.
    (Not reactions: those share one window entry, so two of them fill nothing.)"""

    def __init__(self, server: LiveServer, code: str, token: str) -> None:
        super().__init__(daemon=True)
        self.server, self.code, self.token = server, code, token
        self.ready = threading.Event()
        self.answers: list[dict[str, Any]] = []

    def run(self) -> None:
        async def body() -> None:
            client = await Client.open(self.server.ws, self.code, self.token)
            try:
                await client.wait_for(lambda f: f["type"] == "snapshot")
                first = asyncio.ensure_future(client.op("speaker.request", timeout=30))
                await asyncio.sleep(0.5)  # the writer has taken it and waits on the lock
                second = asyncio.ensure_future(client.op("question.ask", timeout=30, text="Parks?"))
                await asyncio.sleep(0.3)
                self.ready.set()
                self.answers = list(await asyncio.gather(first, second))
            finally:
                self.ready.set()
                await client.close()

        asyncio.run(body())


def test_a_vote_told_busy_or_unavailable_stays_pending_and_is_resent_until_it_counts(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    room = create_room(server.http, "Budget assembly")
    code = room["code"]
    poll = _op(server, room, "poll.create", kind="single", question="Which park?",
               options=["North park", "River park"])["poll_id"]  # fmt: skip
    _op(server, room, "poll.open", poll_id=poll)
    ben = join(server.http, code, name="Ben")

    context = browser.new_context(**PHONE)
    page = context.new_page()
    received: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    def watch(ws: Any) -> None:
        ws.on("framereceived", lambda payload: received.append(json.loads(payload)))
        ws.on("framesent", lambda payload: sent.append(json.loads(payload)))

    page.on("websocket", watch)
    page.goto(f"{server.http}/r/{code}")
    page.get_by_label("Your name").fill("Ana")
    page.get_by_role("button", name="Join").click()
    page.wait_for_selector("body[data-conn=online]")
    assert page.locator("#pending").is_hidden()

    lock = sqlite3.connect(server.data_dir / "townhall.db", isolation_level=None)
    lock.execute("BEGIN IMMEDIATE")  # nobody else may write until we let go
    bystander = Bystander(server, code, ben["participant_token"])
    released = False
    try:
        bystander.start()
        assert bystander.ready.wait(10)
        card = page.locator(f"#poll-{poll}")
        card.get_by_label("River park").check()
        card.get_by_role("button", name="Vote").click()

        page.locator("#pending").wait_for(state="visible", timeout=5000)
        page.wait_for_selector("body[data-pending='1']")
        page.screenshot(path=str(shots / "attendee-pending.png"), full_page=True)

        def codes() -> set[str]:
            return {f.get("code", "") for f in received if f["type"] == "error"}

        deadline = time.monotonic() + 30
        while not {"server.busy", "server.unavailable"} <= codes():
            assert time.monotonic() < deadline, f"the server never said both: {codes()}"
            page.wait_for_timeout(200)
        assert card.get_by_text("Your vote", exact=True).is_hidden()  # not counted yet, not dropped
        lock.rollback()
        released = True
        card.get_by_text("Your vote", exact=True).wait_for(timeout=30_000)
        page.wait_for_selector("body[data-pending='0']")
        assert page.locator("#pending").is_hidden()
    finally:
        if not released:
            lock.rollback()
        lock.close()
        bystander.join(40)

    votes = [f for f in sent if f.get("op") == "vote"]
    assert len(votes) >= 3, votes  # the first send and at least two resends
    assert len({v["op_id"] for v in votes}) == 1  # always the same op_id
    assert [f["type"] for f in received if f.get("op_id") == votes[0]["op_id"]][-1] == "ack"
    transcript = httpx.get(
        f"{server.http}/api/rooms/{code}/transcript",
        headers={"authorization": f"Bearer {room['moderator_token']}"},
        timeout=10,
    ).text
    ballots = [json.loads(line) for line in transcript.splitlines() if '"ballot.cast"' in line]
    # One ballot for the resent op: the same op_id, keyed the same way in the sealed chain.
    assert len(ballots) == 1 and ballots[0]["op_id"].startswith("o-")
    bearer = {"authorization": f"Bearer {room['moderator_token']}"}
    view = httpx.get(f"{server.http}/api/rooms/{code}", timeout=10, headers=bearer).json()
    assert view["room"]["polls"][0]["results"]["counts"] == [0, 1]
    assert "Traceback" not in server.logs()
    context.close()
