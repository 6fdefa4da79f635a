"""The room host on the real SQLite store applies what it committed itself as decided: no
unsealing, no event rebuilt from the stored entry (server/live/room_log.py, `keep_local`)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from moderation.filters import DEFAULT_FILTERS
from moderation.roles import Role
from rooms import Context, event_from_dict, new_room, to_snapshot
from server.config import Limits
from server.live import room_log as room_log_module
from server.live.room_host import HostDeps, RoomHost
from server.live.room_log import RoomLog
from server.live.stats import Stats
from server.store.sqlite import SqliteStore

AT = 1_800_000_000_000


def test_a_room_host_applies_its_own_votes_as_decided_and_its_store_agrees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real host on the real SQLite store: its votes never go through rebuilding an event
    from the stored entry (the local path is in use), and a room folded afresh from the
    store's transcript, as a restart or another process would, ends up the same."""
    rebuilt: list[str] = []

    def counting(d: Any) -> Any:
        rebuilt.append(str(d.get("type")))
        return event_from_dict(d)

    monkeypatch.setattr(room_log_module, "event_from_dict", counting)

    async def body() -> tuple[dict[str, Any], dict[str, Any]]:
        store = SqliteStore(tmp_path / "t.db")
        await store.open()
        deps = HostDeps(
            store=store,
            limits=Limits(),
            filters=DEFAULT_FILTERS,
            publish=lambda code, committed: None,
            mark_dirty=lambda host: None,
        )
        host = RoomHost("ROOM", new_room(), deps)
        try:

            async def do(op: str, actor: str, role: Role, **fields: Any) -> dict[str, Any]:
                ctx = Context(actor, role, AT, f"{op}-{actor}")
                outcome = await host.submit(op, dict(fields), ctx)
                assert outcome.error is None, outcome.error
                return outcome.result

            await do("room.create", "org", Role.ORGANISER, code="ROOM", title="Council")
            poll = await do("poll.create", "org", Role.ORGANISER, kind="single", question="Q?",
                            options=["a", "b"])  # fmt: skip
            poll_id = poll["poll_id"]
            await do("poll.open", "org", Role.ORGANISER, poll_id=poll_id)
            for person in ("ana", "ben", "cy"):
                await do("participant.join", person, Role.ATTENDEE, name=person.title())
                await do("vote", person, Role.ATTENDEE, poll_id=poll_id, choice=len(person) % 2)
            assert "ballot.cast" not in rebuilt and "participant.joined" not in rebuilt
            assert rebuilt == ["room.created"]  # a mapping field: always rebuilt
            fresh: RoomLog[str] = RoomLog(new_room(), Stats(), recent_ops=100)
            for entry in await store.read("ROOM"):
                fresh.apply(entry)
            return to_snapshot(host.state), to_snapshot(fresh.state)
        finally:
            await host.stop()
            await store.close()

    live, replayed = asyncio.run(body())
    assert live == replayed
