"""The API documents: AsyncAPI 3.0 for the WebSocket, OpenAPI 3.1 for HTTP.

Both are generated from the typed ops and frames (server/edge/wire_types.py, wire_frames.py)
and from the application's own routes, so neither can drift from what the server takes: a
new op, frame or route appears in them by itself (and a route without a row in `_HTTP` is
still listed, as a page). docs/PROTOCOL.md remains the prose; these are the machine-readable
contract.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import msgspec
from msgspec import Struct
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from moderation.roles import OPS
from server.edge.wire_frames import FRAME_TYPES, ErrorBody
from server.edge.wire_types import OP_TYPES, Ping, RoomSettingsFields, body_type

__all__ = ["asyncapi", "openapi", "ops_in", "route_paths"]

_REF = "#/components/schemas/{name}"
_PARAM = re.compile(r"{([a-z_]+)(?::[a-z]+)?}")

_DESCRIPTION = (
    "A real-time town hall: polls, questions, a speaker queue, reactions. Every op a client "
    "sends is acknowledged once it is durable (`ack`) or refused with a stable code (`error`), "
    "and nothing changed. See docs/PROTOCOL.md for the prose."
)


def _schemas(types: Iterable[type[Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    refs, components = msgspec.json.schema_components(tuple(types), ref_template=_REF)
    return list(refs), dict(components)


def _title(kind: type[Struct]) -> str:
    return kind.__name__


def _tag(kind: type[Struct]) -> str:
    return str(kind.__struct_config__.tag)


# -- AsyncAPI ------------------------------------------------------------------------------


def asyncapi(version: str, host: str | None = None) -> dict[str, Any]:
    """The WebSocket API: one channel per room, the ops a client sends and the frames it gets."""
    client_ops = [kind for op, kind in OP_TYPES.items() if not OPS[op].server]
    server_ops = [kind for op, kind in OP_TYPES.items() if OPS[op].server]
    frames = list(FRAME_TYPES.values())
    every: list[type[Struct]] = [*OP_TYPES.values(), Ping, *frames]
    _, schemas = _schemas(every)
    messages: dict[str, Any] = {}
    for kind in every:
        name = _title(kind)
        tag = _tag(kind)
        messages[name] = {
            "name": tag,
            "title": tag,
            "summary": (kind.__doc__ or tag).strip().splitlines()[0],
            "payload": {"$ref": _REF.format(name=name)},
        }
    for kind in server_ops:
        messages[_title(kind)]["description"] = (
            "Not sent over the WebSocket: the server sends it for you "
            "(`POST /api/rooms`, `POST /api/rooms/{code}/join`, or by itself)."
        )
    inbound = [*(_title(kind) for kind in client_ops), _title(Ping)]
    outbound = [_title(kind) for kind in frames]
    channel_ref = {"$ref": "#/channels/room"}
    doc: dict[str, Any] = {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Town hall WebSocket API",
            "version": version,
            "description": _DESCRIPTION,
        },
        "defaultContentType": "application/json",
        "channels": {
            "room": {
                "address": "/ws/rooms/{code}",
                "title": "A room",
                "description": (
                    "Subprotocol `townhall.v1.json` (text frames) or `townhall.v1.msgpack` "
                    "(binary). The first frame is a snapshot, or the frames missed since `since`."
                ),
                "parameters": {"code": {"description": "the room code"}},
                "messages": {
                    name: {"$ref": f"#/components/messages/{name}"} for name in inbound + outbound
                },
                "bindings": {
                    "ws": {
                        "bindingVersion": "0.1.0",
                        "query": {
                            "type": "object",
                            "properties": {
                                "token": {"type": "string", "description": "a room token"},
                                "since": {
                                    "type": "integer",
                                    "minimum": 0,
                                    "description": "the last seq you saw: resume from it",
                                },
                            },
                        },
                    }
                },
            }
        },
        "operations": {
            "receiveOps": {
                "action": "receive",
                "title": "Ops a client sends",
                "channel": channel_ref,
                "messages": [{"$ref": f"#/channels/room/messages/{name}"} for name in inbound],
            },
            "sendFrames": {
                "action": "send",
                "title": "Frames the server sends",
                "channel": channel_ref,
                "messages": [{"$ref": f"#/channels/room/messages/{name}"} for name in outbound],
            },
        },
        "components": {"schemas": schemas, "messages": messages},
    }
    if host:
        doc["servers"] = {"this": {"host": host, "protocol": "ws"}}
    return doc


# -- OpenAPI -------------------------------------------------------------------------------

CreatedRoom = msgspec.defstruct(
    "CreatedRoom",
    [
        ("code", str),
        ("moderator_token", str),
        ("screen_token", str),
        ("embed_token", str),
        ("seq", int),
        ("urls", dict[str, str]),
    ],
    module=__name__,
)
Joined = msgspec.defstruct(
    "Joined", [("participant_token", str), ("participant_id", str), ("seq", int)], module=__name__
)
CreateRoom = msgspec.defstruct(
    "CreateRoom",
    [
        (field.name, field.type)
        for field in msgspec.structs.fields(OP_TYPES["room.create"])
        if field.name == "title"
    ],
    bases=(RoomSettingsFields,),
    kw_only=True,
    module=__name__,
)
JoinRoom = body_type("participant.join", "JoinRoom")
Health = msgspec.defstruct(
    "Health",
    [("status", str), ("checks", dict[str, str] | None, None), ("reason", str | None, None)],
    module=__name__,
)

_JSON = "application/json"
_ERRORS = {
    "400": "the request does not fit (a field, the body)",
    "401": "auth.token: a valid token for this room is needed",
    "403": "you may not (auth.*)",
    "404": "not found (room.not_found, route.not_found, ...)",
    "409": "the room's state says no (poll.closed, vote.duplicate, ...)",
    "429": "rate.limited: slow down (Retry-After)",
    "503": "server.unavailable or server.busy: resend the same op_id later",
}


def _content(media: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {media: {"schema": schema or {"type": "string"}}}


def _ok(description: str, media: str = _JSON, schema: dict[str, Any] | None = None) -> Any:
    return {"description": description, "content": _content(media, schema)}


def _ref(kind: type[Any]) -> dict[str, Any]:
    return {"$ref": _REF.format(name=kind.__name__)}


_OBJECT = {"type": "object"}

# (path, method) -> summary, request body schema, success status and answer.
_HTTP: dict[tuple[str, str], tuple[str, dict[str, Any] | None, str, Any]] = {
    ("/api/rooms", "post"): (
        "Create a room (the organiser's links come back)",
        _ref(CreateRoom),
        "201",
        _ok("the room and its tokens", schema=_ref(CreatedRoom)),
    ),
    ("/api/rooms/{code}", "get"): (
        "The room as your token's role sees it",
        None,
        "200",
        _ok("`{seq, room, you}`", schema=_ref(FRAME_TYPES["snapshot"])),
    ),
    ("/api/rooms/{code}/join", "post"): (
        "Join as an attendee (sets the th_{code} cookie)",
        _ref(JoinRoom),
        "200",
        _ok("your participant token", schema=_ref(Joined)),
    ),
    ("/api/rooms/{code}/ops", "post"): (
        "Send any client op over HTTP: the same checks and answer as the WebSocket",
        {"oneOf": [_ref(kind) for op, kind in OP_TYPES.items() if not OPS[op].server]},
        "200",
        _ok("the ack", schema=_ref(FRAME_TYPES["ack"])),
    ),
    ("/api/rooms/{code}/transcript", "get"): (
        "The whole log, JSON Lines (moderators; anyone once published)",
        None,
        "200",
        _ok("one entry a line", "application/x-ndjson"),
    ),
    ("/api/rooms/{code}/security", "get"): (
        "Refused attempts per address, attendee codes used (moderators)",
        None,
        "200",
        _ok("the security report", schema=_OBJECT),
    ),
    ("/api/rooms/{code}/report", "get"): (
        "The evaluation report (moderators)",
        None,
        "200",
        _ok("the report", schema=_OBJECT),
    ),
    ("/healthz", "get"): ("Liveness", None, "200", _ok("serving", schema=_ref(Health))),
    ("/readyz", "get"): ("Readiness, per check", None, "200", _ok("ready", schema=_ref(Health))),
    ("/metrics", "get"): ("Prometheus metrics", None, "200", _ok("metrics", "text/plain")),
    ("/docs/openapi.json", "get"): ("This document", None, "200", _ok("OpenAPI 3.1")),
    ("/docs/asyncapi.json", "get"): (
        "The WebSocket API",
        None,
        "200",
        _ok("AsyncAPI 3.0"),
    ),
}


def route_paths(routes: Sequence[BaseRoute]) -> list[tuple[str, list[str], str]]:
    """(path as OpenAPI writes it, methods, kind) of every route: `http`, `websocket` or
    `mount` (a folder of files)."""
    out: list[tuple[str, list[str], str]] = []
    for route in routes:
        if isinstance(route, Route):
            methods = sorted(m.lower() for m in (route.methods or {"GET"}) if m != "HEAD")
            out.append((_PARAM.sub(r"{\1}", route.path), methods, "http"))
        elif isinstance(route, WebSocketRoute):
            out.append((_PARAM.sub(r"{\1}", route.path), [], "websocket"))
        elif isinstance(route, Mount):
            out.append((route.path + "/{path}", ["get"], "mount"))
    return out


def _operation(path: str, method: str, kind: str) -> dict[str, Any]:
    row = _HTTP.get((path, method))
    api = path.startswith("/api/")
    if row is None:
        csv = path.endswith(".csv")
        summary = "A CSV export (moderators)" if csv else "A page (HTML) or file"
        media = "text/csv" if csv else ("text/html" if kind == "http" else "*/*")
        row = (summary, None, "200", _ok("the page" if not csv else "the export", media))
    summary, body, status, answer = row
    operation: dict[str, Any] = {
        "summary": summary,
        "operationId": f"{method}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_') or 'root'}",
        "responses": {status: answer},
    }
    params = _PARAM.findall(path)
    if params:
        operation["parameters"] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in params
        ]
    if body is not None:
        operation["requestBody"] = {"required": True, "content": _content(_JSON, body)}
    if api:
        for code, why in _ERRORS.items():
            operation["responses"].setdefault(code, _ok(why, schema=_ref(ErrorBody)))
        operation["responses"]["405"] = {
            "description": "route.method: not a method this address takes (see Allow)",
            "content": _content(_JSON, _ref(ErrorBody)),
        }
        operation["security"] = [{"bearer": []}, {}]
    return operation


def openapi(version: str, routes: Sequence[BaseRoute], server: str | None = None) -> Any:
    """The HTTP API: every route of the app, with the typed bodies where it takes JSON."""
    kinds: list[type[Any]] = [
        CreateRoom,
        CreatedRoom,
        JoinRoom,
        Joined,
        Health,
        ErrorBody,
        FRAME_TYPES["snapshot"],
        FRAME_TYPES["ack"],
        *(kind for op, kind in OP_TYPES.items() if not OPS[op].server),
    ]
    _, schemas = _schemas(kinds)
    paths: dict[str, dict[str, Any]] = {}
    for path, methods, kind in route_paths(routes):
        if kind == "websocket":
            continue  # the AsyncAPI document's channel
        for method in methods:
            paths.setdefault(path, {})[method] = _operation(path, method, kind)
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "Town hall HTTP API", "version": version, "description": _DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a room token (docs/PROTOCOL.md §1)",
                }
            },
        },
    }
    if server:
        doc["servers"] = [{"url": server}]
    return doc


def ops_in(doc: Mapping[str, Any]) -> set[str]:
    """The op names a document's schemas describe (their `op` tags)."""
    found: set[str] = set()
    for schema in doc.get("components", {}).get("schemas", {}).values():
        tag = schema.get("properties", {}).get("op", {}).get("enum")
        if tag:
            found.update(tag)
    return found
