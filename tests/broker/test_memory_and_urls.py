"""What only the in-memory broker does (simulated outage, overflow), and open_broker()."""

from __future__ import annotations

import asyncio

import pytest

from server.broker import open_broker
from server.broker.memory import MemoryBroker, MemoryBus
from server.broker.redis import RedisBroker, channel_for, room_for

from .conftest import Inbox


def test_a_simulated_outage_drops_then_asks_for_backfill() -> None:
    async def scenario() -> None:
        bus = MemoryBus()
        broker, inbox = MemoryBroker(bus), Inbox()
        await broker.start(inbox.on_message, inbox.on_reconnect)
        await broker.subscribe("r")
        bus.set_down(True)
        assert not await broker.healthy()
        await broker.publish([("r", b"lost")])  # no raise
        bus.set_down(False)
        await inbox.wait_for(lambda: inbox.reconnects == 1)
        assert await broker.healthy()
        await broker.publish([("r", b"kept")])
        await inbox.wait_for(lambda: inbox.messages == [("r", b"kept")])
        await broker.stop()

    asyncio.run(scenario())


def test_a_subscriber_that_falls_behind_is_resynced_not_grown() -> None:
    async def scenario() -> None:
        broker, inbox = MemoryBroker(MemoryBus(), queue_size=10), Inbox()
        await broker.start(inbox.on_message, inbox.on_reconnect)
        await broker.subscribe("r")
        await broker.publish([("r", b"%d" % i) for i in range(25)])  # no await between
        await inbox.wait_for(lambda: inbox.reconnects == 1)
        assert len(inbox.messages) < 25
        await broker.stop()

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("memory://", MemoryBroker),
        ("redis://127.0.0.1:6379/0", RedisBroker),
        ("rediss://example.org:6380", RedisBroker),
        ("redis+cluster://127.0.0.1:7000", RedisBroker),
        ("rediss+cluster://127.0.0.1:7000", RedisBroker),
    ],
)
def test_open_broker_by_scheme(url: str, kind: type) -> None:
    assert isinstance(open_broker(url), kind)  # constructing one connects to nothing


def test_open_broker_rejects_unknown_schemes() -> None:
    with pytest.raises(ValueError, match="amqp"):
        open_broker("amqp://localhost")


def test_channel_names_carry_the_room_as_hash_tag() -> None:
    assert channel_for("ABC123") == "townhall:{ABC123}"
    assert room_for(b"townhall:{ABC123}") == "ABC123"
    assert room_for("other:{ABC123}") is None
