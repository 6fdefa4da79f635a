"""Server-to-client WebSocket frames, built once and written to many sockets.

Frames from a server are never masked (RFC 6455 §5.1), so a frame's bytes are the same for
every socket: we build them once per (view, encoding, tick). This only holds without
per-message compression, which the server therefore does not negotiate.
"""

from __future__ import annotations

import struct

__all__ = ["binary_frame", "text_frame"]

_TEXT = 0x81  # FIN + opcode 1
_BINARY = 0x82  # FIN + opcode 2


def _frame(first: int, payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        header = bytes((first, size))
    elif size < 65536:
        header = struct.pack("!BBH", first, 126, size)
    else:
        header = struct.pack("!BBQ", first, 127, size)
    return header + payload


def text_frame(payload: bytes) -> bytes:
    """`payload` must already be UTF-8."""
    return _frame(_TEXT, payload)


def binary_frame(payload: bytes) -> bytes:
    return _frame(_BINARY, payload)
