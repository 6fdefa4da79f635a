"""The two wire encodings, and strict decoding of what clients send."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

import msgpack
import msgspec

from rooms.errors import CommandError
from rooms.fields import check_text, check_text_tree
from server.live.wsframe import binary_frame, text_frame

__all__ = ["Encoding", "FrameError", "decode_frame", "encode", "peek_op_id", "wire_frame"]

MAX_DEPTH = 8


class Encoding(StrEnum):
    JSON = "townhall.v1.json"
    MSGPACK = "townhall.v1.msgpack"


class FrameError(Exception):
    """A client frame that is not a valid operation. `close_code` set when the socket must go.

    `op_id` is the frame's own, when that much of it was sound: the error answers that op.
    """

    def __init__(
        self, code: str, message: str, close_code: int | None = None, op_id: str | None = None
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code
        self.op_id = op_id

    def frame(self) -> dict[str, Any]:
        """The error frame to send back (never echoing an op_id that is not sound text)."""
        out: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.op_id is not None:
            out["op_id"] = self.op_id
        return out


# Built once: `json.dumps(obj, separators=..., ensure_ascii=False)` makes a new encoder on
# every call with non-default options (about a fifth of the cost of encoding an ack).
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


# Frames for the wire (acks, errors, personal frames, the tick's shared frames; never the
# chain's canonical JSON, rooms/chain.py): msgspec, a tenth of the json module's cost. The
# same bytes for every frame of strings, integers, booleans, null, lists and objects (tests/
# server/live/test_codec.py); a float may be spelled differently (1e16 for 1e+16), the same
# number. Keys msgspec refuses (booleans, null) take the json module's way, as before.
_encode_msgspec = msgspec.json.Encoder().encode


def encode(obj: Any, encoding: Encoding) -> bytes:
    if encoding is Encoding.JSON:
        try:
            return _encode_msgspec(obj)
        except TypeError:
            return _encode_json(obj).encode("utf-8")
    return msgpack.packb(obj, use_bin_type=True)  # type: ignore[no-any-return]


def wire_frame(payload: bytes, encoding: Encoding) -> bytes:
    return text_frame(payload) if encoding is Encoding.JSON else binary_frame(payload)


# No op needs more than a handful of lists and objects (a ballot, a list of options), but a
# frame padded with thousands of empty ones costs milliseconds to walk in Python: count them
# first, the text cheaply before decoding (a bracket inside a string counts too, hence the
# slack), then exactly, stopping at the first one too many.
MAX_CONTAINERS = 64
_BRACKETS_BEFORE_DECODING = 4 * MAX_CONTAINERS


def _shape_error(obj: object) -> str | None:
    """Why `obj` nests too deep or holds too many containers, or None."""
    stack: list[tuple[object, int]] = [(obj, 1)]
    seen = 0
    while stack:
        value, level = stack.pop()
        seen += 1
        if seen > MAX_CONTAINERS:
            return f"a frame may hold at most {MAX_CONTAINERS} lists and objects"
        if level > MAX_DEPTH:
            return f"a frame may nest at most {MAX_DEPTH} levels"
        children: Iterable[object] = (
            value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        )
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, level + 1))
    return None


def decode_frame(text: str | None, data: bytes | None, encoding: Encoding) -> dict[str, Any]:
    """Parse one client frame into a dict with at least a string `op`. Raises FrameError.

    The shape of `op_id` and of the op's fields is the edge's to check (server/edge/ops.py).
    """
    if encoding is Encoding.JSON:
        if text is None:
            raise FrameError("frame.invalid", "binary frame on a JSON connection", 1003)
        if text.count("[") + text.count("{") > _BRACKETS_BEFORE_DECODING:
            raise FrameError("frame.invalid", "a frame with that many lists and objects")
        try:
            obj = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise FrameError("frame.invalid", f"not JSON: {exc.__class__.__name__}") from exc
    else:
        if data is None:
            raise FrameError("frame.invalid", "text frame on a msgpack connection", 1003)
        try:
            # Size is already capped at 64 KiB by the server; these bound what it may expand to.
            obj = msgpack.unpackb(
                data,
                raw=False,
                strict_map_key=True,
                use_list=True,
                max_str_len=64 * 1024,
                max_bin_len=0,
                max_array_len=4096,
                max_map_len=4096,
                max_ext_len=0,
            )
        except (
            ValueError,
            TypeError,
            msgpack.ExtraData,
            msgpack.FormatError,
            msgpack.StackError,
            RecursionError,
        ) as exc:
            raise FrameError("frame.invalid", f"not msgpack: {exc.__class__.__name__}") from exc
    if not isinstance(obj, dict):
        raise FrameError("frame.invalid", "a frame must be an object")
    shape = _shape_error(obj)
    if shape is not None:
        op_id = obj.get("op_id")
        named = isinstance(op_id, str) and 1 <= len(op_id) <= 64 and _sound(op_id)
        raise FrameError("frame.invalid", shape, op_id=op_id if named else None)
    op = obj.get("op")
    if not isinstance(op, str) or not op or len(op) > 64:
        raise FrameError("frame.invalid", "a frame needs an `op` string")
    # Every string, keys and op_id included: one that no store can hold must fail this op
    # here, not the group commit it would share with everyone else's (rooms/text.py).
    # JSON text with no backslash has no escapes, so every decoded character is in it as is:
    # one pass over the text then settles it (most votes and reactions).
    try:
        raw = text if encoding is Encoding.JSON else None
        if raw is None or "\\" in raw or not _sound(raw):
            check_text_tree(obj)
    except CommandError as error:
        # The answer names the op, unless its op_id is what is wrong (it could not be sent).
        op_id = obj.get("op_id")
        named = isinstance(op_id, str) and 1 <= len(op_id) <= 64 and _sound(op_id)
        raise FrameError(error.code, error.message, op_id=op_id if named else None) from None
    return obj


# A refused frame is not decoded (that is the point of refusing it cheaply), but its answer
# should still name the op: a bounded look at the start of a JSON frame, a small msgpack one.
_OP_ID = re.compile(r'"op_id"\s*:\s*"([A-Za-z0-9_.:~-]{1,64})"')
_PEEK = 512


def peek_op_id(text: str | None, data: bytes | None) -> str | None:
    if text is not None:
        found = _OP_ID.search(text, 0, _PEEK)
        return found.group(1) if found else None
    if data is not None and len(data) <= _PEEK:
        try:
            obj = msgpack.unpackb(data, raw=False, max_bin_len=0, max_ext_len=0)
        except Exception:  # a malformed frame names nothing
            return None
        op_id = obj.get("op_id") if isinstance(obj, dict) else None
        return op_id if isinstance(op_id, str) and 1 <= len(op_id) <= 64 else None
    return None


def _sound(text: str) -> bool:
    try:
        check_text(text)
    except CommandError:
        return False
    return True
