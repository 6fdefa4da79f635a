"""The API documents validate against their specifications and name the whole contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
from openapi_spec_validator import validate

from moderation.roles import OPS
from server.app import build_app
from server.config import load_settings
from server.edge.api_docs import asyncapi, openapi, ops_in, route_paths
from server.edge.wire_frames import FRAME_TYPES
from tests.support.live_server import LiveServer

ROOT = Path(__file__).resolve().parents[3]
# The AsyncAPI 3.0 JSON Schema, from the npm package the specification's authors publish.
ASYNCAPI_SCHEMA = ROOT / "node_modules" / "@asyncapi" / "specs" / "schemas" / "3.0.0.json"


def _routes(tmp_path: Path) -> list[Any]:
    settings = load_settings({"TOWNHALL_DATA_DIR": str(tmp_path), "TOWNHALL_SECRET": "x" * 32})
    return list(build_app(settings).routes)


def test_the_openapi_document_validates_and_lists_every_route(tmp_path: Path) -> None:
    routes = _routes(tmp_path)
    doc = openapi("0.test", routes, "http://127.0.0.1:8000")
    validate(doc)  # raises on any departure from OpenAPI 3.1
    http = [(path, methods) for path, methods, kind in route_paths(routes) if kind != "websocket"]
    assert len(http) >= 20
    for path, methods in http:
        assert path in doc["paths"], path
        assert set(methods) <= set(doc["paths"][path]), path
    # Every client op can be posted to /ops, typed.
    assert ops_in(doc) == {op for op, row in OPS.items() if not row.server}
    ops_body = doc["paths"]["/api/rooms/{code}/ops"]["post"]["requestBody"]
    assert len(ops_body["content"]["application/json"]["schema"]["oneOf"]) == len(ops_in(doc))


def test_the_asyncapi_document_validates_and_names_every_op_and_frame(tmp_path: Path) -> None:
    doc = asyncapi("0.test", "127.0.0.1:8000")
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)  # the bundled schema resolves its own $refs
    assert ops_in(doc) == {*OPS, "ping"}
    channel = doc["channels"]["room"]
    ws_paths = [path for path, _, kind in route_paths(_routes(tmp_path)) if kind == "websocket"]
    assert ws_paths == [channel["address"]]
    received = {
        ref["$ref"].rsplit("/", 1)[-1] for ref in doc["operations"]["receiveOps"]["messages"]
    }
    sent = {ref["$ref"].rsplit("/", 1)[-1] for ref in doc["operations"]["sendFrames"]["messages"]}
    names = {name: message["name"] for name, message in doc["components"]["messages"].items()}
    assert {names[n] for n in received} == {op for op, r in OPS.items() if not r.server} | {"ping"}
    assert {names[n] for n in sent} == set(FRAME_TYPES)
    for name in received | sent:  # every operation's message is one the channel carries
        assert name in channel["messages"]


def test_a_broken_document_is_refused_by_the_same_validators(tmp_path: Path) -> None:
    doc = asyncapi("0.test")
    del doc["channels"]["room"]["address"]
    doc["operations"]["receiveOps"]["action"] = "listen"
    schema = json.loads(ASYNCAPI_SCHEMA.read_text(encoding="utf-8"))
    assert not jsonschema.Draft7Validator(schema).is_valid(doc)
    bad = openapi("0.test", _routes(tmp_path))
    bad["paths"]["/healthz"]["get"]["responses"] = {"200": {"content": {}}}  # no description
    try:
        validate(bad)
    except Exception as refused:  # the validator's own error types
        assert "description" in str(refused)
    else:
        raise AssertionError("a response without a description was accepted")


def test_docs_are_served_as_a_page_and_two_documents(server: LiveServer) -> None:
    page = httpx.get(server.http + "/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for op in ("vote", "question.ask", "poll.create", "speaker.request"):
        assert f"<code>{op}</code>" in page.text
    assert "/api/rooms/{code}/ops" in page.text
    assert "<h1>API reference</h1>" in page.text
    spec = httpx.get(server.http + "/docs/openapi.json").json()
    assert spec["servers"] == [{"url": server.http}]
    validate(spec)
    ws = httpx.get(server.http + "/docs/asyncapi.json").json()
    assert ws["servers"]["this"]["host"] == f"127.0.0.1:{server.port}"
