"""The fan-out writes a shared frame with the transport's own `write`, no check of its own
(issue 18: about a microsecond per frame). That is safe only because the lean protocol marks
the socket's Connection closed the moment a close frame goes out, whichever path sends it:
these tests hold both halves, on the real server in this process."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from server.live.connection import CLOSE_LAGGING, Connection
from server.live.lean import LeanWebSocketProtocol
from tests.support.lean_server import lean_server, one_phone


def test_a_lean_socket_takes_shared_frames_through_the_transports_own_write(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with lean_server(tmp_path) as server:
            phone, proto, conn = await one_phone(server)
            assert conn.put == proto.transport.write, "the fan-out went back to a checked write"
            assert conn.buffered == proto.transport.get_write_buffer_size
            await phone.close()
            await server.until_no_connections()
            assert conn.closed

    asyncio.run(scenario())


CLOSERS: dict[str, Callable[[LeanWebSocketProtocol, Connection], None]] = {
    # Ours: a lagging or banned socket, a flood (server/live/connection.py).
    "close_now": lambda proto, conn: conn.close(CLOSE_LAGGING, "too slow"),
    # uvicorn's: the peer stopped answering pings.
    "keepalive_timeout": lambda proto, conn: proto.keepalive_timeout(),
    # uvicorn's: the server is stopping (a 1012 to every socket).
    "shutdown": lambda proto, conn: proto.shutdown(),
}


@pytest.mark.parametrize("path", sorted(CLOSERS))
def test_every_close_frame_stops_the_fan_out_at_once(tmp_path: Path, path: str) -> None:
    async def scenario() -> None:
        async with lean_server(tmp_path) as server:
            phone, proto, conn = await one_phone(server)
            assert not conn.closed
            CLOSERS[path](proto, conn)
            # Synchronously, before the transport is gone: no frame may follow the close.
            assert proto.close_sent or proto.transport.is_closing()
            assert conn.closed, f"{path} sent a close frame but the fan-out would go on"
            await asyncio.wait_for(phone.closed, 10)
            await server.until_no_connections()

    asyncio.run(scenario())


def test_the_peers_close_stops_the_fan_out_before_the_connection_is_lost(tmp_path: Path) -> None:
    seen: list[tuple[bool, bool]] = []

    async def scenario() -> None:
        async with lean_server(tmp_path) as server:
            phone, proto, conn = await one_phone(server)
            answer = proto.handle_close

            def handle_close(event: object) -> None:
                answer(event)
                seen.append((conn.closed, proto.disconnected))

            proto.handle_close = handle_close
            await phone.close()
            await server.until_no_connections()

    asyncio.run(scenario())
    assert seen == [(True, False)], "the peer's close was answered but frames could follow"
