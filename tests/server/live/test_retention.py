"""Retention: closed rooms past TOWNHALL_RETENTION_DAYS lose their personal data, on an
injected clock, over a real SQLite store; the chain and its recount do not change."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rooms.privacy import seal
from rooms.reducer import new_room
from server.config import ConfigError, load_settings
from server.live.retention import DAY_MS, sweep
from server.store import Entry
from server.store.sqlite import SqliteStore

T0 = 1_700_000_000_000


def _join(who: str, name: str, at: int) -> Entry:
    state = new_room()
    state.seq, state.organiser = 1, "org"
    wire = {"type": "participant.joined", "data": {"name": name, "district": "North"}}
    sealed = seal(state, who, f"join-{who}", wire, b"k" * 32, "ab" * 16)
    return Entry(at, sealed.actor, sealed.op_id, wire["type"], sealed.data, sealed.private)


def _staff(type_: str, at: int) -> Entry:
    return Entry(at, "org", f"{type_}-{at}", type_, {})


def test_closed_rooms_are_purged_after_the_retention_days_and_open_ones_never(
    tmp_path: Path,
) -> None:
    async def body() -> None:
        store = SqliteStore(tmp_path / "t.db")
        await store.open()
        try:
            released: list[str] = []

            async def release(room: str) -> None:
                released.append(room)

            for room in ("DONE", "LIVE"):
                await store.room_key(room)
                await store.append(room, [_staff("room.created", T0), _join("ann", "Ann", T0)])
            await store.append("DONE", [_staff("room.closed", T0 + 1)])
            before = [e.to_dict() for e in await store.read("DONE")]

            assert await sweep(store, 30, T0 + 29 * DAY_MS, release) == []  # too soon
            assert await sweep(store, 0, T0 + 999 * DAY_MS, release) == []  # 0: keep
            assert await sweep(store, 30, T0 + 31 * DAY_MS, release) == ["DONE"]
            assert released == ["DONE", "DONE"]
            after = await store.read("DONE")
            assert [e.to_dict() for e in after] == before  # the chain is untouched
            assert after[1].opened()[0] == "x1" and after[1].opened()[2]["name"] is None
            live = await store.read("LIVE")
            assert live[1].opened()[2]["name"] == "Ann"  # a room still open keeps its people
            assert await sweep(store, 30, T0 + 400 * DAY_MS, release) == []  # purged once
        finally:
            await store.close()

    asyncio.run(body())


def test_the_setting_is_validated() -> None:
    assert load_settings({"TOWNHALL_RETENTION_DAYS": "90"}).retention_days == 90
    assert load_settings({}).retention_days == 0
    for bad in ("-1", "soon", "100000"):
        with pytest.raises(ConfigError):
            load_settings({"TOWNHALL_RETENTION_DAYS": bad})
