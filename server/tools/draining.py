"""uvicorn, shutting down in the order the app needs.

uvicorn's own shutdown closes every WebSocket (1012) first and runs the app's shutdown code
last, so an op received just before SIGTERM would be committed but never acknowledged. This
server stops accepting, then runs the app's lifespan shutdown (server/live/hub.py `Hub.stop`:
commit and answer every op already received, a last tick, 1012 from the app itself,
snapshots), and only then goes through uvicorn's steps, which find the sockets closed.
"""

from __future__ import annotations

import socket

import uvicorn

__all__ = ["DrainingServer"]


class _ShutDown:
    """Stands in for the lifespan once it has shut down, so uvicorn does not ask twice."""

    async def shutdown(self) -> None:
        return None


class DrainingServer(uvicorn.Server):
    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:  # stop accepting: no new connection from here on
            server.close()
        if not self.force_exit:
            await self.lifespan.shutdown()  # the app drains while its sockets are open
            self.lifespan = _ShutDown()
        await super().shutdown(sockets)
