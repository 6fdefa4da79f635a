"""The Redis broker under real faults, on a redis-server of its own (killed, restarted,
frozen with SIGSTOP). Needs the `redis-server` binary; skips without it outside CI."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.broker.redis import RedisBroker

from .conftest import Inbox, RedisServer, eventually, room_name

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()


def test_kill_and_restart(server: RedisServer) -> None:
    room = room_name()
    # Short timers so the test is quick; the defaults are tested with SIGSTOP below.
    fast = {"ping_interval": 0.3, "dead_after": 1.0, "socket_timeout": 1.0, "backoff_max": 0.5}

    async def scenario() -> None:
        sub, pub = RedisBroker(server.url, **fast), RedisBroker(server.url, **fast)
        inbox, pub_inbox = Inbox(), Inbox()
        await sub.start(inbox.on_message, inbox.on_reconnect)
        await pub.start(pub_inbox.on_message, pub_inbox.on_reconnect)
        try:
            await sub.subscribe(room)
            await pub.publish([(room, b"before")])
            await inbox.wait_for(lambda: inbox.payloads(room) == [b"before"])

            server.kill()
            await eventually(lambda: _down(sub), within=5)
            await eventually(lambda: _down(pub), within=5)
            began = time.monotonic()
            await pub.publish([(room, b"lost in the outage")])  # logs, drops, never raises
            assert time.monotonic() - began < 0.5
            await sub.subscribe(room_name())  # no raise either; the reconnect will send it

            server.start()
            await inbox.wait_for(lambda: inbox.reconnects == 1, within=10)
            assert await sub.healthy()
            await eventually(pub.healthy, within=10)
            await pub.publish([(room, b"after")])
            await inbox.wait_for(lambda: inbox.payloads(room)[-1:] == [b"after"])
            assert inbox.payloads(room) == [b"before", b"after"]
        finally:
            await sub.stop()
            await pub.stop()

    asyncio.run(scenario())


def test_sigstop_is_noticed_with_default_settings(server: RedisServer) -> None:
    room = room_name()

    async def scenario() -> None:
        sub, pub = RedisBroker(server.url), RedisBroker(server.url)
        inbox, pub_inbox = Inbox(), Inbox()
        await sub.start(inbox.on_message, inbox.on_reconnect)
        await pub.start(pub_inbox.on_message, pub_inbox.on_reconnect)
        try:
            await sub.subscribe(room)
            await pub.publish([(room, b"before")])
            await inbox.wait_for(lambda: inbox.payloads(room) == [b"before"])

            server.signal(signal.SIGSTOP)
            try:
                noticed = await eventually(lambda: _down(sub), within=6)
                await pub.publish([(room, b"frozen")])  # never raises
                await asyncio.sleep(max(0.0, 5 - noticed))
            finally:
                server.signal(signal.SIGCONT)
            print(f"frozen Redis noticed after {noticed:.1f}s")
            assert noticed < 5

            await inbox.wait_for(lambda: inbox.reconnects >= 1, within=15)
            await eventually(pub.healthy, within=15)
            await pub.publish([(room, b"after")])
            await inbox.wait_for(lambda: inbox.payloads(room)[-1:] == [b"after"])
        finally:
            await sub.stop()
            await pub.stop()

    asyncio.run(scenario())


def test_start_while_redis_is_down_then_recovers(server: RedisServer) -> None:
    room = room_name()
    fast = {"ping_interval": 0.3, "dead_after": 1.0, "socket_timeout": 1.0, "backoff_max": 0.5}

    async def scenario() -> None:
        server.kill()
        sub, inbox = RedisBroker(server.url, **fast), Inbox()
        await sub.start(inbox.on_message, inbox.on_reconnect)  # does not raise
        try:
            assert not await sub.healthy()
            await sub.subscribe(room)
            server.start()
            # Whatever was published before we first connected is missed: backfill.
            await inbox.wait_for(lambda: inbox.reconnects == 1, within=10)
            pub, pub_inbox = RedisBroker(server.url), Inbox()
            await pub.start(pub_inbox.on_message, pub_inbox.on_reconnect)
            try:
                await pub.publish([(room, b"hello")])
                await inbox.wait_for(lambda: inbox.payloads(room) == [b"hello"])
            finally:
                await pub.stop()
        finally:
            await sub.stop()

    asyncio.run(scenario())


async def _down(broker: RedisBroker) -> bool:
    return not await broker.healthy()
