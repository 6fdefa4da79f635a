"""With the broker frozen, a process has not heard of a join committed elsewhere. Every entry
point (HTTP read, HTTP op, WebSocket handshake) must catch up with the store before refusing."""

from __future__ import annotations

import signal
from pathlib import Path

import httpx

from tests.broker.conftest import RedisServer
from tests.scale.cluster import cluster
from tests.support.wsclient import create_room, join


def test_a_person_who_joined_elsewhere_is_not_refused_while_fan_out_is_frozen(
    tmp_path: Path, pg_url: str, own_redis: RedisServer
) -> None:
    with cluster(tmp_path, 2, pg_url, own_redis.url) as procs:
        a, b = procs[0], procs[1]
        room = create_room(a.http)
        code = room["code"]
        moderator = {"authorization": f"Bearer {room['moderator_token']}"}
        assert httpx.get(f"{b.http}/api/rooms/{code}", headers=moderator).status_code == 200
        own_redis.signal(signal.SIGSTOP)  # b now learns nothing through the broker
        try:
            person = join(a.http, code)
            bearer = {"authorization": f"Bearer {person['participant_token']}"}
            seen = httpx.get(f"{b.http}/api/rooms/{code}", headers=bearer, timeout=10)
            assert seen.status_code == 200, seen.text
            assert seen.json()["you"]["participant_id"] == person["participant_id"]
            second = join(a.http, code)
            acted = httpx.post(
                f"{b.http}/api/rooms/{code}/ops",
                headers={"authorization": f"Bearer {second['participant_token']}"},
                json={"op": "react", "op_id": "r1", "emoji": "👏"},
                timeout=10,
            )
            assert acted.status_code == 200, acted.text
        finally:
            own_redis.signal(signal.SIGCONT)
