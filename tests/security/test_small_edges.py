"""Issue 13 item 10: refused handshakes do not flood the log, /metrics is not public by
default, the Host header cannot choose the links, and published transcripts are throttled."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from starlette.requests import Request
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from server.config import load_settings
from server.edge.metrics import _may_scrape
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room


def test_refused_handshakes_log_no_error_and_are_sampled(tmp_path: Path) -> None:
    server = LiveServer(tmp_path, env={"TOWNHALL_LOG_LEVEL": "info"}).start()
    try:
        code = create_room(server.http)["code"]

        async def knock() -> None:
            for _ in range(150):
                with pytest.raises(InvalidStatus):
                    async with connect(f"{server.ws}/ws/rooms/{code}?token=wrong"):
                        pass

        asyncio.run(knock())
    finally:
        server.stop()
    log = server.logs()
    assert " ERROR " not in log
    assert 20 <= log.count("connection rejected") <= 22  # the first 20, then 1 in 100
    assert "(100 refusals so far)" in log


def _request(peer: str, authorization: str = "") -> Request:
    settings = load_settings({"TOWNHALL_SECRET": "x" * 24, "TOWNHALL_DATA_DIR": "/nonexistent"})
    return _with_settings(peer, authorization, settings)


def _with_settings(peer: str, authorization: str, settings: object) -> Request:
    """A request as the endpoint sees it: from `peer`, on an app whose runtime has `settings`."""
    app = SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(settings=settings)))
    headers = [(b"authorization", authorization.encode())] if authorization else []
    return Request({"type": "http", "client": (peer, 5555), "headers": headers, "app": app})


def test_metrics_answer_only_this_machine_unless_a_token_is_set() -> None:
    assert _may_scrape(_request("127.0.0.1"))
    assert _may_scrape(_request("::1"))
    assert not _may_scrape(_request("203.0.113.9"))
    with_token = load_settings(
        {
            "TOWNHALL_SECRET": "x" * 24,
            "TOWNHALL_DATA_DIR": "/nonexistent",
            "TOWNHALL_METRICS_TOKEN": "scrape-me-0123456789",
        }
    )
    assert not _may_scrape(_with_settings("127.0.0.1", "", with_token))
    assert not _may_scrape(_with_settings("203.0.113.9", "Bearer wrong", with_token))
    assert _may_scrape(_with_settings("203.0.113.9", "Bearer scrape-me-0123456789", with_token))


def test_the_host_header_cannot_choose_links_or_qr_codes(tmp_path: Path) -> None:
    allowed = LiveServer(
        tmp_path / "allowed", env={"TOWNHALL_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    ).start()
    try:
        evil = httpx.post(
            f"{allowed.http}/api/rooms", json={"title": "x"}, headers={"host": "evil.example"}
        )
        assert evil.status_code == 400
        assert create_room(allowed.http)["urls"]["attend"].startswith(allowed.http)
    finally:
        allowed.stop()
    public = LiveServer(
        tmp_path / "public", env={"TOWNHALL_PUBLIC_URL": "https://meet.example.org"}
    ).start()
    try:
        made = httpx.post(
            f"{public.http}/api/rooms", json={"title": "x"}, headers={"host": "evil.example"}
        ).json()
        assert made["urls"]["attend"].startswith("https://meet.example.org/r/")
        page = httpx.get(f"{public.http}/r/{made['code']}", headers={"host": "evil.example"})
        assert "evil.example" not in page.text and "meet.example.org" in page.text
    finally:
        public.stop()


def test_anonymous_transcript_downloads_are_throttled(server: LiveServer) -> None:
    room = create_room(server.http)
    code, auth = room["code"], {"authorization": f"Bearer {room['moderator_token']}"}
    ops = f"{server.http}/api/rooms/{code}/ops"
    for op in ("room.close", "room.publish"):
        assert httpx.post(ops, json={"op": op, "op_id": op}, headers=auth).status_code == 200
    statuses = [
        httpx.get(f"{server.http}/api/rooms/{code}/transcript").status_code for _ in range(15)
    ]
    assert statuses[:10] == [200] * 10 and statuses[-1] == 429, statuses
    staff = httpx.get(f"{server.http}/api/rooms/{code}/transcript", headers=auth)
    assert staff.status_code == 200  # the organiser is never throttled by the public's budget
