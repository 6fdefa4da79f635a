"""The guarded HTTP protocol, as the cli serves it (tests/support/lean_server.py)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from tests.support.lean_server import lean_server, one_phone


def test_an_upgraded_connection_leaves_no_cycle_for_the_collector(tmp_path: Path) -> None:
    """Upgraded to a WebSocket, the HTTP protocol is left behind with its parser, whose
    callbacks are its own bound methods. The live server freezes young objects rather than
    collect them (server/live/gc_tuning.py), so that cycle, one per socket, would wait half
    an hour for the full collection: it is broken at the upgrade."""

    async def scenario() -> list[object]:
        async with lean_server(tmp_path) as server:
            gc.collect()
            gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector finds is kept, to look at
            try:
                phone, _, _ = await one_phone(server)
                await phone.close()
                await server.until_no_connections()
                gc.collect()
                return [o for o in gc.garbage if isinstance(o, HttpToolsProtocol)]
            finally:
                gc.set_debug(0)
                gc.garbage.clear()

    assert asyncio.run(scenario()) == []
