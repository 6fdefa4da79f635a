"""Logging setup: plain text by default, one JSON object per line with TOWNHALL_LOG_FORMAT=json.

A JSON line has `time` (UTC, ISO 8601 with milliseconds), `level`, `logger`, `message`, `room`
when the record concerns one room, and `exc` (the formatted traceback) when there is one:

    {"time": "2025-03-01T18:04:05.123Z", "level": "WARNING", "logger": "townhall.room",
     "message": "room K7F3QX: store unavailable, 3 ops refused: ...", "room": "K7F3QX"}

The room comes from `extra={"room": code}` on the call, or else from the project's
message convention `"room %s: ..."` (the first argument), so existing calls need no change.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from typing import Any

__all__ = [
    "JsonFormatter",
    "RedactTokens",
    "SampleRefusals",
    "configure_logging",
    "json_logging",
    "redact",
]

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


# A token in a URL (`?token=…`, `&token=…`), a bearer header, or a signed token on its own
# (the `payload.signature` shape of server/edge/tokens.py): nothing of it reaches a log.
_SECRETS = re.compile(
    r"(?P<key>(?:[?&]|\b)(?:token|moderator_token|participant_token|screen_token|embed_token)"
    r"[=\"':\s]+)[A-Za-z0-9_\-\.~%]{12,}"
    r"|(?P<bearer>[Bb]earer\s+)[A-Za-z0-9_\-\.~%]{8,}"
)


def redact(text: str) -> str:
    return _SECRETS.sub(lambda m: (m.group("key") or m.group("bearer")) + "[redacted]", text)


class RedactTokens(logging.Filter):
    """On the handler: every record, ours, uvicorn's access log and libraries' alike, is
    formatted once and stored with its tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class SampleRefusals(logging.Filter):
    """uvicorn writes two lines per refused WebSocket handshake; a script refused 10,000 times
    must not write 20,000. The first 20 pass, then one in 100 (with the running count)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = {"rejected": 0, "handshake": 0}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name != "uvicorn.error" or record.levelno > logging.INFO:
            return True
        message = record.getMessage()
        if message.startswith("connection rejected"):
            kind = "rejected"
        elif _REFUSED_HANDSHAKE.search(message):
            kind = "handshake"
        else:
            return True
        self.seen[kind] += 1
        n = self.seen[kind]
        if n > 20 and n % 100:
            return False
        if n > 20:
            record.msg, record.args = f"{message} ({n} refusals so far)", None
        return True


_REFUSED_HANDSHAKE = re.compile(r'"WebSocket [^"]*" 4\d\d$')


def json_logging(env: dict[str, str] | None = None) -> bool:
    source = os.environ if env is None else env
    return source.get("TOWNHALL_LOG_FORMAT", "text").strip().lower() == "json"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        seconds = time.gmtime(record.created)
        out: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", seconds) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        room = getattr(record, "room", None)
        if room is None and isinstance(record.msg, str) and record.msg.startswith("room %s"):
            args = record.args
            if isinstance(args, tuple) and args:
                room = args[0]
        if room is not None:
            out["room"] = str(room)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str | int = "INFO", *, as_json: bool | None = None) -> None:
    """Route every logger (ours, uvicorn's, libraries') through one stderr handler."""
    as_json = json_logging() if as_json is None else as_json
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(SampleRefusals())
    handler.addFilter(RedactTokens())
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
