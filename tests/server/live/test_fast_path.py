"""The fan-out writes straight to uvicorn's transport (RawOutbox). If an upgrade of uvicorn
renames or reshapes its sans-I/O protocol, sockets silently fall back to the ASGI queue and
the server gets several times slower: this test is what notices."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.live.thread_fanout import native
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


def _gauge(server: LiveServer, name: str, label: str) -> dict[str, float]:
    """`name`'s samples by `label` (an unlabelled sample under "")."""
    text = httpx.get(server.http + "/metrics", timeout=5).text
    return {
        sample.labels.get(label, ""): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    }


def _writers(server: LiveServer) -> dict[str, float]:
    return _gauge(server, "townhall_connections_by_writer", "writer")


def test_every_socket_of_the_real_server_uses_the_fast_write_path(server: LiveServer) -> None:
    room = create_room(server.http)
    person = join(server.http, room["code"])

    async def scenario() -> None:
        staff = await Client.open(server.ws, room["code"], room["moderator_token"])
        phone = await Client.open(server.ws, room["code"], person["participant_token"], binary=True)
        try:
            await phone.wait_for(lambda f: f["type"] == "snapshot")
            writers = _writers(server)
            assert writers["asgi"] == 0, "uvicorn's fast write path was lost"
            assert writers["raw"] >= 2
        finally:
            await staff.close()
            await phone.close()

    asyncio.run(scenario())


def test_every_socket_of_the_real_server_reads_through_the_lean_intake(
    server: LiveServer,
) -> None:
    """Frames reach the edge's checks straight from uvicorn's protocol (server/live/lean.py),
    and still get every answer: an ack, a refusal of a bad frame, a pong."""
    room = create_room(server.http)
    person = join(server.http, room["code"])

    async def scenario() -> None:
        staff = await Client.open(server.ws, room["code"], room["moderator_token"])
        phone = await Client.open(server.ws, room["code"], person["participant_token"])
        try:
            await phone.wait_for(lambda f: f["type"] == "snapshot")
            intakes = _gauge(server, "townhall_connections_by_intake", "intake")
            assert intakes["asgi"] == 0, "the lean intake was lost: frames go through ASGI"
            assert intakes["lean"] >= 2
            await phone.ws.send("not json")
            refused = await phone.wait_for(lambda f: f["type"] == "error")
            assert refused["code"] == "frame.invalid"
            await phone.send("ping", "p1")
            assert (await phone.wait_for(lambda f: f["type"] == "pong"))["seq"] >= 0
            ack = await staff.op("poll.create", kind="single", question="Q?", options=["a", "b"])
            assert ack["type"] == "ack"
            # Those frames were cut off the stream in C (server/live/_wsread.c), not parsed
            # by websockets: the module was built and the protocol still lets it split.
            split = _gauge(server, "townhall_frames_split_total", "")
            assert split[""] >= 3, "the C split of client frames is not in use"
        finally:
            await staff.close()
            await phone.close()
        # Both sockets left the room when their connections closed (no task noticed it).
        for _ in range(50):
            intakes = _gauge(server, "townhall_connections_by_intake", "intake")
            if intakes["lean"] == 0:
                break
            await asyncio.sleep(0.05)
        assert intakes == {"lean": 0, "asgi": 0}

    asyncio.run(scenario())


@pytest.fixture(scope="module")
def worker_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose worker writes frames for any number of sockets: by default only a
    frame for 250 or more goes to it, and this test's room has two."""
    env = {"TOWNHALL_FANOUT_WORKER_FROM": "1"}
    live = LiveServer(Path(tmp_path_factory.mktemp("worker")), env).start()
    yield live
    live.stop()


def test_the_real_server_writes_the_ticks_from_its_worker_thread(
    worker_server: LiveServer,
) -> None:
    """The tick's shared frames leave through the C module with the GIL released
    (server/live/thread_fanout.py). `make setup` builds it; without a compiler the loop
    writes them, several times slower under load: this test is what notices."""
    assert native() is not None, "server/live/_fanout.c is not built (make setup; needs gcc)"
    server = worker_server
    room = create_room(server.http)
    person = join(server.http, room["code"])

    async def scenario() -> None:
        staff = await Client.open(server.ws, room["code"], room["moderator_token"])
        phone = await Client.open(server.ws, room["code"], person["participant_token"])
        try:
            await phone.wait_for(lambda f: f["type"] == "snapshot")
            before = _frames_by_writer(server)
            ack = await staff.op("poll.create", kind="single", question="Q?", options=["a", "b"])
            await staff.wait_for(
                lambda f: f["type"] not in _ANSWERS and f.get("seq", 0) >= ack["seq"]
            )
            for _ in range(50):  # counted once the worker's send is back
                after = _frames_by_writer(server)
                if after["worker"] > before["worker"]:
                    break
                await asyncio.sleep(0.05)
            assert after["worker"] > before["worker"], (before, after)
        finally:
            await staff.close()
            await phone.close()

    asyncio.run(scenario())


_ANSWERS = frozenset({"ack", "error", "pong", "snapshot"})


def _frames_by_writer(server: LiveServer) -> dict[str, float]:
    return _gauge(server, "townhall_frames_by_writer_total", "writer")
