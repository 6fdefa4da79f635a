"""The broker contract: every implementation passes the same cases.

The Redis cases run against a real server (TOWNHALL_TEST_REDIS_URL, default
127.0.0.1:6379); they skip without one, except in CI where they fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
import redis.asyncio

from server.broker import Broker
from server.broker.memory import MemoryBroker, MemoryBus
from server.broker.redis import RedisBroker

from .conftest import REDIS_URL, Inbox, RedisServer, require_redis, room_name

MakeBroker = Callable[[], Broker]


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A one-node Redis Cluster of our own: the sharded pub/sub path, for real."""
    server = RedisServer(tmp_path_factory.mktemp("cluster"), cluster=True)
    server.start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("redis-cluster", marks=pytest.mark.redis),
    ]
)
def make_broker(request: pytest.FixtureRequest) -> MakeBroker:
    if request.param == "memory":
        bus = MemoryBus()  # one bus per test: brokers on it are "processes on one server"
        return lambda: MemoryBroker(bus)
    if request.param == "redis-cluster":
        url = request.getfixturevalue("redis_cluster").url
        return lambda: RedisBroker(url)
    require_redis()
    return lambda: RedisBroker(REDIS_URL)


@asynccontextmanager
async def started(make: MakeBroker, *rooms: str) -> AsyncIterator[tuple[Broker, Inbox]]:
    broker, inbox = make(), Inbox()
    await broker.start(inbox.on_message, inbox.on_reconnect)
    try:
        for room in rooms:
            await broker.subscribe(room)
        yield broker, inbox
    finally:
        await broker.stop()


def test_both_subscribers_get_what_either_publishes(make_broker: MakeBroker) -> None:
    room = room_name()

    async def scenario() -> None:
        async with started(make_broker, room) as (a, a_in), started(make_broker, room) as (b, b_in):
            await a.publish([(room, b"from a")])
            await b.publish([(room, b"from b")])
            await a_in.wait_for(lambda: len(a_in.payloads(room)) == 2)
            await b_in.wait_for(lambda: len(b_in.payloads(room)) == 2)
            assert sorted(a_in.payloads(room)) == [b"from a", b"from b"]
            assert sorted(b_in.payloads(room)) == [b"from a", b"from b"]
            assert a_in.reconnects == b_in.reconnects == 0

    asyncio.run(scenario())


def test_a_broker_never_says_nobody_else_listens_while_another_subscriber_would_hear(
    make_broker: MakeBroker,
) -> None:
    """The hub skips publishing when `others_listen` is False: a wrong False would leave
    another process's copy of the room stale until its next position check."""
    room = room_name()

    async def scenario() -> None:
        async with started(make_broker, room) as (a, _), started(make_broker, room) as (b, _):
            assert a.others_listen(room) and b.others_listen(room)

    asyncio.run(scenario())


def test_a_memory_broker_alone_on_its_bus_knows_nobody_else_listens() -> None:
    room = room_name()
    bus = MemoryBus()

    async def scenario() -> None:
        async with started(lambda: MemoryBroker(bus), room) as (alone, _):
            assert not alone.others_listen(room)
            async with started(lambda: MemoryBroker(bus), room):
                assert alone.others_listen(room)
            assert not alone.others_listen(room), "the other one stopped"

    asyncio.run(scenario())


def test_order_is_kept_for_a_thousand_messages(make_broker: MakeBroker) -> None:
    room = room_name()
    sent = [f"m{i:04d}".encode() for i in range(1000)]

    async def scenario() -> None:
        async with started(make_broker) as (pub, _), started(make_broker, room) as (_, inbox):
            for start in range(0, 500, 100):  # batches of 100 ...
                await pub.publish([(room, m) for m in sent[start : start + 100]])
            await pub.publish([(room, m) for m in sent[500:]])  # ... then one of 500
            await inbox.wait_for(lambda: len(inbox.messages) >= 1000)
            assert inbox.payloads(room) == sent

    asyncio.run(scenario())


def test_unsubscribe_stops_delivery(make_broker: MakeBroker) -> None:
    room, marker = room_name(), room_name()

    async def scenario() -> None:
        async with started(make_broker) as (pub, _), started(make_broker, room, marker) as sub_in:
            sub, inbox = sub_in
            await pub.publish([(room, b"before")])
            await inbox.wait_for(lambda: inbox.payloads(room) == [b"before"])
            await sub.unsubscribe(room)
            # Per publisher order holds across rooms: once the marker is in, "after" would be.
            await pub.publish([(room, b"after"), (marker, b"marker")])
            await inbox.wait_for(lambda: inbox.payloads(marker) == [b"marker"])
            assert inbox.payloads(room) == [b"before"]

    asyncio.run(scenario())


