"""Requests no route takes: JSON errors under /api, an HTML page elsewhere."""

from __future__ import annotations

import httpx

from rooms import CODES
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room


def test_an_unknown_api_path_is_the_documented_json_404(server: LiveServer) -> None:
    for path in ("/api/nope", "/api", "/api/rooms/K7F3QX/nothing-here"):
        response = httpx.get(server.http + path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {
            "error": {"code": "route.not_found", "message": CODES["route.not_found"]}
        }


def test_a_wrong_method_on_the_api_is_405_with_allow(server: LiveServer) -> None:
    response = httpx.get(server.http + "/api/rooms")  # POST only
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "route.method"
    assert response.headers["allow"] == "POST"
    room = create_room(server.http)
    response = httpx.delete(f"{server.http}/api/rooms/{room['code']}/ops")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "route.method"
    assert "POST" in response.headers["allow"]


def test_pages_keep_an_html_404(server: LiveServer) -> None:
    for path in ("/nowhere", "/r/K7F3QX/nothing", "/static/css/missing.css"):
        response = httpx.get(server.http + path)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith("text/html"), path
        assert "<html" in response.text
    wrong = httpx.get(server.http + "/new")  # a form target: POST only
    assert wrong.status_code == 405
    assert wrong.headers["content-type"].startswith("text/html")
    assert wrong.headers["allow"] == "POST"
