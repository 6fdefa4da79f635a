"""The real server in this test's own process, served the way `server.tools.cli` serves it
(uvicorn with the lean WebSocket protocol), so a test can look at the protocol objects of
its sockets. Loopback only; stopped when the block ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn

from server.app import build_app
from server.config import load_settings
from server.edge.addresses import AddressPolicy
from server.edge.connection_guard import guarded_http_protocol
from server.edge.ws_endpoint import SocketIntake
from server.live.asgi import capture_raw_send
from server.live.connection import Connection
from server.live.hub import Hub
from server.live.lean import LeanWebSocketProtocol
from tests.support.live_server import free_port
from tests.support.wsclient import Client, create_room, join

__all__ = ["LeanServer", "lean_server", "one_phone"]


class LeanServer:
    def __init__(self, server: uvicorn.Server, port: int, hub: Hub) -> None:
        self.server = server
        self.hub = hub  # the rooms this server hosts, to look at in the test's own process
        self.http = f"http://127.0.0.1:{port}"
        self.ws = f"ws://127.0.0.1:{port}"

    def protocols(self) -> list[LeanWebSocketProtocol]:
        return [
            c for c in self.server.server_state.connections if isinstance(c, LeanWebSocketProtocol)
        ]

    async def until_no_connections(self) -> None:
        while self.server.server_state.connections:
            await asyncio.sleep(0.02)


@asynccontextmanager
async def lean_server(
    data_dir: Path, env: Mapping[str, str] | None = None, *, portable: bool = False
) -> AsyncIterator[LeanServer]:
    """`env`: more settings (TOWNHALL_LIMIT_...); `portable`: uvicorn's own WebSocket
    protocol instead, so every socket reads through the ASGI receive loop, as under any
    other server."""
    port = free_port()
    settings = load_settings(
        {
            "TOWNHALL_DATA_DIR": str(data_dir),
            "TOWNHALL_SECRET": "test-secret-please-change",
            **(env or {}),
        }
    )
    app = build_app(settings.with_(host="127.0.0.1", port=port))
    config = uvicorn.Config(
        capture_raw_send(app),  # as create_app wraps it
        host="127.0.0.1",
        port=port,
        http=guarded_http_protocol(settings.limits, AddressPolicy.trusting(())),  # as the cli
        ws="websockets-sansio" if portable else LeanWebSocketProtocol,  # as the cli serves
        ws_max_size=settings.limits.max_frame_bytes,  # as the cli's: websockets refuses more
        ws_per_message_deflate=False,
        lifespan="on",
        log_config=None,
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.02)
    try:
        yield LeanServer(server, port, app.state.runtime.hub)
    finally:
        server.should_exit = True
        await serving


async def one_phone(server: LeanServer) -> tuple[Client, LeanWebSocketProtocol, Connection]:
    """A new room with one attendee connected and given its snapshot: the phone, the
    server's protocol object for its socket (the only one), and that socket's Connection."""
    room = await asyncio.to_thread(create_room, server.http)
    person = await asyncio.to_thread(join, server.http, room["code"])
    phone = await Client.open(server.ws, room["code"], person["participant_token"])
    await phone.wait_for(lambda f: f["type"] == "snapshot")
    (proto,) = server.protocols()
    intake = proto.receiver
    assert isinstance(intake, SocketIntake)
    return phone, proto, intake.conn
