"""A loopback TCP proxy that can stop passing bytes: a server that hangs, or a lost answer.

Frozen, it keeps both sockets open and reads nothing more, so the kernel still acknowledges
what was sent and neither side sees an error: what a stopped database or a black-holed route
looks like to its client. Frozen one way (`answers_only`, or `lose_answers_after` a given
request), the requests still arrive and take effect but the answers never come back.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType

__all__ = ["TcpProxy"]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.host = "127.0.0.1"
        self.port = 0
        self._server: asyncio.Server | None = None
        self._to_server = asyncio.Event()
        self._to_client = asyncio.Event()
        self._to_server.set()
        self._to_client.set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._trigger: bytes | None = None

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.thaw()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def lose_answers_after(self, request: bytes) -> None:
        """Pass everything until a request containing `request` has gone through, then hold
        every answer: the request takes effect, its sender never hears so."""
        self._trigger = request

    def freeze(self, *, answers_only: bool = False) -> None:
        self._to_client.clear()
        if not answers_only:
            self._to_server.clear()

    def thaw(self) -> None:
        self._to_server.set()
        self._to_client.set()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        for source, sink, gate in (
            (reader, up_writer, self._to_server),
            (up_reader, writer, self._to_client),
        ):
            task = asyncio.get_running_loop().create_task(self._pipe(source, sink, gate))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, gate: asyncio.Event
    ) -> None:
        try:
            while True:
                await gate.wait()
                data = await source.read(65536)
                if not data:
                    break
                await gate.wait()  # frozen while reading: hold what was read
                sink.write(data)
                await sink.drain()
                if gate is self._to_server and self._trigger and self._trigger in data:
                    self._trigger = None
                    self._to_client.clear()
        except ConnectionError:
            pass
        finally:
            with contextlib.suppress(Exception):
                sink.close()
