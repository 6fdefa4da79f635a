"""Liveness and readiness, and the store going away under a running server.

`/healthz` keeps its contract (the process serves); `/readyz` says whether to send it
traffic, and which check fails: a full disk for real (a small tmpfs), a disk threshold above
the real free space, a store that cannot take a write. An op refused because the store is
down is `503 server.unavailable` over HTTP and an error frame over the WebSocket.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import psycopg
import pytest
from starlette.requests import Request

from moderation.filters import DEFAULT_FILTERS
from server.broker import open_broker
from server.config import load_settings
from server.edge import health
from server.edge.health import Readiness
from server.live.hub import Hub
from server.store import open_store
from tests.store.conftest import pg_server, pg_url
from tests.support.live_server import LiveServer
from tests.support.meeting import Meeting, hold_meeting, op
from tests.support.wsclient import Client, join

__all__ = ["pg_server", "pg_url"]  # PostgreSQL fixtures: a fresh schema per test

CHECKS = {"serving", "store", "broker", "disk", "chain"}


def test_healthz_keeps_its_contract_and_readyz_names_every_check(server: LiveServer) -> None:
    live = httpx.get(server.http + "/healthz")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    ready = httpx.get(server.http + "/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": dict.fromkeys(CHECKS, "ok")}


def test_readyz_fails_when_free_disk_is_below_the_threshold(tmp_path: Path) -> None:
    free_mb = shutil.disk_usage(tmp_path).free // (1024 * 1024)
    server = LiveServer(
        tmp_path / "data", env={"TOWNHALL_MIN_FREE_DISK_MB": str(free_mb + 10_000)}
    ).start()
    try:
        ready = httpx.get(server.http + "/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unready"
        assert body["checks"]["disk"].endswith(f"below {free_mb + 10_000} MB")
        assert body["reason"] == f"disk: {body['checks']['disk']}"
        assert {name for name, why in body["checks"].items() if why == "ok"} == CHECKS - {"disk"}
        assert httpx.get(server.http + "/healthz").json() == {"status": "ok"}  # it serves
    finally:
        server.stop()


# -- a real full disk -------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MB tmpfs: a disk that really fills up (needs root, as in the dev container)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path, leave_bytes: int) -> Path:
    """Take the disk's free space down to about `leave_bytes`."""
    filler = disk / f"filler-{len(list(disk.glob('filler-*')))}"
    free = shutil.disk_usage(disk).free
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.posix_fallocate(fd, 0, max(4096, free - leave_bytes))
    finally:
        os.close(fd)
    return filler


def _ready(server: LiveServer) -> httpx.Response:
    return httpx.get(server.http + "/readyz", timeout=10)


def _until(server: LiveServer, status: int, check: str = "", says: str = "") -> dict[str, Any]:
    """The /readyz body once it answers `status` (and its `check` says `says`): answers are
    reused for a second, so a change shows within about that."""
    for _ in range(60):
        response = _ready(server)
        body = response.json()
        if response.status_code == status and (not check or says in body["checks"][check]):
            return body  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"/readyz never answered {status} with {check} {says!r}: {body}")


async def _ws_vote(server: LiveServer, meeting: Meeting, token: str) -> dict[str, Any]:
    client = await Client.open(server.ws, meeting.code, token)
    try:
        return await client.op("vote", poll_id=meeting.poll_id, choice=2, timeout=15)
    finally:
        await client.close()


def _assert_refused_as_unavailable(
    server: LiveServer, meeting: Meeting, http_voter: str, ws_voter: str
) -> None:
    refused = op(server, meeting.code, http_voter, "vote", poll_id=meeting.poll_id, choice=2)
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"]["code"] == "server.unavailable"
    frame = asyncio.run(_ws_vote(server, meeting, ws_voter))
    assert frame["type"] == "error" and frame["code"] == "server.unavailable", frame


