"""The transcript store at scale: PostgreSQL, shared by every process hosting a room.

Each process group-commits on its own writer connection; processes agree on `seq` through
the `heads` row lock (see `_pg_sql.LOCK_HEADS`), and `(room, seq)` is the primary key, so
even a bug cannot commit two entries at one seq. Reads, snapshots and health checks use a
second connection so they never queue behind a commit.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from rooms.chain import GENESIS

from . import _pg_sql as sql
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
from .migrations import apply_postgres

__all__ = ["PostgresStore"]

T = TypeVar("T")
OP_INDEX = "entries_op"  # the unique (room, actor, op_id) index (migrations.py, step 1)
Conn = psycopg.AsyncConnection[TupleRow]

# How long a commit or read may go unanswered before the store reports itself unavailable.
# A healthy commit of a full batch (4,096 entries) takes well under a second.
ANSWER_TIMEOUT = 10.0

# Defaults a URL may override. Keepalives turn a vanished server (power cut, partition) into
# an error within ~30 s instead of an append that waits forever.
CONNECT_DEFAULTS: dict[str, Any] = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "application_name": "townhall",
}


class _Link:
    """One connection, opened on first use and reopened after the server went away.

    A connection is never closed under a task still using it. psycopg waits for the server
    through the event loop, watching the connection's socket; closing a socket the loop
    still watches makes uvloop's next epoll_ctl on it fail, and libuv aborts the whole
    process (seen in `make bench`'s redis_multiprocess: one side read timed out while
    another waited on the same connection). A connection given up on is closed once the
    last task using it is done; new callers get a new one at once.
    """

    def __init__(self, params: dict[str, Any]) -> None:
        self._params = params
        self._conn: Conn | None = None
        self._lock = asyncio.Lock()
        self._users: dict[int, tuple[Conn, set[asyncio.Future[Any]]]] = {}  # by id(conn)
        self._given_up: set[int] = set()  # ids of connections to close when their users end

    async def get(self) -> Conn:
        async with self._lock:
            conn = self._conn
            if conn is not None and not conn.closed and not conn.broken:
                return conn
            await self.drop()
            try:
                self._conn = await psycopg.AsyncConnection.connect(**self._params)
            except (psycopg.Error, OSError) as exc:
                raise StoreUnavailable(f"postgresql: cannot connect: {exc}") from exc
            return self._conn

    def using(self, conn: Conn, task: asyncio.Future[Any]) -> None:
        """`task` works on `conn` until it is done: `conn` stays open at least that long."""
        self._users.setdefault(id(conn), (conn, set()))[1].add(task)
        task.add_done_callback(lambda done: self._done(conn, done))

    def _done(self, conn: Conn, task: asyncio.Future[Any]) -> None:
        users = self._users.get(id(conn))
        if users is None:
            return
        users[1].discard(task)
        if not users[1]:
            del self._users[id(conn)]
            if id(conn) in self._given_up:
                self._given_up.discard(id(conn))
                _finish(conn)

    def in_use(self, conn: Conn) -> bool:
        return id(conn) in self._users

    def forget(self, conn: Conn) -> None:
        """Give up on `conn` (its server stopped answering, or it broke): the next get()
        reconnects, and `conn` is closed once no task uses it any more."""
        if self._conn is conn:
            self._conn = None
        if self.in_use(conn):
            self._given_up.add(id(conn))
        else:
            _finish(conn)

    async def drop(self, conn: Conn | None = None) -> None:
        """Give up on the current connection, or on `conn` only if it still is the current
        one: a task that found an old connection broken must not close the new one that
        others are using meanwhile."""
        current = self._conn
        if current is None or (conn is not None and conn is not current):
            return
        if self.in_use(current):
            self.forget(current)
            return
        self._conn = None
        await current.close()


def _finish(conn: Conn) -> None:
    """Close a connection nothing is waiting on any more."""
    if not conn.closed:
        conn.pgconn.finish()


@dataclass(slots=True)
class _Progress:
    committing: bool = False


async def _write_batch(
    conn: Conn, batch: Batch, progress: _Progress, *, check_ops: bool
) -> list[list[Committed]]:
    """One transaction for the whole batch.

    Without `check_ops` the batch is written as if no op were stored yet: almost always
    true, since rooms answer retries they remember themselves. If one was, the unique index
    aborts the transaction and the caller runs it again with `check_ops`, which looks the
    batch's op keys up first (one more round trip).
    """
    rooms = sorted({room for room, _ in batch})
    results: list[list[Committed]] = []
    async with conn.transaction():
        cur = await conn.execute(sql.LOCK_HEADS, {"rooms": rooms, "genesis": GENESIS})
        heads: dict[str, tuple[int, str, int]] = {
            room: (seq, digest, 0) for room, seq, digest in await cur.fetchall()
        }
        known = await _known_ops(conn, batch) if check_ops else {}
        columns: tuple[list[Any], ...] = tuple([] for _ in range(9))
        personal: tuple[list[Any], ...] = tuple([] for _ in range(5))
        erasures: list[tuple[str, str]] = []
        for room, items in batch:
            seq, prev, _ = heads[room]
            committed = link(room, seq, prev, items, known.setdefault(room, {}))
            for c, item in zip(committed, items, strict=True):
                if c.earlier:
                    continue
                row = (room, c.seq, c.at, c.actor, c.op_id, c.type, item.data_json, c.prev, c.hash)
                for column, value in zip(columns, row, strict=True):
                    column.append(value)
                if item.private_json is not None:
                    side = (room, c.seq, item.participant, item.real_op_id, item.private_json)
                    for column, value in zip(personal, side, strict=True):
                        column.append(value)
            erasures += [(room, item.erases) for item in items if item.erases is not None]
            heads[room] = new_head(committed, heads[room])
            results.append(committed)
        await conn.execute(sql.INSERT_ENTRIES, columns)
        if personal[0]:
            await conn.execute(sql.INSERT_PERSONAL, personal)
        for room, participant in erasures:
            await _erase(conn, room, participant)
        await conn.execute(
            sql.UPDATE_HEADS,
            (
                list(heads),
                [h[0] for h in heads.values()],
                [h[1] for h in heads.values()],
                [h[2] for h in heads.values()],
            ),
        )
        # Past this point an error is ambiguous: COMMIT may have landed before the link broke.
        progress.committing = True
    return results


async def _known_ops(conn: Conn, batch: Batch) -> dict[str, dict[tuple[str, str], Committed]]:
    """room -> {(actor, op_id): entry} for the batch's op keys already in the transcript."""
    keys = {(room, actor, op_id) for room, items in batch for actor, op_id in op_keys(items)}
    known: dict[str, dict[tuple[str, str], Committed]] = {}
    if keys:
        rooms, actors, op_ids = (list(column) for column in zip(*keys, strict=True))
        cur = await conn.execute(sql.SELECT_OPS, (rooms, actors, op_ids))
        for row in await cur.fetchall():
            entry = committed_row(row)
            known.setdefault(entry.room, {})[(entry.actor, entry.op_id)] = entry
    return known


