"""Rooms nobody watches are unloaded (snapshot kept, broker unsubscribed) and come back
exactly as they were on the next visit."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


def _rooms_hosted(server: LiveServer) -> float:
    text = httpx.get(server.http + "/metrics", timeout=5).text
    return next(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "townhall_rooms"
    )


def _wait_for_rooms(server: LiveServer, count: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while _rooms_hosted(server) != count:
        assert time.monotonic() < deadline, f"still {_rooms_hosted(server)} rooms hosted"
        time.sleep(0.1)


def test_an_idle_room_is_unloaded_and_reloads_as_it_was(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, env={"TOWNHALL_LIMIT_ROOM_UNLOAD_AFTER_S": "0.5"}).start()
    try:
        room = create_room(server.http)
        code, token = room["code"], room["moderator_token"]
        person = join(server.http, code, name="Ana")

        async def watch_and_vote() -> None:
            staff = await Client.open(server.ws, code, token)
            phone = await Client.open(server.ws, code, person["participant_token"])
            created = await staff.op(
                "poll.create", kind="single", question="Bus lane?", options=["yes", "no"]
            )
            await staff.op("poll.open", poll_id=created["poll_id"])
            await phone.op("vote", poll_id=created["poll_id"], choice=0)
            await asyncio.sleep(1.5)  # watched: stays loaded however long it is quiet
            assert _rooms_hosted(server) == 1
            await staff.close()
            await phone.close()

        asyncio.run(watch_and_vote())
        _wait_for_rooms(server, 0)
        snapshot = httpx.get(
            f"{server.http}/api/rooms/{code}", headers={"authorization": f"Bearer {token}"}
        ).json()
        assert _rooms_hosted(server) == 1  # the visit loaded it again
        (poll,) = snapshot["room"]["polls"]
        assert poll["state"] == "open" and poll["results"]["counts"] == [1, 0]
        assert "Traceback" not in server.log_path.read_text()
    finally:
        server.stop()
