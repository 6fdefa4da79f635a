"""The store's schema as numbered steps, for SQLite and PostgreSQL alike.

`schema_version` holds one row per step applied (`version`, `name`, `applied_at`). Opening a
store applies the steps it has not seen yet, in order, each in its own transaction with its
row, so a step is applied whole or not at all, and exactly once; `townhall migrate` does the
same ahead of a deploy and `townhall migrate --status` only reports. A store whose version is
newer than this code knows is refused: an older server must not write to it.

Step 1 is the schema as it was before versions existed. Its statements keep `IF NOT EXISTS`,
so a store made by that code adopts version 1 unchanged. Every later step is a plain change.
To add one: append a `Step(n + 1, ...)` with its statements for each backend (docs/DEPLOY.md,
"Schema migrations"); never edit a step that has shipped.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import StoreUnavailable

if TYPE_CHECKING:  # the embedded default never loads the PostgreSQL driver
    import psycopg
    from psycopg.rows import TupleRow

__all__ = [
    "STEPS",
    "Step",
    "apply_postgres",
    "apply_sqlite",
    "latest",
    "pending",
    "postgres_version",
    "sqlite_version",
]


@dataclass(frozen=True, slots=True)
class Step:
    version: int
    name: str
    sqlite: tuple[str, ...]  # one statement each (a trigger body included)
    postgres: tuple[str, ...]


_APPEND_ONLY_SQLITE = "BEGIN SELECT RAISE(ABORT, 'entries are append-only'); END"

STEPS: tuple[Step, ...] = (
    Step(
        1,
        "the transcript: entries, heads, snapshots, health probes, append-only entries",
        sqlite=(
            """CREATE TABLE IF NOT EXISTS entries (
                room TEXT NOT NULL,
                seq INTEGER NOT NULL CHECK (seq > 0),
                at INTEGER NOT NULL,
                actor TEXT NOT NULL,
                op_id TEXT NOT NULL,
                type TEXT NOT NULL,
                data TEXT NOT NULL,  -- canonical JSON: the exact text the hash covers
                prev TEXT NOT NULL,
                hash TEXT NOT NULL,
                PRIMARY KEY (room, seq)
            ) WITHOUT ROWID""",
            """CREATE TABLE IF NOT EXISTS heads (
                room TEXT PRIMARY KEY,
                seq INTEGER NOT NULL,
                hash TEXT NOT NULL,
                updated_at INTEGER NOT NULL
            )""",
            # One entry per op: a retried op_id finds its first copy, however long ago
            # (partial: an empty op_id is never deduplicated).
            "CREATE UNIQUE INDEX IF NOT EXISTS entries_op ON entries (room, actor, op_id)"
            " WHERE op_id <> ''",
            "CREATE INDEX IF NOT EXISTS heads_updated_at ON heads (updated_at)",
            """CREATE TABLE IF NOT EXISTS snapshots (
                room TEXT PRIMARY KEY,
                seq INTEGER NOT NULL,
                data BLOB NOT NULL
            )""",
            # Readiness probes (`probe`): one row per store instance, rewritten on each probe.
            """CREATE TABLE IF NOT EXISTS health (
                probe TEXT PRIMARY KEY,
                token TEXT NOT NULL,
                at INTEGER NOT NULL
            )""",
            # The transcript is evidence: refuse to rewrite it, whoever asks.
            "CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries "
            + _APPEND_ONLY_SQLITE,
            "CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries "
            + _APPEND_ONLY_SQLITE,
        ),
        postgres=(
            """CREATE TABLE IF NOT EXISTS entries (
                room TEXT NOT NULL,
                seq BIGINT NOT NULL CHECK (seq > 0),
                at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                op_id TEXT NOT NULL,
                type TEXT NOT NULL,
                data TEXT NOT NULL,
                prev TEXT NOT NULL,
                hash TEXT NOT NULL,
                PRIMARY KEY (room, seq)
            )""",
            "COMMENT ON COLUMN entries.data IS 'canonical JSON: the exact text the hash covers'",
            """CREATE TABLE IF NOT EXISTS heads (
                room TEXT PRIMARY KEY,
                seq BIGINT NOT NULL,
                hash TEXT NOT NULL,
                updated_at BIGINT NOT NULL
            )""",
            "CREATE UNIQUE INDEX IF NOT EXISTS entries_op ON entries (room, actor, op_id)"
            " WHERE op_id <> ''",
            "CREATE INDEX IF NOT EXISTS heads_updated_at ON heads (updated_at)",
            """CREATE TABLE IF NOT EXISTS snapshots (
                room TEXT PRIMARY KEY,
                seq BIGINT NOT NULL,
                data BYTEA NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS health (
                probe TEXT PRIMARY KEY,
                token TEXT NOT NULL,
                at BIGINT NOT NULL
            )""",
            """CREATE OR REPLACE FUNCTION townhall_append_only() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the transcript is append-only (% on %)', TG_OP, TG_TABLE_NAME;
                END $$""",
            """DO $$ BEGIN
                IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = 'entries'::regclass
                               AND tgname = 'entries_append_only') THEN
                    CREATE TRIGGER entries_append_only
                        BEFORE UPDATE OR DELETE OR TRUNCATE ON entries
                        FOR EACH STATEMENT EXECUTE FUNCTION townhall_append_only();
                END IF;
            END $$""",
        ),
    ),
    Step(
        2,
        "beside the chain: each entry's private record, and each room's secret key",
        sqlite=(
            # Each entry's private record (rooms/privacy.py), keyed by participant so that
            # erasure finds it. Rewritten by erasure and purge; never part of a hash.
            """CREATE TABLE IF NOT EXISTS personal (
                room TEXT NOT NULL,
                seq INTEGER NOT NULL,
                participant TEXT NOT NULL,
                op_id TEXT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (room, seq)
            ) WITHOUT ROWID""",
            "CREATE INDEX IF NOT EXISTS personal_by ON personal (room, participant, op_id)",
            # Ballot keys are derived with it. Never published; a purge drops it.
            """CREATE TABLE IF NOT EXISTS room_keys (
                room TEXT PRIMARY KEY,
                key BLOB NOT NULL
            )""",
        ),
        postgres=(
            """CREATE TABLE IF NOT EXISTS personal (
                room TEXT NOT NULL,
                seq BIGINT NOT NULL,
                participant TEXT NOT NULL,
                op_id TEXT NOT NULL,
                data TEXT NOT NULL,
                PRIMARY KEY (room, seq)
            )""",
            "CREATE INDEX IF NOT EXISTS personal_by ON personal (room, participant, op_id)",
            """CREATE TABLE IF NOT EXISTS room_keys (
                room TEXT PRIMARY KEY,
                key BYTEA NOT NULL
            )""",
        ),
    ),
)


def _check(steps: Sequence[Step]) -> None:
    for number, step in enumerate(steps, start=1):
        if step.version != number:
            raise ValueError(f"migration steps must be numbered 1, 2, 3...: {step.version}")


_check(STEPS)


def latest(steps: Sequence[Step] = STEPS) -> int:
    return steps[-1].version if steps else 0


def pending(current: int, steps: Sequence[Step] = STEPS) -> list[Step]:
    """The steps a store at version `current` still needs; refused if it is newer."""
    if current > latest(steps):
        raise StoreUnavailable(
            f"the store's schema is at version {current}, newer than this server knows"
            f" ({latest(steps)}): run the newer townhall, or restore a backup"
        )
    return [step for step in steps if step.version > current]


_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
)
_CURRENT = "SELECT COALESCE(MAX(version), 0) FROM schema_version"


def _now_ms() -> int:
    return int(time.time() * 1000)


# -- SQLite: on the writer connection (isolation_level=None: we say BEGIN ourselves) -------


def sqlite_version(conn: sqlite3.Connection) -> int:
    """The store's version (0: made before versions, or empty), without changing anything."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    return int(conn.execute(_CURRENT).fetchone()[0]) if found else 0


