"""The outermost ASGI layer: keeps the server's own `send` for the fan-out fast path."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RAW_SEND", "capture_raw_send", "mark_denied"]

RAW_SEND = "townhall.raw_send"


def capture_raw_send(app: ASGIApp) -> ASGIApp:
    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            scope[RAW_SEND] = send
        await app(scope, receive, send)

    return wrapped


def mark_denied(scope: Scope) -> None:
    """After a handshake refused with an HTTP answer: tell uvicorn's sans-I/O protocol it is
    finished. It does not note a denial as the end of the handshake, and would log an ERROR
    ("returned without completing handshake") for every refused attempt, a flood of them
    under a scripted attack. tests/server/edge/test_ws_edge.py notices if this stops working.
    """
    proto = getattr(scope.get(RAW_SEND), "__self__", None)
    if proto is not None and hasattr(proto, "handshake_complete"):
        proto.handshake_complete = True
