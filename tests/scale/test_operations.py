"""Operations: graceful restart (1012, nothing acknowledged lost), /healthz, /metrics, and
JSON logs."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from server.logs import JsonFormatter
from tests.broker.conftest import RedisServer
from tests.scale.cluster import cluster, receipts_in, recount, transcript
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

OPTIONS = 3


def _metrics(server: LiveServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(server.http + "/metrics", timeout=5).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_sigterm_closes_with_1012_and_keeps_every_acknowledged_op(
    tmp_path: Path, pg_url: str, shared_redis: str
) -> None:
    voters = 60
    with cluster(tmp_path, 1, pg_url, shared_redis) as procs:
        server = procs[0]
        room = create_room(server.http, vote_changes=False)
        code, mod_token = room["code"], room["moderator_token"]
        people = [join(server.http, code) for _ in range(voters)]

        async def burst() -> tuple[dict[str, int], int, list[tuple[int | None, str]]]:
            mod = await Client.open(server.ws, code, mod_token)
            poll_id = (
                await mod.op("poll.create", kind="single", question="?", options=["a", "b", "c"])
            )["poll_id"]
            await mod.op("poll.open", poll_id=poll_id)
            clients = await asyncio.gather(
                *(Client.open(server.ws, code, p["participant_token"]) for p in people)
            )
            acked: dict[str, dict[str, Any]] = {}  # participant -> receipt

            async def vote(i: int) -> None:
                await asyncio.sleep(0.01 * i)
                try:
                    answer = await clients[i].op("vote", poll_id=poll_id, choice=i % 3, timeout=5)
                except Exception as exc:  # the socket went away first: not acknowledged
                    del exc
                    return
                if answer["type"] == "ack":
                    acked[people[i]["participant_id"]] = answer["receipt"]

            tasks = [asyncio.create_task(vote(i)) for i in range(voters)]
            while len(acked) < voters // 3:
                await asyncio.sleep(0.001)
            assert server.proc is not None
            server.proc.send_signal(signal.SIGTERM)  # graceful, mid-burst
            await asyncio.gather(*tasks)
            closes = [await asyncio.wait_for(c.closed, 15) for c in [mod, *clients]]
            return acked, poll_id, closes

        acked, poll_id, closes = asyncio.run(burst())
        assert server.proc is not None
        # uvicorn shuts down gracefully, then re-raises the signal: exit status -SIGTERM.
        assert server.proc.wait(20) in (0, -signal.SIGTERM), server.logs()[-3000:]
        assert {code_ for code_, _ in closes} == {1012}, closes
        server.start()  # same store, a fresh process
        entries = transcript(server, code, mod_token)
        assert receipts_in(entries, acked.values()), "an acknowledged vote was lost in a restart"
        snap = httpx.get(
            f"{server.http}/api/rooms/{code}", headers={"authorization": f"Bearer {mod_token}"}
        ).json()
        results = next(p for p in snap["room"]["polls"] if p["poll_id"] == poll_id)["results"]
        assert results["counts"] == recount(entries, poll_id, OPTIONS)
        assert "Traceback" not in server.logs()


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_healthz_and_metrics_follow_a_broker_outage(
    tmp_path: Path, pg_url: str, own_redis: RedisServer
) -> None:
    with cluster(tmp_path, 1, pg_url, own_redis.url) as procs:
        server = procs[0]
        assert httpx.get(server.http + "/healthz").json() == {"status": "ok"}
        metrics = _metrics(server)
        assert metrics[("townhall_broker_up", ())] == 1
        assert metrics[("townhall_store_up", ())] == 1

        own_redis.kill()
        deadline = time.monotonic() + 10
        while (response := httpx.get(server.http + "/healthz")).status_code != 503:
            assert time.monotonic() < deadline, "healthz stayed 200 with Redis dead"
            time.sleep(0.1)
        assert response.json() == {"status": "unavailable", "reason": "broker unavailable"}
        assert _metrics(server)[("townhall_broker_up", ())] == 0
        # The store still works: ops are acknowledged without the broker.
        room = create_room(server.http)
        person = join(server.http, room["code"])

        async def ask() -> None:
            client = await Client.open(server.ws, room["code"], person["participant_token"])
            answer = await client.op("question.ask", text="Still there?")
            assert answer["type"] == "ack"
            await client.close()

        asyncio.run(ask())
        own_redis.start()
        deadline = time.monotonic() + 15
        while httpx.get(server.http + "/healthz").status_code != 200:
            assert time.monotonic() < deadline, "healthz did not recover"
            time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_metrics_count_connections_ops_and_batched_publishes(
    tmp_path: Path, pg_url: str, shared_redis: str
) -> None:
    voters = 40
    with cluster(tmp_path, 1, pg_url, shared_redis) as procs:
        server = procs[0]
        room = create_room(server.http, vote_changes=False)
        code = room["code"]
        people = [join(server.http, code) for _ in range(voters)]
        before = _metrics(server)

        async def scenario() -> None:
            mod = await Client.open(server.ws, code, room["moderator_token"])
            poll_id = (
                await mod.op("poll.create", kind="single", question="?", options=["a", "b", "c"])
            )["poll_id"]
            await mod.op("poll.open", poll_id=poll_id)
            await mod.op("poll.reveal", poll_id=poll_id)  # attendees see tallies
            clients = await asyncio.gather(
                *(Client.open(server.ws, code, p["participant_token"]) for p in people)
            )
            answers = await asyncio.gather(
                *(c.op("vote", poll_id=poll_id, choice=0) for c in clients)
            )
            assert all(a["type"] == "ack" for a in answers)
            again = await clients[0].op("vote", poll_id=poll_id, choice=1)
            assert again["code"] == "vote.duplicate"
            await asyncio.sleep(0.5)  # a tick or two
            after = await asyncio.to_thread(_metrics, server)
            assert after[("townhall_connections", (("role", "attendee"),))] == voters
            assert after[("townhall_connections", (("role", "moderator"),))] == 1
            assert after[("townhall_rooms", ())] >= 1
            acked = after[("townhall_ops_acked_total", (("duplicate", "false"),))] - before.get(
                ("townhall_ops_acked_total", (("duplicate", "false"),)), 0
            )
            assert acked == voters + 3
            assert after[("townhall_ops_refused_total", (("code", "vote.duplicate"),))] == 1
            assert after[("townhall_ack_latency_seconds_count", ())] >= voters + 4
            assert after[("townhall_store_append_seconds_count", ())] >= 1
            assert after[("townhall_tick_seconds_count", ())] >= 1
            assert after[("townhall_frames_sent_total", ())] >= voters
            publishes = after[("townhall_broker_publishes_total", ())] - before.get(
                ("townhall_broker_publishes_total", ()), 0
            )
            # A burst of 40 votes is group committed and published in a few round trips,
            # never one per vote.
            print(f"\nmetrics: {voters} votes acked, {publishes:.0f} publish round trips")
            assert publishes < voters / 2
            for c in [mod, *clients]:
                await c.close()

        asyncio.run(scenario())


def test_json_log_lines_carry_time_level_logger_message_and_room() -> None:
    formatter = JsonFormatter()
    message, args = "room %s: store unavailable", ("K7F3QX",)
    record = logging.LogRecord("townhall.room", logging.WARNING, __file__, 1, message, args, None)
    line = json.loads(formatter.format(record))
    assert line["level"] == "WARNING" and line["logger"] == "townhall.room"
    assert line["message"] == "room K7F3QX: store unavailable" and line["room"] == "K7F3QX"
    assert line["time"].endswith("Z")
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: boom" in json.loads(formatter.format(failed))["exc"]


@pytest.mark.slow
def test_server_logs_json_lines_when_asked(tmp_path: Path) -> None:
    server = LiveServer(
        tmp_path / "data", env={"TOWNHALL_LOG_FORMAT": "json", "TOWNHALL_LOG_LEVEL": "info"}
    ).start()
    try:
        create_room(server.http)
    finally:
        server.stop()
    lines = [line for line in server.logs().splitlines() if line.strip()]
    assert lines
    for line in lines:
        entry = json.loads(line)  # every line is one JSON object
        assert {"time", "level", "logger", "message"} <= entry.keys()
    assert any(json.loads(line)["logger"] == "townhall.hub" for line in lines)
