"""SQLite-only behaviour: durability settings, failed batches, raw rows, in-memory."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from rooms.chain import canonical_json
from server.store import StoreUnavailable
from server.store.sqlite import WAL_CHECKPOINT_PAGES, SqliteStore

from .helpers import entry, opened, verify_chain


def test_durability_settings(tmp_path: Path) -> None:
    async def body() -> None:
        store = SqliteStore(tmp_path / "t.db")
        await store.open()
        try:
            conn = store._wconn  # the writer's own settings are what make an ack durable
            assert conn is not None

            def pragmas() -> tuple[str, int, int]:
                assert conn is not None
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                sync = conn.execute("PRAGMA synchronous").fetchone()[0]
                return mode, sync, conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0]

            assert store._writer is not None
            loop = asyncio.get_running_loop()
            settings = await loop.run_in_executor(store._writer, pragmas)
            assert settings == ("wal", 2, WAL_CHECKPOINT_PAGES)  # 2 = FULL; not SQLite's 1,000
        finally:
            await store.close()

    asyncio.run(body())


def test_a_failed_batch_fails_every_caller_and_the_chain_resumes(tmp_path: Path) -> None:
    path = tmp_path / "t.db"

    async def body() -> None:
        async with opened(lambda: SqliteStore(path, busy_timeout_ms=50)) as store:
            await store.append("ROOM", [entry(0)])
            # Another process holding the write lock makes the next batch time out.
            blocker = sqlite3.connect(path, isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            try:
                outcomes = await asyncio.gather(
                    *(store.append(room, [entry(n)]) for n in range(20) for room in "AB"),
                    return_exceptions=True,
                )
                assert outcomes and all(isinstance(o, StoreUnavailable) for o in outcomes)
                assert not await store.healthy()
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            assert await store.healthy()
            [next_one] = await store.append("ROOM", [entry(1)])
            assert next_one.seq == 2
            [first_a] = await store.append("A", [entry(2)])
            assert first_a.seq == 1
            verify_chain("ROOM", await store.read("ROOM"))

    asyncio.run(body())


def test_rows_hold_canonical_json_and_refuse_rewrites(tmp_path: Path) -> None:
    path = tmp_path / "t.db"

    async def body() -> None:
        async with opened(lambda: SqliteStore(path)) as store:
            await store.append("ROOM", [entry(data={"b": "é", "a": [1, {"y": 2, "x": 1}]})])

    asyncio.run(body())
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        [(data,)] = conn.execute("SELECT data FROM entries").fetchall()
        assert data.encode() == canonical_json({"a": [1, {"x": 1, "y": 2}], "b": "é"})
        for statement in ("UPDATE entries SET at = 0", "DELETE FROM entries"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
    finally:
        conn.close()


def test_in_memory_store_works_for_tests_and_demos() -> None:
    async def body() -> None:
        async with opened(lambda: SqliteStore(":memory:")) as store:
            await asyncio.gather(*(store.append("ROOM", [entry(n)]) for n in range(30)))
            verify_chain("ROOM", await store.read("ROOM"))
            assert await store.healthy()

    asyncio.run(body())
