"""The fan-out writes straight to uvicorn's transport (RawOutbox). If an upgrade of uvicorn
renames or reshapes its sans-I/O protocol, sockets silently fall back to the ASGI queue and
the server gets several times slower: this test is what notices."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join


def _writers(server: LiveServer) -> dict[str, float]:
    text = httpx.get(server.http + "/metrics", timeout=5).text
    return {
        sample.labels["writer"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "townhall_connections_by_writer"
    }


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
