"""`/docs`: the API reference as a page, and its two machine-readable documents.

The page is drawn from the very documents it links (server/edge/api_docs.py), so what a
person reads and what a generator reads are the same contract.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from moderation.roles import OPS
from server.edge.pages import render
from server.version import version

__all__ = ["docs_routes"]


# The documents are built from every wire type: imported on the first visit to /docs, not
# at every start of the server.


def _routes(request: Request) -> list[BaseRoute]:
    return list(request.app.routes)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def openapi_json(request: Request) -> Response:
    from server.edge.api_docs import openapi

    return JSONResponse(openapi(version(), _routes(request), _base(request)))


async def asyncapi_json(request: Request) -> Response:
    from server.edge.api_docs import asyncapi

    return JSONResponse(asyncapi(version(), request.url.netloc))


def _kind(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    """A field's type and limits in a few words, from its JSON Schema."""
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        kinds = [_kind(s, schemas) for s in schema["anyOf"] if s.get("type") != "null"]
        return " | ".join(kinds)
    if "enum" in schema:
        values = [str(v) for v in schema["enum"]]
        if len(values) > 12:  # the error codes: listed in the documents, not here
            return f"one of {len(values)} values"
        return "one of " + ", ".join(values)
    kind = str(schema.get("type", "any"))
    if kind == "integer" and "minimum" in schema:
        return f"integer {schema['minimum']}..{schema.get('maximum', '')}"
    if kind == "string" and "maxLength" in schema:
        most = schema.get("x-max-cleaned-length", schema["maxLength"])
        return f"string, at most {most}"
    if kind == "array" and "items" in schema:
        most = f", at most {schema['maxItems']}" if "maxItems" in schema else ""
        return f"list of {_kind(schema['items'], schemas)}{most}"
    return kind


def _about(schema: dict[str, Any]) -> str:
    for option in [schema, *schema.get("anyOf", ())]:
        if "description" in option:
            return str(option["description"])
    return ""


def _fields(name: str, schemas: dict[str, Any], skip: frozenset[str]) -> list[dict[str, str]]:
    schema = schemas[name]
    required = set(schema.get("required", ()))
    return [
        {
            "name": field,
            "kind": _kind(spec, schemas),
            "required": "yes" if field in required else "",
            "about": _about(spec),
        }
        for field, spec in schema.get("properties", {}).items()
        if field not in skip
    ]


async def docs_page(request: Request) -> Response:
    from server.edge.api_docs import asyncapi, openapi

    ws = asyncapi(version(), request.url.netloc)
    http = openapi(version(), _routes(request))
    schemas = ws["components"]["schemas"]
    ops, frames = [], []
    for name, message in ws["components"]["messages"].items():
        tag = message["name"]
        row = {
            "name": tag,
            "summary": message["summary"],
            "fields": _fields(name, schemas, frozenset({"op", "type", "op_id"})),
        }
        if tag in OPS:
            if not OPS[tag].server:
                ops.append({**row, "role": str(OPS[tag].by)})
        elif tag != "ping":
            frames.append(row)
    routes = [
        {"method": method.upper(), "path": path, "summary": operation["summary"]}
        for path, methods in http["paths"].items()
        for method, operation in methods.items()
    ]
    settings = _fields("RoomSettingsFields", schemas, frozenset())
    return render(
        request, "docs.html", ops=ops, frames=frames, routes=routes, settings=settings
    )


def docs_routes() -> list[BaseRoute]:
    return [
        Route("/docs", docs_page),
        Route("/docs/openapi.json", openapi_json),
        Route("/docs/asyncapi.json", asyncapi_json),
    ]
