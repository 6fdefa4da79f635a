"""Shutdown in the right order, on a real server process: stop accepting, commit and answer
the ops already received, and only then close every socket with 1012."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from pathlib import Path

import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


def _refused(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.slow
def test_sigterm_acks_the_op_in_flight_before_closing_with_1012(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data").start()
    try:
        room = create_room(server.http)
        person = join(server.http, room["code"])

        async def scenario() -> tuple[list[str], tuple[int | None, str], bool]:
            client = await Client.open(server.ws, room["code"], person["participant_token"])
            await client.wait_for(lambda f: f["type"] == "snapshot")
            # A reaction is acknowledged when its window's entry commits (up to 500 ms
            # later): it is still in flight when the signal lands.
            op_id = await client.send("react", emoji="👍")
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)
            closed = await asyncio.wait_for(client.closed, 15)
            refused = _refused(server.port)
            after = [f["type"] for f in client.frames if f.get("op_id") == op_id]
            return after, closed, refused

        answers, (close_code, _), refused_after = asyncio.run(scenario())
        assert answers == ["ack"], "the op in flight was not answered before the socket closed"
        assert close_code == 1012
        assert refused_after, "the server still accepted connections after draining"
        assert server.proc is not None
        assert server.proc.wait(20) in (0, -signal.SIGTERM)
        server.start()  # the acknowledged reaction is in the store
        entries = _entries(server, room)
        assert any(e["type"] == "reactions.counted" for e in entries)
        assert "Traceback" not in server.logs()
    finally:
        server.stop()


def _entries(server: LiveServer, room: dict[str, str]) -> list[dict[str, object]]:
    import json

    import httpx

    deadline = time.monotonic() + 10
    while True:
        response = httpx.get(
            f"{server.http}/api/rooms/{room['code']}/transcript",
            headers={"authorization": f"Bearer {room['moderator_token']}"},
        )
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    return [json.loads(line) for line in response.text.splitlines()]
