"""The hub's shared loops (render tick, poll timers) survive one room's failure: it is logged
once with the room's code, and every other room keeps rendering and closing its polls."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from moderation.filters import DEFAULT_FILTERS
from moderation.roles import Role
from rooms import Context
from server.broker import open_broker
from server.config import load_settings
from server.live.hub import Hub, now_ms
from server.live.room_host import RoomHost
from server.store import open_store


class Exploding(dict[int, Any]):
    """A room's polls that cannot be read: the timer loop trips on them."""

    def values(self) -> Any:
        raise RuntimeError("injected")


def _hub(tmp_path: Path) -> Hub:
    settings = load_settings(
        {"TOWNHALL_DATA_DIR": str(tmp_path), "TOWNHALL_SECRET": "loops-test-secret-0123456789"}
    )
    store = open_store(f"sqlite:///{tmp_path}/loops.db")
    return Hub(settings, store, open_broker("memory://"), DEFAULT_FILTERS)


async def _room_with_timed_poll(hub: Hub, code: str) -> tuple[RoomHost, int]:
    created = await hub.create_room(code, {"title": code}, "o1")
    assert created.error is None
    host = hub.rooms[code]
    ctx = Context("o1", Role.ORGANISER, now_ms(), f"{code}-poll")
    poll = await host.submit(
        "poll.create", {"kind": "single", "question": "Q?", "options": ["a", "b"]}, ctx
    )
    poll_id = int(poll.result["poll_id"])
    ctx = Context("o1", Role.ORGANISER, now_ms(), f"{code}-open")
    opened = await host.submit("poll.open", {"poll_id": poll_id, "duration_s": 1}, ctx)
    assert opened.error is None, opened.error
    return host, poll_id


def test_one_rooms_failure_never_stops_the_others(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        hub = _hub(tmp_path)
        await hub.start()
        try:
            broken, _ = await _room_with_timed_poll(hub, "BROKEN")
            healthy, poll_id = await _room_with_timed_poll(hub, "HEALTHY")

            def fail(*_args: Any) -> Any:
                raise RuntimeError("injected")

            broken.render = fail  # type: ignore[method-assign]
            broken.state.polls = Exploding(broken.state.polls)
            rendered: list[float] = []
            real_render = healthy.render

            def counting(now: float) -> int:
                rendered.append(now)
                return real_render(now)

            healthy.render = counting  # type: ignore[method-assign]
            for _ in range(30):  # a few ticks and timer rounds with both rooms busy
                hub._mark_dirty(broken)
                hub._mark_dirty(healthy)
                await asyncio.sleep(0.1)
            assert rendered, "the healthy room stopped rendering"
            assert healthy.state.polls[poll_id].state == "closed"  # its timer still ran
        finally:
            await hub.stop()

    with caplog.at_level(logging.ERROR, logger="townhall.hub"):
        asyncio.run(scenario())
    # (Its snapshot at shutdown fails too, which is logged on its own line.)
    failures = [r for r in caplog.records if "BROKEN" in r.getMessage() and "carry" in r.msg]
    assert {r.getMessage() for r in failures} == {
        "room BROKEN: render failed; other rooms carry on",
        "room BROKEN: timers failed; other rooms carry on",
    }
    assert len(failures) == 2  # once each, not once per tick
    assert not [r for r in caplog.records if "HEALTHY" in r.getMessage()]
