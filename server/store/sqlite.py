"""The embedded transcript store: one SQLite file, WAL, fsync on every commit.

Threads, because sqlite3 blocks: one writer thread owns the only writing connection and runs
one transaction per group-commit batch; a second thread owns a read-only connection, which
WAL lets read while the writer commits. The event loop never touches either connection.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from rooms.chain import GENESIS

from ._group import Batch, GroupCommitter
from ._personal import erased_rows, purged_rows
from ._prepare import link, new_head, op_keys, prepare
from .base import (
    Committed,
    Entry,
    EntryRefused,
    Stored,
    StoreUnavailable,
    Tail,
    committed_row,
    snapshot_row,
)
from .files import create_private_file, private_dir, private_file
from .migrations import apply_sqlite

__all__ = ["SqliteStore"]

T = TypeVar("T")

MEMORY = ":memory:"

INSERT_ENTRY = (
    "INSERT INTO entries (room, seq, at, actor, op_id, type, data, prev, hash)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPSERT_HEAD = (
    "INSERT INTO heads (room, seq, hash, updated_at) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (room) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,"
    " updated_at = max(heads.updated_at, excluded.updated_at)"
)
INSERT_PERSONAL = (
    "INSERT INTO personal (room, seq, participant, op_id, data) VALUES (?, ?, ?, ?, ?)"
)
COLUMNS = "e.room, e.seq, e.at, e.actor, e.op_id, e.type, e.data, e.prev, e.hash, p.data"
JOINED = "entries AS e LEFT JOIN personal AS p ON p.room = e.room AND p.seq = e.seq"
SELECT_ENTRIES = (
    f"SELECT {COLUMNS} FROM {JOINED} WHERE e.room = ? AND e.seq > ? ORDER BY e.seq LIMIT ?"
)
# Public op keys (what the unique index holds): the in-batch check of a retried op.
SELECT_OP = (
    f"SELECT {COLUMNS} FROM {JOINED}"
    " WHERE e.room = ? AND e.actor = ? AND e.op_id = ? AND e.op_id <> ''"
)
# A caller's own op: attendees' entries are found by their real id and op id beside the chain.
SELECT_OWN_OP = (
    f"SELECT {COLUMNS} FROM personal AS q"
    " JOIN entries AS e ON e.room = q.room AND e.seq = q.seq"
    " LEFT JOIN personal AS p ON p.room = e.room AND p.seq = e.seq"
    " WHERE q.room = ? AND q.participant = ? AND q.op_id = ? AND q.op_id <> ''"
)
# The head and the entries after (head - count), in one statement so they agree; a head with
# no entries left still gives one row (the LEFT JOIN's NULLs).
SELECT_TAIL = (
    "SELECT h.seq, h.hash, e.seq, e.at, e.actor, e.op_id, e.type, e.data, e.prev, e.hash"
    " FROM heads AS h LEFT JOIN entries AS e ON e.room = h.room AND e.seq > h.seq - ?"
    " WHERE h.room = ? ORDER BY e.seq"
)
UPSERT_PROBE = (
    "INSERT INTO health (probe, token, at) VALUES (?, ?, ?)"
    " ON CONFLICT (probe) DO UPDATE SET token = excluded.token, at = excluded.at"
)
# Rows of store instances gone for a day (restarted processes).
PRUNE_PROBES = "DELETE FROM health WHERE at < ? AND probe <> ?"
# Pages the log may hold before a commit copies them into the database (SQLite's default is
# 1,000). A batch of ballots dirties about two index pages per entry once the transcript
# has grown past a few tens of thousands (the op indexes are keyed by random hashes), so
# at the default nearly every commit is followed by a checkpoint and its fsync; with room
# for a few batches, a page several batches touched is copied once. Durability is the
# log's fsync at each commit either way. Costs up to 64 MB of log on disk.
WAL_CHECKPOINT_PAGES = 16_384


def _connect(path: str, writer: bool, busy_timeout_ms: int) -> sqlite3.Connection:
    # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a batch is exactly one
    # transaction and nothing is committed behind our back.
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if writer:
            if path != MEMORY:
                mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if mode != "wal":
                    raise StoreUnavailable(f"{path}: cannot enable WAL (journal_mode={mode})")
            # FULL in WAL mode fsyncs the log on every commit: an ack survives power loss.
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
            conn.execute("PRAGMA fullfsync = ON")  # macOS: a real flush, not just to the drive
            apply_sqlite(conn)  # the schema's pending steps (migrations.py)
        else:
            conn.execute("PRAGMA query_only = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _write_batch(conn: sqlite3.Connection, batch: Batch) -> list[list[Committed]]:
    """One transaction for the whole batch; a batch holding a retried op is written twice.

    The first attempt writes as if no op were stored yet (almost always true: rooms answer the
    retries they remember). If one was, the unique index aborts it and the second attempt
    looks every op key up first.
    """
    try:
        return _write_batch_once(conn, batch, check_ops=False)
    except sqlite3.IntegrityError as exc:
        if "entries.op_id" not in str(exc):
            raise
        return _write_batch_once(conn, batch, check_ops=True)


def _write_batch_once(
    conn: sqlite3.Connection, batch: Batch, *, check_ops: bool
) -> list[list[Committed]]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Heads are read inside the write transaction, never cached across batches: after a
        # rollback (or another process writing the file) they are simply right again.
        heads: dict[str, tuple[int, str, int]] = {}
        known: dict[str, dict[tuple[str, str], Committed]] = {}
        results: list[list[Committed]] = []
        for room, items in batch:
            if room not in heads:
                row = conn.execute(
                    "SELECT seq, hash, updated_at FROM heads WHERE room = ?", (room,)
                ).fetchone()
                heads[room] = (row[0], row[1], row[2]) if row else (0, GENESIS, 0)
                known[room] = {}
            seq, prev, _ = heads[room]
            seen = known[room]
            for key in op_keys(items) if check_ops else ():
                if key not in seen:
                    row = conn.execute(SELECT_OP, (room, *key)).fetchone()
                    if row is not None:
                        seen[key] = committed_row(row)
            committed = link(room, seq, prev, items, seen)
            conn.executemany(
                INSERT_ENTRY,
                [
                    (room, c.seq, c.at, c.actor, c.op_id, c.type, item.data_json, c.prev, c.hash)
                    for c, item in zip(committed, items, strict=True)
                    if not c.earlier
                ],
            )
            conn.executemany(
                INSERT_PERSONAL,
                [
                    (room, c.seq, item.participant, item.real_op_id, item.private_json)
                    for c, item in zip(committed, items, strict=True)
                    if not c.earlier and item.private_json is not None
                ],
            )
            for item in items:
                if item.erases is not None:
                    _erase(conn, room, item.erases)
            heads[room] = new_head(committed, heads[room])
            results.append(committed)
        conn.executemany(UPSERT_HEAD, [(room, *head) for room, head in heads.items()])
        conn.execute("COMMIT")
    except BaseException:
        # SQLite may already have rolled back (disk full, I/O error); only roll back if not.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return results


def _erase(conn: sqlite3.Connection, room: str, participant: str) -> None:
    rows = conn.execute(
        "SELECT seq, data FROM personal WHERE room = ? AND participant = ?", (room, participant)
    ).fetchall()
    conn.executemany(
        "UPDATE personal SET data = ? WHERE room = ? AND seq = ?",
        [(data, room, seq) for data, seq in erased_rows(rows)],
    )
    conn.execute("DELETE FROM snapshots WHERE room = ?", (room,))  # it holds the names


def _purge(conn: sqlite3.Connection, room: str) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        rows = conn.execute(
            "SELECT seq, data FROM personal WHERE room = ? ORDER BY seq", (room,)
        ).fetchall()
        fresh = purged_rows(rows)
        conn.executemany(
            "UPDATE personal SET data = ?, participant = '', op_id = '' WHERE room = ? AND seq = ?",
            [(data, room, seq) for data, seq in fresh],
        )
        conn.execute("DELETE FROM room_keys WHERE room = ?", (room,))
        conn.execute("DELETE FROM snapshots WHERE room = ?", (room,))
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return len(fresh)


def _room_key(conn: sqlite3.Connection, room: str) -> bytes:
    conn.execute(
        "INSERT INTO room_keys (room, key) VALUES (?, ?) ON CONFLICT (room) DO NOTHING",
        (room, secrets.token_bytes(32)),
    )
    return bytes(conn.execute("SELECT key FROM room_keys WHERE room = ?", (room,)).fetchone()[0])


class SqliteStore:
    """`Store` on one SQLite file (or ":memory:", which shares one connection)."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout_ms: int = 5000) -> None:
        self.path = os.fspath(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._writer: ThreadPoolExecutor | None = None
        self._reader: ThreadPoolExecutor | None = None
        self._wconn: sqlite3.Connection | None = None
        self._rconn: sqlite3.Connection | None = None
        self._committer = GroupCommitter(self._commit, name=f"sqlite-store:{self.path}")
        self._probe_id = secrets.token_hex(8)

    @property
    def transactions(self) -> int:
        """Group-commit transactions committed since open."""
        return self._committer.transactions

    async def open(self) -> None:
        memory = self.path == MEMORY
        if not memory:
            self._private_files()
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="townhall-store-writer")
        try:
            self._wconn = await self._on(
                self._writer, _connect, self.path, True, self._busy_timeout_ms
            )
            if memory:
                # Each connection to ":memory:" is its own database; share the writer's.
                self._reader, self._rconn = self._writer, self._wconn
            else:
                self._reader = ThreadPoolExecutor(1, thread_name_prefix="townhall-store-reader")
                self._rconn = await self._on(
                    self._reader, _connect, self.path, False, self._busy_timeout_ms
                )
        except BaseException:
            await self._release()
            raise
        self._committer.start()

    def _private_files(self) -> None:
        """The database and its -wal and -shm files are 0600 (SQLite gives the side files
        the database's mode), in a directory created 0700."""
        path = Path(self.path)
        private_dir(path.parent, tighten=False)
        create_private_file(path)
        for side in ("-wal", "-shm"):
            private_file(Path(self.path + side))

    async def close(self) -> None:
        await self._committer.stop()
        await self._release()

    async def _release(self) -> None:
        reader, writer, rconn, wconn = self._reader, self._writer, self._rconn, self._wconn
        self._reader = self._writer = None
        self._rconn = self._wconn = None
        # Each connection is closed on the thread that owns it.
        if reader is not None and rconn is not None and rconn is not wconn:
            await self._on(reader, rconn.close)
        if writer is not None and wconn is not None:
            await self._on(writer, wconn.close)
        if reader is not None and reader is not writer:
            reader.shutdown(wait=True)
        if writer is not None:
            writer.shutdown(wait=True)

    async def append(self, room: str, entries: Sequence[Entry]) -> list[Committed]:
        items = prepare(room, entries)
        if not items:
            return []
        return await self._committer.submit(room, items)

    async def _commit(self, batch: Batch) -> list[list[Committed]]:
        assert self._writer is not None and self._wconn is not None
        return await self._on(self._writer, _write_batch, self._wconn, batch)

    async def read(self, room: str, after: int = 0, limit: int | None = None) -> list[Committed]:
        if limit is not None and limit <= 0:
            return []
        rows = await self._query(SELECT_ENTRIES, (room, after, -1 if limit is None else limit))
        return [committed_row(row) for row in rows]

    async def find_op(self, room: str, actor: str, op_id: str) -> Committed | None:
        rows = await self._query(SELECT_OWN_OP, (room, actor, op_id))
        if not rows:
            rows = await self._query(SELECT_OP, (room, actor, op_id))
        return committed_row(rows[0]) if rows else None

    async def room_key(self, room: str) -> bytes:
        return await self._on_writer(_room_key, room)

    async def retained(self, before: int) -> list[str]:
        rows = await self._query(
            "SELECT k.room FROM room_keys AS k JOIN heads AS h ON h.room = k.room"
            " WHERE h.updated_at < ? ORDER BY k.room",
            (before,),
        )
        return [str(row[0]) for row in rows]

    async def purge(self, room: str) -> int:
        return await self._on_writer(_purge, room)

    async def _on_writer(self, fn: Callable[..., T], *args: Any) -> T:
        executor, conn = self._writer, self._wconn
        if executor is None or conn is None:
            raise StoreUnavailable("store is not open")
        return await self._on(executor, fn, conn, *args)

    async def head(self, room: str) -> int:
        rows = await self._query("SELECT seq FROM heads WHERE room = ?", (room,))
        return int(rows[0][0]) if rows else 0

    async def rooms(self, active_since: int = 0) -> list[str]:
        rows = await self._query(
            "SELECT room FROM heads WHERE updated_at >= ? AND seq > 0 ORDER BY room",
            (active_since,),
        )
        return [str(row[0]) for row in rows]

    async def save_snapshot(self, room: str, seq: int, data: bytes) -> None:
        def save(conn: sqlite3.Connection) -> None:
            # Newest wins even if an older snapshot arrives late.
            conn.execute(
                "INSERT INTO snapshots (room, seq, data) VALUES (?, ?, ?)"
                " ON CONFLICT (room) DO UPDATE SET seq = excluded.seq, data = excluded.data"
                " WHERE excluded.seq >= snapshots.seq",
                (room, seq, bytes(data)),
            )

        executor, conn = self._writer, self._wconn
        if executor is None or conn is None:
            raise StoreUnavailable("store is not open")
        await self._on(executor, save, conn)

    async def load_snapshot(self, room: str) -> tuple[int, bytes] | None:
        rows = await self._query("SELECT seq, data FROM snapshots WHERE room = ?", (room,))
        return snapshot_row(room, *rows[0]) if rows else None

    async def discard_snapshot(self, room: str) -> None:
        def discard(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM snapshots WHERE room = ?", (room,))

        executor, conn = self._writer, self._wconn
        if executor is None or conn is None:
            raise StoreUnavailable("store is not open")
        await self._on(executor, discard, conn)

    async def tail(self, room: str, count: int) -> Tail | None:
        rows = await self._query(SELECT_TAIL, (max(0, count), room))
        if not rows:
            return None
        entries = tuple(Stored(*row[2:]) for row in rows if row[2] is not None)
        return Tail(rows[0][0], rows[0][1], entries)

    async def probe(self) -> None:
        executor, conn = self._writer, self._wconn
        if executor is None or conn is None or not self._committer.running:
            raise StoreUnavailable("store is not open")
        token, now = secrets.token_hex(8), int(time.time() * 1000)

        def write(conn: sqlite3.Connection) -> None:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(UPSERT_PROBE, (self._probe_id, token, now))
                conn.execute(PRUNE_PROBES, (now - 86_400_000, self._probe_id))
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        try:
            await self._on(executor, write, conn)
        except StoreUnavailable as exc:
            raise StoreUnavailable(f"cannot write: {exc}") from exc
        rows = await self._query("SELECT token FROM health WHERE probe = ?", (self._probe_id,))
        if not rows or rows[0][0] != token:
            raise StoreUnavailable("a committed write was not there on reading back")

    async def healthy(self) -> bool:
        executor, conn = self._writer, self._wconn
        if executor is None or conn is None or not self._committer.running:
            return False

        def probe(conn: sqlite3.Connection) -> None:
            # Taking the write lock proves the file is there and no one is hogging it.
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")

        try:
            await self._on(executor, probe, conn)
        except StoreUnavailable:
            return False
        return True

    async def _query(self, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
        executor, conn = self._reader, self._rconn
        if executor is None or conn is None:
            raise StoreUnavailable("store is not open")

        def run(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
            return conn.execute(sql, params).fetchall()

        return await self._on(executor, run, conn)

    @staticmethod
    async def _on(executor: ThreadPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)
        except sqlite3.DataError as exc:  # a value the file cannot hold (string or blob too big)
            raise EntryRefused(f"sqlite: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"sqlite: {exc}") from exc
