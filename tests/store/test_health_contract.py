"""The store's health surface, on every backend: the chain's tail as stored, the readiness
probe (a real commit, read back), and snapshots that can be damaged and discarded."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from server.live.chain_check import check_tail
from server.store import StoreUnavailable
from server.store.sqlite import SqliteStore

from .conftest import StoreFactory
from .helpers import entry, opened


def test_tail_is_the_head_and_the_last_entries_as_stored(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            assert await store.tail("ROOM", 5) is None
            committed = await store.append("ROOM", [entry(n) for n in range(12)])
            tail = await store.tail("ROOM", 5)
            assert tail is not None
            assert (tail.head_seq, tail.head_hash) == (12, committed[-1].hash)
            assert [e.seq for e in tail.entries] == [8, 9, 10, 11, 12]
            last = tail.entries[-1]
            assert (last.prev, last.hash) == (committed[-1].prev, committed[-1].hash)
            assert last.data == '{"n":11}'  # the exact text the hash covers, unparsed
            assert check_tail("ROOM", tail, 5) is None
            everything = await store.tail("ROOM", 100)
            assert everything is not None and len(everything.entries) == 12
            assert check_tail("ROOM", everything, 100) is None

    asyncio.run(body())


def test_probe_commits_and_reads_back_and_fails_when_closed(make_store: StoreFactory) -> None:
    async def body() -> None:
        store = make_store()
        with pytest.raises(StoreUnavailable):
            await store.probe()
        await store.open()
        try:
            for _ in range(3):
                await store.probe()
            other = make_store()  # a second process on the same database
            await other.open()
            try:
                await other.probe()
                await store.probe()
            finally:
                await other.close()
        finally:
            await store.close()
        with pytest.raises(StoreUnavailable):
            await store.probe()

    asyncio.run(body())


def test_a_discarded_snapshot_is_gone_and_a_fresh_one_can_follow(
    make_store: StoreFactory,
) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            await store.save_snapshot("ROOM", 50, b"ahead of the log")
            await store.save_snapshot("OTHER", 5, b"other")
            await store.discard_snapshot("ROOM")
            assert await store.load_snapshot("ROOM") is None
            await store.save_snapshot("ROOM", 7, b"fresh")  # lower seq, nothing in the way
            assert await store.load_snapshot("ROOM") == (7, b"fresh")
            assert await store.load_snapshot("OTHER") == (5, b"other")

    asyncio.run(body())


@pytest.mark.parametrize(
    ("column", "value"), [("data", "not bytes"), ("seq", "twelve"), ("data", 12)]
)
def test_a_sqlite_snapshot_row_of_the_wrong_types_is_a_value_error(
    tmp_path: Path, column: str, value: object
) -> None:
    path = tmp_path / "t.db"

    async def body() -> None:
        async with opened(lambda: SqliteStore(path)) as store:
            await store.save_snapshot("ROOM", 3, b"data")
            with sqlite3.connect(path) as raw:
                raw.execute(f"UPDATE snapshots SET {column} = ?", (value,))
            with pytest.raises(ValueError, match="snapshot row holds"):
                await store.load_snapshot("ROOM")

    asyncio.run(body())
