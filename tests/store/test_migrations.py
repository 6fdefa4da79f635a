"""Versioned migrations: a store made before versions existed is upgraded in place, on SQLite
and on the real PostgreSQL; new steps apply once, in order, whole or not at all; a store newer
than the code is refused."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import psycopg
import pytest

from rooms.chain import GENESIS, canonical_json, entry_hash
from server.store import Entry, StoreUnavailable
from server.store.migrations import STEPS, Step, apply_postgres, apply_sqlite, latest
from server.store.postgres import PostgresStore
from server.store.sqlite import SqliteStore

# The schema as the server created it before versioned migrations, verbatim: what a store in
# the field holds today. (Frozen here on purpose: it is the starting point to upgrade from.)
LEGACY_SQLITE = """
CREATE TABLE IF NOT EXISTS entries (
    room TEXT NOT NULL, seq INTEGER NOT NULL CHECK (seq > 0), at INTEGER NOT NULL,
    actor TEXT NOT NULL, op_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
    prev TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (room, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS heads (
    room TEXT PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL, updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS entries_op ON entries (room, actor, op_id) WHERE op_id <> '';
CREATE INDEX IF NOT EXISTS heads_updated_at ON heads (updated_at);
CREATE TABLE IF NOT EXISTS snapshots (
    room TEXT PRIMARY KEY, seq INTEGER NOT NULL, data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS health (
    probe TEXT PRIMARY KEY, token TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END;
"""
LEGACY_POSTGRES = (
    """CREATE TABLE IF NOT EXISTS entries (
        room TEXT NOT NULL, seq BIGINT NOT NULL CHECK (seq > 0), at BIGINT NOT NULL,
        actor TEXT NOT NULL, op_id TEXT NOT NULL, type TEXT NOT NULL, data TEXT NOT NULL,
        prev TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (room, seq))""",
    "COMMENT ON COLUMN entries.data IS 'canonical JSON: the exact text the hash covers'",
    """CREATE TABLE IF NOT EXISTS heads (
        room TEXT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL,
        updated_at BIGINT NOT NULL)""",
    "CREATE UNIQUE INDEX IF NOT EXISTS entries_op ON entries (room, actor, op_id)"
    " WHERE op_id <> ''",
    "CREATE INDEX IF NOT EXISTS heads_updated_at ON heads (updated_at)",
    "CREATE TABLE IF NOT EXISTS snapshots (room TEXT PRIMARY KEY, seq BIGINT NOT NULL,"
    " data BYTEA NOT NULL)",
    "CREATE TABLE IF NOT EXISTS health (probe TEXT PRIMARY KEY, token TEXT NOT NULL,"
    " at BIGINT NOT NULL)",
    """CREATE OR REPLACE FUNCTION townhall_append_only() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the transcript is append-only (% on %)', TG_OP, TG_TABLE_NAME;
        END $$""",
    "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON entries"
    " FOR EACH STATEMENT EXECUTE FUNCTION townhall_append_only()",
)

ROOM = "K7F3QX"


def _legacy_rows(count: int) -> list[tuple[object, ...]]:
    """A chained room as the old server wrote it."""
    rows, prev = [], GENESIS
    for seq in range(1, count + 1):
        data = {"n": seq}
        fields = {"room": ROOM, "seq": seq, "at": 1000 * seq, "actor": "org", "op_id": f"o{seq}"}
        digest = entry_hash(prev, type="test.entry", data=data, **fields)  # type: ignore[arg-type]
        rows.append((*fields.values(), "test.entry", canonical_json(data).decode(), prev, digest))
        prev = digest
    return rows


def _legacy_sqlite(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_SQLITE)
        rows = _legacy_rows(3)
        conn.executemany("INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        conn.execute("INSERT INTO heads VALUES (?, 3, ?, 3000)", (ROOM, rows[-1][-1]))
    conn.close()


def _legacy_postgres(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for statement in LEGACY_POSTGRES:
            conn.execute(statement)
        rows = _legacy_rows(3)
        for row in rows:
            conn.execute("INSERT INTO entries VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)", row)
        conn.execute("INSERT INTO heads VALUES (%s, 3, %s, 3000)", (ROOM, rows[-1][-1]))


def _versions_sqlite(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        found = [int(v) for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    conn.close()
    return found


def _versions_postgres(url: str) -> list[int]:
    with psycopg.connect(url) as conn:
        return [int(v) for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY 1")]


async def _upgrade_and_use(store: SqliteStore | PostgresStore) -> None:
    await store.open()
    try:
        old = await store.read(ROOM)
        assert [e.seq for e in old] == [1, 2, 3]
        # The chain goes on from the old head: the upgraded store is the same transcript.
        [new] = await store.append(ROOM, [Entry(4000, "org", "o4", "test.entry", {"n": 4})])
        assert (new.seq, new.prev) == (4, old[-1].hash)
        assert await store.find_op(ROOM, "org", "o2") == old[1]
    finally:
        await store.close()


def test_a_sqlite_store_made_before_versions_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "townhall.db"
    _legacy_sqlite(path)
    asyncio.run(_upgrade_and_use(SqliteStore(path)))
    assert _versions_sqlite(path) == list(range(1, latest() + 1))
    asyncio.run(_upgrade_and_use_again(SqliteStore(path)))  # reopening applies nothing
    assert _versions_sqlite(path) == list(range(1, latest() + 1))
    with sqlite3.connect(path) as conn, pytest.raises(sqlite3.IntegrityError):
        conn.execute("DELETE FROM entries")  # the append-only trigger survived the upgrade
    conn.close()


@pytest.mark.postgres
def test_a_postgres_store_made_before_versions_is_upgraded_in_place(pg_url: str) -> None:
    _legacy_postgres(pg_url)
    asyncio.run(_upgrade_and_use(PostgresStore(pg_url)))
    assert _versions_postgres(pg_url) == list(range(1, latest() + 1))
    asyncio.run(_upgrade_and_use_again(PostgresStore(pg_url)))
    assert _versions_postgres(pg_url) == list(range(1, latest() + 1))
    with psycopg.connect(pg_url) as conn, pytest.raises(psycopg.errors.RaiseException):
        conn.execute("DELETE FROM entries")


async def _upgrade_and_use_again(store: SqliteStore | PostgresStore) -> None:
    await store.open()
    try:
        assert await store.head(ROOM) == 4
    finally:
        await store.close()


# A later step, as the next schema change would be: a column and an index. And a step that
# fails half-way, to show that nothing of it stays.
NEXT = Step(
    latest() + 1,
    "test: entries remember a label",
    sqlite=(
        "ALTER TABLE heads ADD COLUMN label TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX heads_label ON heads (label)",
    ),
    postgres=(
        "ALTER TABLE heads ADD COLUMN label TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX heads_label ON heads (label)",
    ),
)
BROKEN = Step(
    latest() + 2,
    "test: fails after its first statement",
    sqlite=("CREATE TABLE half (x INTEGER)", "CREATE TABLE half (x INTEGER)"),
    postgres=("CREATE TABLE half (x INTEGER)", "CREATE TABLE half (x INTEGER)"),
)


def _sqlite_conn(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _applied(steps: Sequence[Step]) -> list[int]:
    return [step.version for step in steps]


def test_sqlite_steps_apply_in_order_once_and_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    _legacy_sqlite(path)
    conn = _sqlite_conn(path)
    try:
        assert _applied(apply_sqlite(conn, (*STEPS, NEXT))) == [
            *range(1, latest() + 1),
            NEXT.version,
        ]
        assert _applied(apply_sqlite(conn, (*STEPS, NEXT))) == []
        columns = [row[1] for row in conn.execute("PRAGMA table_info(heads)")]
        assert "label" in columns
        assert conn.execute("SELECT label FROM heads").fetchall() == [("",)]  # old rows kept
        with pytest.raises(sqlite3.OperationalError):
            apply_sqlite(conn, (*STEPS, NEXT, BROKEN))
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        assert "half" not in tables  # rolled back whole
        assert _versions_sqlite(path)[-1] == NEXT.version
        # The code that knows only STEPS refuses the newer store rather than write to it.
        with pytest.raises(StoreUnavailable, match="newer than this server knows"):
            apply_sqlite(conn, STEPS)
    finally:
        conn.close()


@pytest.mark.postgres
def test_postgres_steps_apply_in_order_once_and_whole(pg_url: str) -> None:
    _legacy_postgres(pg_url)

    async def run() -> None:
        conn = await psycopg.AsyncConnection.connect(pg_url, autocommit=True)
        try:
            applied = await apply_postgres(conn, (*STEPS, NEXT))
            assert _applied(applied) == [*range(1, latest() + 1), NEXT.version]
            assert _applied(await apply_postgres(conn, (*STEPS, NEXT))) == []
            with pytest.raises(psycopg.errors.DuplicateTable):
                await apply_postgres(conn, (*STEPS, NEXT, BROKEN))
            cur = await conn.execute("SELECT to_regclass('half') IS NULL")
            assert await cur.fetchone() == (True,)
            with pytest.raises(StoreUnavailable, match="newer than this server knows"):
                await apply_postgres(conn, STEPS)
        finally:
            await conn.close()

    asyncio.run(run())
    assert _versions_postgres(pg_url)[-1] == NEXT.version


@pytest.mark.postgres
def test_two_postgres_processes_migrating_at_once_apply_each_step_once(pg_url: str) -> None:
    async def one() -> list[int]:
        conn = await psycopg.AsyncConnection.connect(pg_url, autocommit=True)
        try:
            return _applied(await apply_postgres(conn, (*STEPS, NEXT)))
        finally:
            await conn.close()

    async def both() -> list[list[int]]:
        return list(await asyncio.gather(one(), one()))

    first, second = asyncio.run(both())
    assert sorted(first + second) == [*range(1, latest() + 1), NEXT.version]
    assert _versions_postgres(pg_url) == [*range(1, latest() + 1), NEXT.version]


def test_steps_are_numbered_from_one_without_gaps() -> None:
    assert [step.version for step in STEPS] == list(range(1, len(STEPS) + 1))
    for step in STEPS:
        assert step.sqlite and step.postgres, step.name


def test_townhall_migrate_reports_then_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from server.tools.cli import main

    path = tmp_path / "store" / "townhall.db"
    _legacy_sqlite(path)
    monkeypatch.setenv("TOWNHALL_STORE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("TOWNHALL_SECRET", "x" * 32)
    assert main(["migrate", "--status"]) == 0
    assert f"schema version 0 of {latest()}; pending: 1 (" in capsys.readouterr().out
    assert not _sqlite_has_versions(path)  # --status changed nothing
    assert main(["migrate"]) == 0
    assert (
        f"schema version {latest()} (was 0; {latest()} step(s) applied)" in capsys.readouterr().out
    )
    assert main(["migrate", "--status"]) == 0
    assert "pending: none" in capsys.readouterr().out
    with sqlite3.connect(path) as conn:  # a newer server's step: this one refuses the store
        conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 0)", (latest() + 1,))
    conn.close()
    assert main(["migrate"]) == 1
    assert "newer than this server knows" in capsys.readouterr().err


def _sqlite_has_versions(path: Path) -> bool:
    with sqlite3.connect(path) as conn:
        found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_version'").fetchone()
    conn.close()
    return found is not None