@pytest.mark.slow
def test_a_full_disk_fails_readiness_then_ops_get_503_and_all_recovers(
    small_disk: Path, tmp_path: Path
) -> None:
    server = LiveServer(small_disk / "data", env={"TOWNHALL_MIN_FREE_DISK_MB": "8"})
    server.log_path = tmp_path / "server.log"  # the log must not need the full disk
    server.start()
    try:
        meeting = hold_meeting(server, "full disk")
        late = [join(server.http, meeting.code)["participant_token"] for _ in range(3)]
        assert _ready(server).status_code == 200

        fillers = [_fill(small_disk, leave_bytes=4 * 1024 * 1024)]
        low = _until(server, 503, "disk", "below 8 MB")
        assert low["checks"]["store"] == "ok"  # not full yet: only readiness says so
        voted = op(server, meeting.code, late[0], "vote", poll_id=meeting.poll_id, choice=2)
        assert voted.status_code == 200, voted.text

        fillers.append(_fill(small_disk, leave_bytes=0))
        assert shutil.disk_usage(small_disk).free < 4096
        _assert_refused_as_unavailable(server, meeting, late[1], late[2])
        full = _until(server, 503, "store", "database or disk is full")
        assert full["checks"]["store"].startswith("cannot commit a write"), full

        for filler in fillers:
            filler.unlink()
        _until(server, 200)
        again = op(server, meeting.code, late[1], "vote", poll_id=meeting.poll_id, choice=2)
        assert again.status_code == 200, again.text
    finally:
        server.stop()


@pytest.mark.postgres
@pytest.mark.slow
def test_a_dropped_postgres_schema_gets_503_over_http_and_an_error_frame(
    tmp_path: Path, pg_url: str
) -> None:
    server = LiveServer(tmp_path / "data", env={"TOWNHALL_STORE_URL": pg_url}).start()
    schema = pg_url.rsplit("search_path%3D", 1)[1]
    try:
        meeting = hold_meeting(server, "store gone")
        late = [join(server.http, meeting.code)["participant_token"] for _ in range(2)]
        assert _ready(server).status_code == 200
        with psycopg.connect(pg_server_url(pg_url), autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        try:
            _assert_refused_as_unavailable(server, meeting, late[0], late[1])
            body = _until(server, 503, "store", "cannot commit a write")
            assert "does not exist" in body["checks"]["store"], body
        finally:
            with psycopg.connect(pg_server_url(pg_url), autocommit=True) as admin:
                admin.execute(f'CREATE SCHEMA "{schema}"')  # for the fixture to drop
    finally:
        server.stop()


def pg_server_url(url: str) -> str:
    return url.split("?", 1)[0]


# -- the readiness answer itself, in process --------------------------------------------


def _request(hub: Hub) -> Request:
    """A request as the endpoints see one: the app's runtime reaches this hub."""
    app = SimpleNamespace(state=SimpleNamespace(runtime=SimpleNamespace(hub=hub)))
    return Request({"type": "http", "app": app, "method": "GET", "path": "/", "headers": []})


def test_readiness_is_reused_for_a_second_and_shared_by_concurrent_requests(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """/readyz is public: a flood of requests must not become a flood of commits."""
    settings = load_settings(
        {"TOWNHALL_DATA_DIR": str(tmp_path), "TOWNHALL_SECRET": "readiness-test-0123456789"}
    )

    async def body() -> None:
        hub = Hub(
            settings, open_store(settings.store_url), open_broker("memory://"), DEFAULT_FILTERS
        )
        await hub.start()
        probes = 0
        real_probe = hub.store.probe

        async def counting() -> None:
            nonlocal probes
            probes += 1
            await real_probe()

        monkeypatch.setattr(hub.store, "probe", counting)
        readiness = Readiness(settings, hub)
        try:
            answers = await asyncio.gather(*(readiness.checks() for _ in range(50)))
            assert probes == 1 and all(a == dict.fromkeys(CHECKS, "ok") for a in answers)
            for _ in range(50):
                await readiness.checks()
            assert probes == 1
            await asyncio.sleep(health.REUSE_FOR)
            await readiness.checks()
            assert probes == 2

            async def hanging() -> None:
                await asyncio.sleep(60)

            monkeypatch.setattr(hub.store, "probe", hanging)
            monkeypatch.setattr(health, "CHECK_TIMEOUT", 0.2)
            await asyncio.sleep(health.REUSE_FOR)
            assert (await readiness.checks())["store"] == "no answer within 0.2 s"
            hub.stopping = True
            await asyncio.sleep(health.REUSE_FOR)
            assert (await readiness.checks())["serving"] == "shutting down"
            request = _request(hub)
            ready = await readiness.endpoint(request)
            assert ready.status_code == 503
            assert json.loads(bytes(ready.body))["status"] == "unready"
            live = await health.healthz(request)
            assert live.status_code == 503
            assert json.loads(bytes(live.body)) == {
                "status": "unavailable",
                "reason": "shutting down",
            }
        finally:
            hub.stopping = False
            await hub.stop()

    asyncio.run(body())