async def _erase(conn: Conn, room: str, participant: str) -> None:
    cur = await conn.execute(
        "SELECT seq, data FROM personal WHERE room = %s AND participant = %s",
        (room, participant),
    )
    for data, seq in erased_rows(await cur.fetchall()):
        await conn.execute(
            "UPDATE personal SET data = %s WHERE room = %s AND seq = %s", (data, room, seq)
        )
    await conn.execute("DELETE FROM snapshots WHERE room = %s", (room,))  # it holds the names


async def _purge(conn: Conn, room: str) -> int:
    async with conn.transaction():
        cur = await conn.execute(
            "SELECT seq, data FROM personal WHERE room = %s ORDER BY seq FOR UPDATE", (room,)
        )
        fresh = purged_rows(await cur.fetchall())
        for data, seq in fresh:
            await conn.execute(
                "UPDATE personal SET data = %s, participant = '', op_id = ''"
                " WHERE room = %s AND seq = %s",
                (data, room, seq),
            )
        await conn.execute("DELETE FROM room_keys WHERE room = %s", (room,))
        await conn.execute("DELETE FROM snapshots WHERE room = %s", (room,))
    return len(fresh)


def _constraint(exc: psycopg.Error) -> str | None:
    return exc.diag.constraint_name


class PostgresStore:
    """`Store` on PostgreSQL; `url` is any libpq URL (`postgresql://user@host/db?...`).

    The schema lives in the connection's search_path, so `?options=-csearch_path%3Dname`
    puts a store in its own schema.
    """

    def __init__(self, url: str, *, answer_timeout: float = ANSWER_TIMEOUT) -> None:
        params = {**CONNECT_DEFAULTS, **conninfo_to_dict(url), "autocommit": True}
        self._answer_timeout = answer_timeout
        self._writer = _Link(params)
        self._side = _Link(params)
        self._committer = GroupCommitter(self._commit, name="postgres-store")
        self._open = False
        self._probe_id = secrets.token_hex(8)

    @property
    def transactions(self) -> int:
        """Group-commit transactions committed by this instance since open."""
        return self._committer.transactions

    async def open(self) -> None:
        conn = await self._writer.get()
        try:
            await apply_postgres(conn)  # the schema's pending steps (migrations.py)
        except psycopg.Error as exc:
            await self._writer.drop()
            raise StoreUnavailable(f"postgresql: cannot migrate the schema: {exc}") from exc
        self._committer.start()
        self._open = True

    async def close(self) -> None:
        self._open = False
        await self._committer.stop()
        await self._writer.drop()
        await self._side.drop()

    async def append(self, room: str, entries: Sequence[Entry]) -> list[Committed]:
        items = prepare(room, entries)
        if not items:
            return []
        return await self._committer.submit(room, items)

    async def _commit(self, batch: Batch) -> list[list[Committed]]:
        check_ops = retried = False
        while True:
            conn = await self._writer.get()
            progress = _Progress()
            try:
                return await self._answered(
                    self._writer, conn, _write_batch(conn, batch, progress, check_ops=check_ops)
                )
            except errors.UniqueViolation as exc:
                if check_ops or _constraint(exc) != OP_INDEX:
                    raise StoreUnavailable(f"postgresql: {exc}") from exc
                check_ops = True  # a retried op was in the batch: look the keys up this time
            except (psycopg.DataError, errors.ProgramLimitExceeded) as exc:
                # The server refused a value (out of range, too large): some entry's fault,
                # which the group committer finds by committing the batch in halves.
                raise EntryRefused(f"postgresql: {exc}") from exc
            except psycopg.Error as exc:
                lost = conn.closed or conn.broken
                if lost:
                    await self._writer.drop(conn)
                # A connection that died before COMMIT (say, idle-killed since the last batch)
                # or a deadlock/serialisation abort committed nothing: one retry is safe.
                transient = lost or isinstance(exc, errors.TransactionRollback)
                if not retried and transient and not progress.committing:
                    retried = True
                    continue
                raise StoreUnavailable(f"postgresql: {exc}") from exc

    async def read(self, room: str, after: int = 0, limit: int | None = None) -> list[Committed]:
        if limit is not None and limit <= 0:
            return []
        rows = await self._fetch(sql.SELECT_ENTRIES, (room, after, limit))
        return [committed_row(row) for row in rows]

    async def find_op(self, room: str, actor: str, op_id: str) -> Committed | None:
        rows = await self._fetch(sql.SELECT_OWN_OP, (room, actor, op_id))
        if not rows:
            rows = await self._fetch(sql.SELECT_OP, (room, actor, op_id))
        return committed_row(rows[0]) if rows else None

    async def room_key(self, room: str) -> bytes:
        async def get(conn: Conn) -> bytes:
            await conn.execute(sql.ROOM_KEY, (room, secrets.token_bytes(32)))
            cur = await conn.execute("SELECT key FROM room_keys WHERE room = %s", (room,))
            row = await cur.fetchone()
            assert row is not None
            return bytes(row[0])

        return await self._on_side(get)

    async def retained(self, before: int) -> list[str]:
        rows = await self._fetch(
            "SELECT k.room FROM room_keys AS k JOIN heads AS h ON h.room = k.room"
            " WHERE h.updated_at < %s ORDER BY k.room",
            (before,),
        )
        return [str(row[0]) for row in rows]

    async def purge(self, room: str) -> int:
        return await self._on_side(lambda conn: _purge(conn, room))

    async def head(self, room: str) -> int:
        rows = await self._fetch("SELECT seq FROM heads WHERE room = %s", (room,))
        return int(rows[0][0]) if rows else 0

    async def rooms(self, active_since: int = 0) -> list[str]:
        rows = await self._fetch(
            "SELECT room FROM heads WHERE updated_at >= %s AND seq > 0 ORDER BY room",
            (active_since,),
        )
        return [str(row[0]) for row in rows]

    async def save_snapshot(self, room: str, seq: int, data: bytes) -> None:
        async def save(conn: Conn) -> None:
            await conn.execute(sql.UPSERT_SNAPSHOT, (room, seq, bytes(data)))

        await self._on_side(save)

    async def load_snapshot(self, room: str) -> tuple[int, bytes] | None:
        rows = await self._fetch("SELECT seq, data FROM snapshots WHERE room = %s", (room,))
        return snapshot_row(room, *rows[0]) if rows else None

    async def discard_snapshot(self, room: str) -> None:
        async def discard(conn: Conn) -> None:
            await conn.execute("DELETE FROM snapshots WHERE room = %s", (room,))

        await self._on_side(discard)

    async def tail(self, room: str, count: int) -> Tail | None:
        rows = await self._fetch(sql.SELECT_TAIL, (max(0, count), room))
        if not rows:
            return None
        entries = tuple(Stored(*row[2:]) for row in rows if row[2] is not None)
        return Tail(rows[0][0], rows[0][1], entries)

    async def probe(self) -> None:
        """On the side connection (autocommit: the write really commits), never the writer's,
        which may be inside a group-commit transaction."""
        if not self._open or not self._committer.running:
            raise StoreUnavailable("store is not open")
        token, now = secrets.token_hex(8), int(time.time() * 1000)

        async def write(conn: Conn) -> None:
            await conn.execute(sql.UPSERT_PROBE, (self._probe_id, token, now))
            await conn.execute(sql.PRUNE_PROBES, (now - 86_400_000, self._probe_id))

        try:
            await self._on_side(write)
        except StoreUnavailable as exc:
            raise StoreUnavailable(f"cannot write: {exc}") from exc
        rows = await self._fetch(sql.SELECT_PROBE, (self._probe_id,))
        if not rows or rows[0][0] != token:
            raise StoreUnavailable("a committed write was not there on reading back")

    async def healthy(self) -> bool:
        if not self._open or not self._committer.running:
            return False
        try:
            await self._fetch("SELECT 1", ())
        except StoreUnavailable:
            return False
        return True

    async def _fetch(self, query: str, params: Sequence[object]) -> list[TupleRow]:
        async def fetch(conn: Conn) -> list[TupleRow]:
            cur = await conn.execute(query, params)
            return await cur.fetchall()

        return await self._on_side(fetch)

    async def _answered(self, link: _Link, conn: Conn, work: Coroutine[Any, Any, T]) -> T:
        """`work`, or StoreUnavailable once the server has not answered for a while.

        Keepalives catch a server that vanished, not one that hangs with its sockets open
        (stopped, swapping, a black-holed route): the kernel still acknowledges our bytes. A
        commit may have landed without its answer: nothing was acknowledged to anyone, and the
        clients' retries find their ops in the store (one entry per op_id), so none counts
        twice. The connection is in an unknown state: it is left to wind down in the
        background (psycopg's own cancellation can take seconds more), never reused.
        """
        task = asyncio.ensure_future(work)
        link.using(conn, task)
        try:
            done, _ = await asyncio.wait({task}, timeout=self._answer_timeout)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task in done:
            return task.result()
        link.forget(conn)  # closed once every task on it is done, never under one
        task.cancel()
        raise StoreUnavailable(f"postgresql: no answer within {self._answer_timeout:g} s")

    async def _on_side(self, fn: Callable[[Conn], Coroutine[Any, Any, T]]) -> T:
        if not self._open:
            raise StoreUnavailable("store is not open")
        for attempt in (1, 2):
            conn = await self._side.get()
            try:
                return await self._answered(self._side, conn, fn(conn))
            except psycopg.Error as exc:
                lost = conn.closed or conn.broken
                if lost:
                    await self._side.drop(conn)
                # Everything on this connection is idempotent (reads, newest-wins snapshots):
                # a connection found dead since its last use is simply replaced.
                if attempt == 1 and lost:
                    continue
                raise StoreUnavailable(f"postgresql: {exc}") from exc
        raise AssertionError("unreachable")
