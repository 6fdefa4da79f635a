"""The outermost ASGI layer: keeps the server's own `send` for the fan-out fast path."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RAW_SEND", "capture_raw_send"]

RAW_SEND = "townhall.raw_send"


def capture_raw_send(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await app(scope, receive, send)

    return wrapped