def apply_sqlite(conn: sqlite3.Connection, steps: Sequence[Step] = STEPS) -> list[Step]:
    """Apply the pending steps, each in one transaction with its row; return those applied."""
    conn.execute("BEGIN IMMEDIATE")  # one writer at a time, even across processes
    try:
        conn.execute(_VERSION_TABLE)
        todo = pending(sqlite_version(conn), steps)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    done: list[Step] = []
    for step in todo:
        conn.execute("BEGIN IMMEDIATE")
        try:
            if sqlite_version(conn) >= step.version:  # another process got there first
                conn.execute("COMMIT")
                continue
            for statement in step.sqlite:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (step.version, step.name, _now_ms()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        done.append(step)
    return done


# -- PostgreSQL: on an autocommit connection ------------------------------------------------

# Two processes opening at once would race on CREATE ... IF NOT EXISTS (not atomic in
# PostgreSQL); an advisory lock for the length of each transaction serialises them.
SCHEMA_LOCK = "SELECT pg_advisory_xact_lock(hashtext('townhall.store.schema'))"


async def postgres_version(conn: psycopg.AsyncConnection[TupleRow]) -> int:
    cur = await conn.execute("SELECT to_regclass('schema_version') IS NOT NULL")
    row = await cur.fetchone()
    if row is None or not row[0]:
        return 0
    cur = await conn.execute(_CURRENT)
    row = await cur.fetchone()
    return int(row[0]) if row is not None else 0


async def apply_postgres(
    conn: psycopg.AsyncConnection[TupleRow], steps: Sequence[Step] = STEPS
) -> list[Step]:
    async with conn.transaction():
        await conn.execute(SCHEMA_LOCK)
        await conn.execute(_VERSION_TABLE)
        todo = pending(await postgres_version(conn), steps)
    done: list[Step] = []
    for step in todo:
        async with conn.transaction():
            await conn.execute(SCHEMA_LOCK)
            if await postgres_version(conn) >= step.version:
                continue
            for statement in step.postgres:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (%s, %s, %s)",
                (step.version, step.name, _now_ms()),
            )
        done.append(step)
    return done
