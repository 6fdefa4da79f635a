"""Redis killed and restarted, or frozen with SIGSTOP, in the middle of a session: fan-out
degrades to the periodic position check against the store, then recovers. Nothing
acknowledged is lost, every client ends exact, and frames' seq never goes backwards."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.broker.conftest import RedisServer
from tests.scale.cluster import (
    assert_monotonic,
    cluster,
    converge,
    receipts_in,
    recount,
    transcript,
)
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join, results_of

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]

PEOPLE = 30
OPTIONS = 3


async def _session(
    procs: list[LiveServer], disrupt: Callable[[], Awaitable[None]], duration: float
) -> dict[str, float]:
    """Votes trickle in through every process for `duration` s while `disrupt` runs; then
    check that everything converged. Returns figures for the report."""
    room = await asyncio.to_thread(create_room, procs[0].http, vote_changes=False)
    code, mod_token = room["code"], room["moderator_token"]
    people = [
        await asyncio.to_thread(join, procs[i % len(procs)].http, code) for i in range(PEOPLE)
    ]
    mods = [await Client.open(p.ws, code, mod_token) for p in procs]
    poll_id = (
        await mods[0].op("poll.create", kind="single", question="Q?", options=["a", "b", "c"])
    )["poll_id"]
    await mods[0].op("poll.open", poll_id=poll_id)
    clients = [
        await Client.open(procs[i % len(procs)].ws, code, p["participant_token"])
        for i, p in enumerate(people)
    ]
    acked: dict[str, dict[str, Any]] = {}  # participant -> receipt
    lag: list[float] = []  # seconds from an ack on one process to the others showing it

    async def voter(i: int) -> None:
        await asyncio.sleep(duration * i / PEOPLE)
        answer = await clients[i].op("vote", poll_id=poll_id, choice=i % OPTIONS, timeout=30)
        assert answer["type"] == "ack", answer
        acked[people[i]["participant_id"]] = answer["receipt"]
        began = time.monotonic()
        others = [m for j, m in enumerate(mods) if j != i % len(procs)]
        for mod in others:
            await mod.wait_for(lambda f: f.get("seq", 0) >= answer["seq"], timeout=30)
        lag.append(time.monotonic() - began)

    await asyncio.gather(disrupt(), *(voter(i) for i in range(PEOPLE)))
    final = await mods[0].op("poll.close", poll_id=poll_id)
    snaps = await converge(procs, code, mod_token, within=20)
    head = snaps[0]["seq"]
    assert final["seq"] == head
    everyone = [*clients, *mods]
    deadline = time.monotonic() + 10
    while any(c.seq != head for c in everyone) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert sorted({c.seq for c in everyone}) == [head]
    for client in everyone:
        assert_monotonic(client)
    results = next(p for p in snaps[0]["room"]["polls"] if p["poll_id"] == poll_id)["results"]
    for mod in mods:
        last = [r for f in mod.frames if (r := results_of(f, poll_id)) is not None][-1]
        assert last == results
    entries = await asyncio.to_thread(transcript, procs[1], code, mod_token)
    assert receipts_in(entries, acked.values())
    assert results["counts"] == recount(entries, poll_id, OPTIONS)
    assert results["voters"] == PEOPLE
    for client in everyone:
        await client.close()
    return {"max_lag": max(lag), "votes": len(acked)}


def _health(server: LiveServer) -> tuple[int, str]:
    response = httpx.get(server.http + "/healthz", timeout=5)
    return response.status_code, response.text


async def _until_health(server: LiveServer, status: int, within: float) -> None:
    deadline = time.monotonic() + within
    while (await asyncio.to_thread(_health, server))[0] != status:
        assert time.monotonic() < deadline, f"/healthz never became {status}"
        await asyncio.sleep(0.1)


def test_redis_killed_and_restarted_mid_session(
    tmp_path: Path, pg_url: str, own_redis: RedisServer
) -> None:
    with cluster(tmp_path, 2, pg_url, own_redis.url) as procs:

        async def disrupt() -> None:
            await asyncio.sleep(1.5)
            await asyncio.to_thread(own_redis.kill)
            await _until_health(procs[0], 503, within=10)
            status, body = await asyncio.to_thread(_health, procs[1])
            assert status == 503 and "broker unavailable" in body, body
            await asyncio.sleep(2.0)
            await asyncio.to_thread(own_redis.start)  # same port
            await _until_health(procs[0], 200, within=15)
            await _until_health(procs[1], 200, within=15)

        figures = asyncio.run(_session(list(procs), disrupt, duration=8.0))
        print(f"\nredis kill/restart: {figures}")
        assert figures["max_lag"] < 6.0, figures  # the 2 s position check, plus slack


def test_redis_paused_with_sigstop_for_10_seconds(
    tmp_path: Path, pg_url: str, own_redis: RedisServer
) -> None:
    with cluster(tmp_path, 2, pg_url, own_redis.url) as procs:

        async def disrupt() -> None:
            await asyncio.sleep(1.0)
            own_redis.signal(signal.SIGSTOP)
            try:
                await _until_health(procs[0], 503, within=9)  # the broker's watchdog noticed
                await asyncio.sleep(10.0 - 3.0)
            finally:
                own_redis.signal(signal.SIGCONT)
            await _until_health(procs[0], 200, within=15)
            await _until_health(procs[1], 200, within=15)

        figures = asyncio.run(_session(list(procs), disrupt, duration=12.0))
        print(f"\nredis SIGSTOP 10 s: {figures}")
        assert figures["max_lag"] < 6.0, figures
