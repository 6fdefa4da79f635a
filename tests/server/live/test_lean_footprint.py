"""What an idle socket keeps (issue 18: RSS per idle socket). Memory is measured by the bench;
this notices, without timing anything, when a change brings back what a socket need not
hold: a `__dict__` on our per-socket objects, or the handshake's scope, request, response
and the ASGI queue kept on uvicorn's protocol after the lean intake adopted the socket."""

from __future__ import annotations

import asyncio
from pathlib import Path

from server.edge.ws_endpoint import SocketIntake
from server.live.connection import Connection
from server.live.outbox import RawOutbox
from server.live.ratelimit import Bucket
from tests.support.lean_server import lean_server, one_phone


def test_per_socket_objects_have_no_instance_dict() -> None:
    for cls in (Connection, SocketIntake, RawOutbox, Bucket):
        assert cls.__dictoffset__ == 0, f"{cls.__name__} grew a __dict__ (lost __slots__)"


def test_an_adopted_socket_lets_go_of_the_handshake_and_the_asgi_queue(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with lean_server(tmp_path) as server:
            phone, proto, _ = await one_phone(server)
            assert proto.adopted
            kept = vars(proto)
            for name in ("scope", "request", "response", "config", "app_state"):
                assert name not in kept, f"an idle socket still holds the handshake's {name}"
            assert not isinstance(proto.queue, asyncio.Queue), "the idle ASGI queue is kept"
            assert not isinstance(proto.writable, asyncio.Event)
            assert proto._waiting is None  # nothing waiting: no buffer either

            # Frames still reach the edge after the shedding, and acks come back.
            await phone.send("ping")
            await phone.wait_for(lambda f: f["type"] == "pong")
            assert proto._waiting is None
            await phone.close()
            await server.until_no_connections()

    asyncio.run(scenario())