def test_rooms_are_isolated(make_broker: MakeBroker) -> None:
    one, two = room_name(), room_name()

    async def scenario() -> None:
        async with AsyncExitStack() as stack:
            pub, _ = await stack.enter_async_context(started(make_broker))
            _, in_one = await stack.enter_async_context(started(make_broker, one))
            _, in_two = await stack.enter_async_context(started(make_broker, two))
            await pub.publish([(one, b"1a"), (two, b"2a"), (one, b"1b"), (two, b"2b")])
            await in_one.wait_for(lambda: len(in_one.messages) == 2)
            await in_two.wait_for(lambda: len(in_two.messages) == 2)
            await pub.publish([(one, b"1-end"), (two, b"2-end")])
            await in_one.wait_for(lambda: len(in_one.messages) == 3)
            await in_two.wait_for(lambda: len(in_two.messages) == 3)
            assert in_one.messages == [(one, b"1a"), (one, b"1b"), (one, b"1-end")]
            assert in_two.messages == [(two, b"2a"), (two, b"2b"), (two, b"2-end")]

    asyncio.run(scenario())


def test_binary_payloads_round_trip(make_broker: MakeBroker) -> None:
    room = room_name()
    every_byte = bytes(range(256))
    payloads = [every_byte, every_byte[::-1], b"", b"\x00" * 70_000, bytearray(b"\xff\r\n")]

    async def scenario() -> None:
        async with started(make_broker) as (pub, _), started(make_broker, room) as (_, inbox):
            await pub.publish([(room, bytes(p)) for p in payloads])
            await inbox.wait_for(lambda: len(inbox.messages) == len(payloads))
            got = inbox.payloads(room)
            assert got == [bytes(p) for p in payloads]
            assert all(type(p) is bytes for p in got)

    asyncio.run(scenario())


def test_payload_is_copied_not_shared(make_broker: MakeBroker) -> None:
    room = room_name()

    async def scenario() -> None:
        async with started(make_broker, room) as (broker, inbox):
            buffer = bytearray(b"original")
            await broker.publish([(room, buffer)])  # type: ignore[list-item]
            buffer[:] = b"mutated!"
            await inbox.wait_for(lambda: len(inbox.messages) == 1)
            assert inbox.payloads(room) == [b"original"]

    asyncio.run(scenario())


def test_a_failing_callback_does_not_stop_delivery(make_broker: MakeBroker) -> None:
    room = room_name()

    async def scenario() -> None:
        inbox = Inbox()

        async def flaky(r: str, payload: bytes) -> None:
            if payload == b"boom":
                raise RuntimeError("callback bug")
            await inbox.on_message(r, payload)

        broker = make_broker()
        await broker.start(flaky, inbox.on_reconnect)
        try:
            await broker.subscribe(room)
            await broker.publish([(room, b"boom"), (room, b"fine")])
            await inbox.wait_for(lambda: inbox.payloads(room) == [b"fine"])
        finally:
            await broker.stop()

    asyncio.run(scenario())


def test_healthy_while_started_only(make_broker: MakeBroker) -> None:
    async def scenario() -> None:
        broker, inbox = make_broker(), Inbox()
        await broker.start(inbox.on_message, inbox.on_reconnect)
        assert await broker.healthy()
        await broker.publish([])  # nothing to send is not an error
        await broker.stop()
        assert not await broker.healthy()

    asyncio.run(scenario())


def test_delivery_never_runs_inside_publish(make_broker: MakeBroker) -> None:
    """A callback run from inside publish() would re-enter the hub mid-commit."""
    room = room_name()

    async def scenario() -> None:
        inbox = Inbox()
        callers: list[asyncio.Task[object] | None] = []

        async def on_message(r: str, payload: bytes) -> None:
            callers.append(asyncio.current_task())
            await inbox.on_message(r, payload)

        broker = make_broker()
        await broker.start(on_message, inbox.on_reconnect)
        try:
            await broker.subscribe(room)
            await broker.publish([(room, b"x")])
            await inbox.wait_for(lambda: len(inbox.messages) == 1)
            assert callers[0] is not asyncio.current_task()
        finally:
            await broker.stop()

    asyncio.run(scenario())


@pytest.mark.redis
def test_redis_publish_of_many_messages_is_one_round_trip() -> None:
    """Counted by Redis itself: `total_reads_processed` grows by one per socket read, so a
    pipelined batch costs a handful of reads and one-by-one costs one per message."""
    require_redis()
    room = room_name()
    batch = [(room, b"p" * 16)] * 500

    async def reads(admin: redis.asyncio.Redis) -> int:
        return int((await admin.info("stats"))["total_reads_processed"])

    async def scenario() -> tuple[int, int]:
        admin = redis.asyncio.Redis.from_url(REDIS_URL)
        broker, inbox = RedisBroker(REDIS_URL), Inbox()
        await broker.start(inbox.on_message, inbox.on_reconnect)
        try:
            await broker.publish(batch[:1])  # warm the publisher's connection
            before = await reads(admin)
            await broker.publish(batch)
            pipelined = await reads(admin) - before - 1  # minus the INFO itself
            before = await reads(admin)
            for message in batch:
                await broker.publish([message])
            one_by_one = await reads(admin) - before - 1
            return pipelined, one_by_one
        finally:
            await broker.stop()
            await admin.aclose()

    pipelined, one_by_one = asyncio.run(scenario())
    # 500 commands are ~30 kB: one write, one or two 16 kB server reads. Other clients on a
    # shared server may add a few reads; one-by-one shows what the measure would catch.
    assert pipelined <= 10, pipelined
    assert one_by_one >= 500, one_by_one
