"""Before any request exists: connections per address, and a deadline for the headers.

A slowloris client opens thousands of connections and dribbles a header byte now and then;
uvicorn would wait for each forever, and a few thousand of them use up the descriptors that
everyone else needs. This HTTP protocol (uvicorn's httptools protocol, plus two checks)
closes a connection whose request headers are not complete within `header_timeout_s` of its
first byte (or of connecting), and refuses a new connection from an address that already
holds `connections_per_ip`. A WebSocket upgrade leaves this count for the app's own socket
count. Connections from trusted proxies are not capped here: the proxy is many people.
Refusals are logged, sampled, with the address.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from server.config import Limits
from server.edge.addresses import AddressPolicy

__all__ = ["guarded_http_protocol"]

log = logging.getLogger("townhall.edge")


def guarded_http_protocol(limits: Limits, addresses: AddressPolicy) -> type[asyncio.Protocol]:
    """A protocol class for `uvicorn.run(http=...)` enforcing `limits` (one per process)."""
    open_per_address: Counter[str] = Counter()
    refused: Counter[str] = Counter()

    def note(kind: str, address: str) -> None:
        refused[kind] += 1
        if refused[kind] <= 5 or refused[kind] % 100 == 0:
            log.info("refused %s from %s (%d so far)", kind, address, refused[kind])

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _guard_key: str | None = None
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            peer = transport.get_extra_info("peername")
            ip = peer[0] if isinstance(peer, tuple) and peer else "?"
            if not addresses.is_trusted_proxy(ip):
                key = addresses.bucket(ip)
                if open_per_address[key] >= limits.connections_per_ip:
                    note("connection over the per-address cap", key)
                    transport.abort()
                    return
                open_per_address[key] += 1
                self._guard_key = key
            super().connection_made(transport)
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(limits.header_timeout_s, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self.transport is not None and not self.transport.is_closing():
                note("slow request headers", self._guard_key or "a trusted proxy")
                self.transport.abort()

        def _release(self) -> None:
            key, self._guard_key = self._guard_key, None
            if key is not None:
                open_per_address[key] -= 1
                if open_per_address[key] <= 0:
                    del open_per_address[key]

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._deadline is None:  # a new request on a kept-alive connection
                self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            super().on_headers_complete()

        def handle_websocket_upgrade(self) -> None:
            self._disarm()
            self._release()  # from here the app counts the socket (sockets_per_ip)
            super().handle_websocket_upgrade()
            # The WebSocket protocol has the transport now, and this one is left behind with
            # its parser, whose callbacks are this protocol's bound methods: a cycle only the
            # cyclic collector would free (~20 objects a socket), and the live server freezes
            # its young objects instead of collecting them (server/live/gc_tuning.py).
            self.parser = None  # type: ignore[assignment]

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            self._release()
            if self.transport is not None:
                super().connection_lost(exc)

    def snapshot() -> dict[str, Any]:
        return {"open": dict(open_per_address), "refused": dict(refused)}

    GuardedHttpToolsProtocol.snapshot = staticmethod(snapshot)  # type: ignore[attr-defined]
    return GuardedHttpToolsProtocol
