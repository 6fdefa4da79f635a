"""uvicorn, shutting down in the order the app needs.

uvicorn's own shutdown closes every WebSocket (1012) first and runs the app's shutdown code
last, so an op received just before SIGTERM would be committed but never acknowledged. This
server stops accepting, then lets the app drain (commit and answer every op already received,
render a last tick, close its sockets with 1012 itself), and only then goes through uvicorn's
steps, which find the sockets already closed.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable

import uvicorn

__all__ = ["DrainingServer"]

log = logging.getLogger("townhall.serve")


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain: Callable[[], Awaitable[None]]) -> None:
        super().__init__(config)
        self._drain = drain

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # stop accepting: no new connection from here on
            server.close()
        try:
            await self._drain()
        except Exception:  # never keep the process from exiting: uvicorn closes what is left
            log.exception("draining the rooms failed; closing connections anyway")
        await super().shutdown(sockets)
