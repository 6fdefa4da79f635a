"""A pong that waits behind frames the server holds does not get the phone closed.

In a surge the lean intake pauses a socket's reading while its frames wait in line
(server/live/intake_turns.py); the peer's answer to the keepalive ping is then in the kernel
behind them. uvicorn would close such a socket with 1011 once the ping timed out: the
server's own backlog would drop live phones, and their reconnects add to the surge. On the
real server in this process, with the phone's frames held for real."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from server.live.intake_turns import FRAMES_PER_TURN, turns_of
from tests.support.lean_server import lean_server, one_phone


def test_a_socket_whose_frames_wait_is_alive_and_one_that_is_silent_is_closed(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with lean_server(tmp_path) as server:
            phone, proto, conn = await one_phone(server)

            turns = turns_of(asyncio.get_running_loop())
            turns.per_turn = turns.left = 0  # the loop's budget spent: every frame waits
            try:
                for _ in range(3):
                    await phone.ws.send(json.dumps({"op": "ping"}))
                while not proto.read_paused:
                    await asyncio.sleep(0.01)
                proto.send_keepalive_ping()  # the phone answers; the pong stays unread
                await asyncio.sleep(0.2)
                assert proto.pong_timer is not None
                proto.pong_timer.cancel()
                proto.keepalive_timeout()  # as its timer would, ws_ping_timeout later
                assert not (proto.close_sent or proto.transport.is_closing() or conn.closed), (
                    "a phone was closed for the server's own backlog"
                )
                assert proto.ping_timer is not None, "no next ping: keepalive stopped"
            finally:
                turns.per_turn = turns.left = FRAMES_PER_TURN

            for _ in range(3):  # its frames are handled in the end, every one answered
                await phone.wait_for(lambda f: f["type"] == "pong", timeout=10)
            while proto.read_paused:
                await asyncio.sleep(0.01)
            assert sum(f["type"] == "pong" for f in phone.frames) == 3

            # Nothing held any more: a ping left unanswered closes the socket, as uvicorn does.
            proto.keepalive_timeout()
            assert proto.close_sent and conn.closed
            await asyncio.wait_for(phone.closed, 10)
            await server.until_no_connections()

    asyncio.run(scenario())
