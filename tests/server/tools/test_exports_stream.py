"""Exports and reports stream the log from the store: the same files as from a log held in
memory, in a fraction of the memory (tracemalloc peaks on a large generated room)."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from rooms import event_to_dict
from rooms.evaluation import evaluate
from rooms.transcript import records_of, replay
from server.store import Entry
from server.store.sqlite import SqliteStore
from server.tools.exports import export_room, load_report, read_entries, write_export
from tests.rooms.harness import ORG, Room

T = TypeVar("T")
VOTERS = 40
# Changed ballots: a long log over a small room, as a long meeting makes. Both sizes are past
# the room's memory of recent ops (10,000), so the room itself is the same size in both.
VOTES = 12_000


def _big_room() -> tuple[Room, int]:
    """The room after 2 * VOTES votes, and how many of its records the first VOTES take."""
    room = Room(moderation="post")
    people = [f"p{i}" for i in range(VOTERS)]
    room.join(*people)
    poll = room.poll("single")
    room.ask("p1", "Where will the new library be built, and when does it open?")
    half = 0
    for n in range(2 * VOTES):
        room.do(people[n % VOTERS], "vote", poll_id=poll, choice=n % 3)
        if n == VOTES - 1:
            half = len(room.records)
    return room, half


async def _store_of(records: list[Any], path: Path) -> SqliteStore:
    store = SqliteStore(path)
    await store.open()
    batch = [
        Entry(r.at, r.actor, r.op_id, r.event.TYPE, event_to_dict(r.event)["data"]) for r in records
    ]
    for start in range(0, len(batch), 4000):
        await store.append("TOWN", batch[start : start + 4000])
    return store


async def _write(records: list[Any], path: Path) -> None:
    store = await _store_of(records, path)
    await store.close()


def _peak(run: Callable[[], Awaitable[T]]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = asyncio.run(run())
        return result, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


def _using(db: Path, use: Callable[[SqliteStore], Awaitable[T]]) -> Callable[[], Awaitable[T]]:
    async def run() -> T:
        store = SqliteStore(db)
        await store.open()
        try:
            return await use(store)
        finally:
            await store.close()

    return run


@pytest.mark.slow
@pytest.mark.timeout(400)  # 24,000 votes decided, stored, exported twice under tracemalloc
def test_export_and_report_stream_in_bounded_memory(tmp_path: Path) -> None:
    room, half = _big_room()
    dbs = {"half": tmp_path / "half.db", "whole": tmp_path / "whole.db"}
    for name, records in (("half", room.records[:half]), ("whole", room.records)):
        asyncio.run(_write(records, dbs[name]))

    async def in_memory(store: SqliteStore) -> list[Path]:
        entries = await read_entries(store, "TOWN")
        return write_export(replay(records_of(entries)), entries, tmp_path / "held")

    def streamed(out: str) -> Callable[[SqliteStore], Awaitable[list[Path]]]:
        async def use(store: SqliteStore) -> list[Path]:
            seen: list[int] = []
            written = await export_room(store, "TOWN", tmp_path / out, seen.append)
            assert sum(seen) == await store.head("TOWN") and len(seen) > 3  # page by page
            return written

        return use

    held, held_peak = _peak(_using(dbs["whole"], in_memory))
    _, half_peak = _peak(_using(dbs["half"], streamed("half")))
    whole_files, whole_peak = _peak(_using(dbs["whole"], streamed("whole")))

    # The same files as from the log held in memory, byte for byte.
    assert [p.name for p in whole_files] == [p.name for p in held]
    for a, b in zip(held, whole_files, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    # Holding the log costs about its size again in memory, per entry; streaming holds a page
    # and the room (the same size at both lengths here). What still grows with the log is the
    # report's timeline (one moment per attendee action, for peaks and buckets): a small
    # fraction of an entry.
    assert held_peak > whole_files[0].stat().st_size  # the measurement sees a held log
    held_per_entry = held_peak / len(room.records)
    growth_per_entry = (whole_peak - half_peak) / (len(room.records) - half)
    assert growth_per_entry < held_per_entry / 4, (growth_per_entry, held_per_entry)
    assert whole_peak < held_peak / 2, (whole_peak, held_peak)

    async def report(store: SqliteStore) -> dict[str, Any]:
        return await load_report(store, "TOWN")

    streamed_report, report_peak = _peak(_using(dbs["whole"], report))
    assert streamed_report == evaluate(room.records)
    assert report_peak < held_peak / 2, (report_peak, held_peak)


def test_a_stream_folds_the_room_and_its_report_in_one_pass(tmp_path: Path) -> None:
    room = Room(moderation="post")
    room.join("ann")
    room.ask("ann", "Why?")
    room.do(ORG, "room.close")

    async def run() -> list[Path]:
        store = await _store_of(room.records, tmp_path / "t.db")
        try:
            return await export_room(store, "TOWN", tmp_path / "out")
        finally:
            await store.close()

    names = [p.name for p in asyncio.run(run())]
    # Closed, so the published record comes with it (issue 17).
    assert names == ["TOWN.jsonl", "TOWN-questions.csv", "TOWN-report.json", "TOWN-published.json"]
    text = (tmp_path / "out" / "TOWN-questions.csv").read_text(encoding="utf-8")
    assert "Why?" in text
