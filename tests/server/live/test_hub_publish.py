"""The hub publishes committed entries only when another process might host the room: alone
(the embedded default), it would pack every entry only to unpack it again and find it
applied. With a second subscriber on the bus, it publishes and the other one hears."""

from __future__ import annotations

import asyncio
from pathlib import Path

from moderation.filters import DEFAULT_FILTERS
from moderation.roles import Role
from rooms import Context
from server.broker.memory import MemoryBroker, MemoryBus
from server.config import load_settings
from server.live.hub import Hub, now_ms
from server.store import open_store
from tests.broker.conftest import Inbox


def _hub(tmp_path: Path, bus: MemoryBus) -> Hub:
    settings = load_settings(
        {"TOWNHALL_DATA_DIR": str(tmp_path), "TOWNHALL_SECRET": "publish-test-secret-0123456789"}
    )
    store = open_store(f"sqlite:///{tmp_path}/publish.db")
    return Hub(settings, store, MemoryBroker(bus), DEFAULT_FILTERS)


async def _ops(hub: Hub, code: str, count: int) -> None:
    host = hub.rooms[code]
    for i in range(count):
        ctx = Context("o1", Role.ORGANISER, now_ms(), f"{code}-q{i}")
        done = await host.submit(
            "poll.create", {"kind": "single", "question": f"Q{i}?", "options": ["a", "b"]}, ctx
        )
        assert done.error is None, done.error


def test_a_hub_alone_on_its_bus_publishes_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        hub = _hub(tmp_path, MemoryBus())
        await hub.start()
        try:
            assert (await hub.create_room("ALONE1", {"title": "Alone"}, "o1")).error is None
            await _ops(hub, "ALONE1", 5)
            await asyncio.sleep(0.05)
            assert hub.stats.publishes == 0
        finally:
            await hub.stop()

    asyncio.run(scenario())


def test_with_another_subscriber_on_the_bus_every_commit_is_published(tmp_path: Path) -> None:
    async def scenario() -> None:
        bus = MemoryBus()
        hub = _hub(tmp_path, bus)
        await hub.start()
        other, inbox = MemoryBroker(bus), Inbox()  # another process hosting the room
        await other.start(inbox.on_message, inbox.on_reconnect)
        try:
            assert (await hub.create_room("SHARED", {"title": "Shared"}, "o1")).error is None
            await other.subscribe("SHARED")
            await _ops(hub, "SHARED", 5)
            await inbox.wait_for(lambda: len(inbox.payloads("SHARED")) > 0)
            assert hub.stats.publishes > 0
        finally:
            await other.stop()
            await hub.stop()

    asyncio.run(scenario())
