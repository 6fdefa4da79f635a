"""A damaged snapshot never stops the server or a room: given real damaged bytes written
into the store (SQLite and PostgreSQL), when the server starts, then every room serves
exactly the state it had, each damaged snapshot is warned about once, and a fresh one
replaces it, so the next start replays nothing and warns about nothing."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgpack
import psycopg
import pytest

from server.live.snapshots import MAGIC
from tests.store.conftest import pg_server, pg_url
from tests.support.live_server import LiveServer
from tests.support.meeting import hold_meeting, view

__all__ = ["pg_server", "pg_url"]  # PostgreSQL fixtures: a fresh schema per test

# How each room's snapshot row is damaged: (seq, data) as stored -> (seq, data) to store.
Damage = Callable[[int, bytes], tuple[object, object]]


def _body(data: bytes) -> dict[str, Any]:
    assert data.startswith(MAGIC)
    return msgpack.unpackb(data[len(MAGIC) + 32 :], raw=False)  # type: ignore[no-any-return]


def _frame(body: dict[str, Any], digest_of: bytes | None = None) -> bytes:
    packed: bytes = msgpack.packb(body, use_bin_type=True)
    return MAGIC + hashlib.sha256(digest_of or packed).digest() + packed


def _with_state(data: bytes, **changes: Any) -> dict[str, Any]:
    body = _body(data)
    body["state"] = {**body["state"], **changes}
    return body


def _flipped_ballot(seq: int, data: bytes) -> tuple[object, object]:
    """Decodable, plausible and wrong: one ballot changed, the digest of the original kept
    (what a flipped bit does). Trusted, it would serve a wrong tally."""
    body = _body(data)
    poll = body["state"]["polls"][0]
    poll["ballots"] = [[who, (choice + 1) % 3] for who, choice in poll["ballots"]]
    return seq, _frame(body, digest_of=data[len(MAGIC) + 32 :])


def _ahead(seq: int, data: bytes) -> tuple[object, object]:
    """A well-formed snapshot from a future the log does not have (a restored backup)."""
    return seq + 10, _frame(_with_state(data, seq=seq + 10))


DAMAGES: dict[str, Damage] = {
    "truncated": lambda seq, data: (seq, data[: len(data) // 2]),
    "a flipped ballot": _flipped_ballot,
    "not a map": lambda seq, data: (seq, msgpack.packb([1, 2, 3])),
    "a future version": lambda seq, data: (seq, _frame(_with_state(data, version=99))),
    "wrong types inside": lambda seq, data: (
        seq,
        _frame(_with_state(data, queue=[[1]], moderators=[{"zz": 1}])),
    ),
    "ahead of the log": _ahead,
    "another room's": lambda seq, data: (seq, _frame(_with_state(data, code="ZZZZZZ"))),
}
SQLITE_ONLY: dict[str, Damage] = {
    "text, not bytes": lambda seq, data: (seq, "not bytes"),
    "a seq that is text": lambda seq, data: ("twelve", data),
}


def _warnings(logs: str, code: str) -> list[str]:
    return re.findall(rf"WARNING townhall\.hub room {code}: snapshot.*ignored.*", logs)


def _wait_for_fresh_snapshots(
    read: Callable[[], dict[str, tuple[Any, Any]]], heads: dict[str, int]
) -> None:
    deadline = time.monotonic() + 10
    while True:
        rows = read()
        fresh = {
            code: code in rows
            and rows[code][0] == heads[code]
            and isinstance(rows[code][1], bytes)
            and rows[code][1].startswith(MAGIC)
            for code in heads
        }
        if all(fresh.values()):
            return
        assert time.monotonic() < deadline, f"not replaced by a fresh snapshot: {fresh}"
        time.sleep(0.1)


def _scenario(
    server: LiveServer,
    damages: dict[str, Damage],
    read: Callable[[], dict[str, tuple[Any, Any]]],
    write: Callable[[str, object, object], None],
) -> None:
    server.start()
    try:
        meetings = {name: hold_meeting(server, name) for name in damages}
        intact = hold_meeting(server, "intact")
        before = {name: view(server, m.code, m.moderator) for name, m in meetings.items()}
        before_intact = view(server, intact.code, intact.moderator)
    finally:
        server.stop()  # graceful: every room's snapshot is saved
    rows = read()
    for name, meeting in meetings.items():
        seq, data = rows[meeting.code]
        write(meeting.code, *damages[name](seq, bytes(data)))

    server.start()  # must start at all, with every room loaded at start
    try:
        for name, meeting in meetings.items():
            assert view(server, meeting.code, meeting.moderator) == before[name], name
        assert view(server, intact.code, intact.moderator) == before_intact
        logs = server.logs()
        for name, meeting in meetings.items():
            assert len(_warnings(logs, meeting.code)) == 1, (name, logs[-3000:])
        assert not _warnings(logs, intact.code)
        heads = {m.code: before[name]["seq"] for name, m in meetings.items()}
        _wait_for_fresh_snapshots(read, heads)
    finally:
        server.stop()
    server.log_path.write_text("")
    server.start()
    try:
        for name, meeting in meetings.items():
            assert view(server, meeting.code, meeting.moderator) == before[name], name
        assert "snapshot" not in server.logs(), server.logs()[-3000:]
    finally:
        server.stop()


# -- SQLite -----------------------------------------------------------------------------


def _sqlite_io(
    db: Path,
) -> tuple[Callable[[], dict[str, tuple[Any, Any]]], Callable[[str, object, object], None]]:
    def read() -> dict[str, tuple[Any, Any]]:
        with sqlite3.connect(db) as conn:
            return {
                room: (seq, data) for room, seq, data in conn.execute("SELECT * FROM snapshots")
            }

    def write(room: str, seq: object, data: object) -> None:
        with sqlite3.connect(db) as conn:
            conn.execute("UPDATE snapshots SET seq = ?, data = ? WHERE room = ?", (seq, data, room))

    return read, write


@pytest.mark.slow
def test_damaged_snapshots_in_sqlite_cost_a_replay_and_one_warning(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data")
    _scenario(server, {**DAMAGES, **SQLITE_ONLY}, *_sqlite_io(tmp_path / "data" / "townhall.db"))


@pytest.mark.slow
def test_a_corrupt_snapshots_table_in_sqlite_still_loads_every_room(tmp_path: Path) -> None:
    """Real damaged bytes in the file: the snapshots table's page overwritten, so reading
    any snapshot fails inside SQLite ("database disk image is malformed")."""
    server = LiveServer(tmp_path / "data")
    db = tmp_path / "data" / "townhall.db"
    server.start()
    try:
        meetings = [hold_meeting(server, f"room {i}") for i in range(3)]
        before = [view(server, m.code, m.moderator) for m in meetings]
    finally:
        server.stop()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (page,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'snapshots'"
        ).fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    with db.open("r+b") as raw:
        raw.seek((page - 1) * size)
        raw.write(b"\xa5" * size)
    with sqlite3.connect(db) as conn, pytest.raises(sqlite3.DatabaseError, match="malformed"):
        conn.execute("SELECT * FROM snapshots").fetchall()

    server.start()
    try:
        for meeting, seen in zip(meetings, before, strict=True):
            assert view(server, meeting.code, meeting.moderator) == seen
            (warning,) = _warnings(server.logs(), meeting.code)
            assert "malformed" in warning
    finally:
        server.stop()


# -- PostgreSQL -------------------------------------------------------------------------


def _pg_io(
    url: str,
) -> tuple[Callable[[], dict[str, tuple[Any, Any]]], Callable[[str, object, object], None]]:
    def read() -> dict[str, tuple[Any, Any]]:
        with psycopg.connect(url, autocommit=True) as conn:
            return {
                room: (seq, data) for room, seq, data in conn.execute("SELECT * FROM snapshots")
            }

    def write(room: str, seq: object, data: object) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "UPDATE snapshots SET seq = %s, data = %s WHERE room = %s", (seq, data, room)
            )

    return read, write


@pytest.mark.postgres
@pytest.mark.slow
def test_damaged_snapshots_in_postgres_cost_a_replay_and_one_warning(
    tmp_path: Path, pg_url: str
) -> None:
    server = LiveServer(tmp_path / "data", env={"TOWNHALL_STORE_URL": pg_url})
    _scenario(server, DAMAGES, *_pg_io(pg_url))


@pytest.mark.postgres
@pytest.mark.slow
def test_snapshots_postgres_cannot_read_still_load_every_room(tmp_path: Path, pg_url: str) -> None:
    """The store's read itself fails (the column is gone): every room replays its log."""
    server = LiveServer(tmp_path / "data", env={"TOWNHALL_STORE_URL": pg_url})
    server.start()
    try:
        meetings = [hold_meeting(server, f"room {i}") for i in range(2)]
        before = [view(server, m.code, m.moderator) for m in meetings]
    finally:
        server.stop()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE snapshots RENAME COLUMN data TO data_lost")
    server.start()
    try:
        for meeting, seen in zip(meetings, before, strict=True):
            assert view(server, meeting.code, meeting.moderator) == seen
            (warning,) = _warnings(server.logs(), meeting.code)
            assert "data" in warning and "does not exist" in warning
    finally:
        server.stop()
