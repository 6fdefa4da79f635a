"""The chain's tail check: given the stored tail of a real store, when one field of one entry
is changed, then the break is found at that entry's seq (and nothing when nothing changed)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from rooms.chain import GENESIS, entry_hash_raw
from server.live.chain_check import Break, ChainWatch, check_tail
from server.store.base import Stored, Tail
from server.store.sqlite import SqliteStore
from tests.store.helpers import entry, opened
from tests.support.live_server import LiveServer
from tests.support.meeting import Meeting, hold_meeting, view


def stored_tail(tmp_path: Path, entries: int, count: int) -> Tail:
    async def body() -> Tail:
        async with opened(lambda: SqliteStore(tmp_path / "chain.db")) as store:
            await store.append("ROOM", [entry(n) for n in range(entries)])
            tail = await store.tail("ROOM", count)
            assert tail is not None
            return tail

    return asyncio.run(body())


def changed(tail: Tail, which: int, /, **fields: object) -> Tail:
    """`tail` with the entry at seq `which` given other field values."""
    entries = tuple(replace(e, **fields) if e.seq == which else e for e in tail.entries)
    return replace(tail, entries=entries)


def without(tail: Tail, seq: int) -> Tail:
    return replace(tail, entries=tuple(e for e in tail.entries if e.seq != seq))


@pytest.fixture(scope="module")
def tail(tmp_path_factory: pytest.TempPathFactory) -> Tail:
    return stored_tail(tmp_path_factory.mktemp("chain"), entries=30, count=10)


def test_an_intact_tail_checks_out(tail: Tail) -> None:
    assert [e.seq for e in tail.entries] == list(range(21, 31))
    assert check_tail("ROOM", tail, 10) is None


def test_a_whole_short_log_is_checked_from_genesis(tmp_path: Path) -> None:
    short = stored_tail(tmp_path, entries=3, count=10)
    assert check_tail("ROOM", short, 10) is None
    broken = changed(short, 1, prev="f" * 64)
    assert check_tail("ROOM", broken, 10) == Break(
        "ROOM", 1, "prev does not match the hash of the entry before it"
    )
    assert short.entries[0].prev == GENESIS


TAMPERED = {
    "data changed": ({"data": '{"n":999}'}, "hash mismatch"),
    "data not JSON": ({"data": '{"n":'}, "hash mismatch"),
    "data a blob": ({"data": b'{"n":25}'}, "hash mismatch"),
    "actor changed": ({"actor": "mallory"}, "hash mismatch"),
    "time changed": ({"at": 1}, "hash mismatch"),
    "time a string": ({"at": "soon"}, "hash mismatch"),
    "a lone surrogate": ({"data": '{"n":"\ud800"}'}, "hash mismatch"),
    "hash replaced": ({"hash": "0" * 64}, "hash mismatch"),
}


@pytest.mark.parametrize(("fields", "reason"), TAMPERED.values(), ids=TAMPERED.keys())
def test_a_changed_entry_is_found_at_its_seq(
    tail: Tail, fields: dict[str, object], reason: str
) -> None:
    found = check_tail("ROOM", changed(tail, 25, **fields), 10)
    assert found is not None and found.seq == 25 and reason in found.reason


def test_a_rehashed_entry_breaks_the_link_after_it(tail: Tail) -> None:
    """Whoever changes an entry and recomputes its hash still breaks the next one's prev."""
    original = next(e for e in tail.entries if e.seq == 25)
    assert isinstance(original.prev, str)
    rehashed = entry_hash_raw(
        original.prev,
        room="ROOM",
        seq=25,
        at=1,
        actor=str(original.actor),
        op_id=str(original.op_id),
        type=str(original.type),
        data_json=b'{"n":999}',
    )
    forged = changed(tail, 25, at=1, data='{"n":999}', hash=rehashed)
    found = check_tail("ROOM", forged, 10)
    assert found is not None and found.seq == 26 and "prev" in found.reason


def test_a_missing_entry_and_a_wrong_head_are_found(tail: Tail) -> None:
    assert check_tail("ROOM", without(tail, 27), 10) == Break(
        "ROOM", 27, "missing: the store's head says it exists"
    )
    assert check_tail("ROOM", without(tail, 30), 10) == Break(
        "ROOM", 30, "missing: the store's head says it exists"
    )
    assert check_tail("ROOM", replace(tail, head_hash="e" * 64), 10) == Break(
        "ROOM", 30, "the head's hash is not that of the last entry"
    )
    assert check_tail("ROOM", replace(tail, head_seq="30"), 10) is not None


def test_a_tail_rewritten_to_the_head_differs_from_what_this_process_applied(
    tail: Tail,
) -> None:
    """Rewritten from seq 21 on with fresh hashes, a tail links up; the hash this process
    saw at seq 28 is gone, though."""
    last = {e.seq: e for e in tail.entries}
    assert check_tail("ROOM", tail, 10, applied=(28, str(last[28].hash))) is None
    found = check_tail("ROOM", tail, 10, applied=(28, "1" * 64))
    assert found == Break("ROOM", 28, "not the entry this process applied at this seq")


def test_each_break_is_logged_and_counted_once_and_cleared_when_mended(
    caplog: pytest.LogCaptureFixture,
) -> None:
    watch = ChainWatch(10)
    broken = Break("ROOM", 25, "hash mismatch")
    with caplog.at_level(logging.ERROR, logger="townhall.chain"):
        for _ in range(3):
            watch.record("ROOM", broken)
    assert watch.found == 1 and watch.breaks == {"ROOM": broken}
    (line,) = [r.getMessage() for r in caplog.records]
    assert "room ROOM: transcript chain broken at seq 25" in line
    watch.record("ROOM", None)
    assert watch.breaks == {} and watch.found == 1
    watch.record("ROOM", broken)
    assert watch.found == 2


def test_a_sweep_reads_each_room_once_and_skips_a_store_that_fails(tmp_path: Path) -> None:
    async def body() -> ChainWatch:
        async with opened(lambda: SqliteStore(tmp_path / "s.db")) as store:
            await store.append("GOOD", [entry(n) for n in range(5)])
            watch = ChainWatch(200)
            await watch.sweep(store, [("GOOD", None), ("NONE", None)])
            assert watch.breaks == {} and watch.sweeps == 1
        await watch.sweep(store, [("GOOD", None)])  # closed: skipped, not a break
        return watch

    watch = asyncio.run(body())
    assert watch.breaks == {} and watch.found == 0 and watch.sweeps == 2


def test_stored_fields_of_any_type_are_findings_not_exceptions(tail: Tail) -> None:
    for value in (None, 3.5, b"x", ["list"], {"a": 1}):
        for name in Stored.__dataclass_fields__:
            found = check_tail("ROOM", changed(tail, 24, **{name: value}), 10)
            assert found is not None and found.seq in (24, 25), (name, value)


# -- a real server over a real SQLite file ---------------------------------------------


def _tamper(db: Path, code: str, seq: int, data: str | None = None) -> str:
    """Change one stored entry's data behind the server's back (past the append-only
    trigger, as someone with the file would); returns what it held."""
    with sqlite3.connect(db, timeout=10) as conn:
        (old,) = conn.execute(
            "SELECT data FROM entries WHERE room = ? AND seq = ?", (code, seq)
        ).fetchone()
        conn.execute("DROP TRIGGER IF EXISTS entries_no_update")
        conn.execute(
            "UPDATE entries SET data = ? WHERE room = ? AND seq = ?",
            (data if data is not None else old.replace('"choice":1', '"choice":2'), code, seq),
        )
    return str(old)


def _ballot_seq(server: LiveServer, meeting: Meeting) -> int:
    transcript = httpx.get(
        f"{server.http}/api/rooms/{meeting.code}/transcript",
        headers={"authorization": f"Bearer {meeting.moderator}"},
    ).text
    lines = [json.loads(line) for line in transcript.splitlines()]
    return next(
        e["seq"]
        for e in lines
        if e["type"] == "ballot.cast"
        and '"choice":1' in json.dumps(e["data"], separators=(",", ":"))
    )


def _breaks_total(server: LiveServer) -> float:
    metrics = httpx.get(server.http + "/metrics").text
    (value,) = re.findall(r"^townhall_chain_breaks_total (\S+)$", metrics, re.M)
    return float(value)


@pytest.mark.slow
def test_an_entry_changed_at_rest_is_reported_at_start(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data")
    db = tmp_path / "data" / "townhall.db"
    server.start()
    try:
        meeting = hold_meeting(server, "tampered")
        other = hold_meeting(server, "untouched")
        seq = _ballot_seq(server, meeting)
        ready = httpx.get(server.http + "/readyz")
        assert ready.status_code == 200, ready.text
        assert _breaks_total(server) == 0
    finally:
        server.stop()
    _tamper(db, meeting.code, seq)
    server.start()
    try:
        ready = httpx.get(server.http + "/readyz")
        assert ready.status_code == 503
        chain = ready.json()["checks"]["chain"]
        assert f"room {meeting.code} at seq {seq}: hash mismatch" in chain
        assert other.code not in chain
        assert _breaks_total(server) == 1
        errors = [line for line in server.logs().splitlines() if " ERROR townhall.chain " in line]
        assert len(errors) == 1
        assert f"room {meeting.code}: transcript chain broken at seq {seq}" in errors[0]
        # The room still serves: a break is reported, not acted on.
        assert view(server, other.code, other.moderator)["seq"] > 0
    finally:
        server.stop()


@pytest.mark.slow
def test_an_entry_changed_while_serving_is_reported_within_a_sweep(tmp_path: Path) -> None:
    server = LiveServer(tmp_path / "data", env={"TOWNHALL_CHAIN_CHECK_INTERVAL_S": "0.2"})
    db = tmp_path / "data" / "townhall.db"
    server.start()
    try:
        meeting = hold_meeting(server, "live")
        seq = _ballot_seq(server, meeting)
        assert httpx.get(server.http + "/readyz").status_code == 200
        original = _tamper(db, meeting.code, seq)
        deadline = time.monotonic() + 10
        while (ready := httpx.get(server.http + "/readyz")).status_code != 503:
            assert time.monotonic() < deadline, "the changed entry was never reported"
            time.sleep(0.1)
        assert f"room {meeting.code} at seq {seq}" in ready.json()["checks"]["chain"]
        _tamper(db, meeting.code, seq, data=original)  # mended, e.g. from a backup
        while httpx.get(server.http + "/readyz").status_code != 200:
            assert time.monotonic() < deadline + 10, "a mended chain stayed reported"
            time.sleep(0.1)
        assert _breaks_total(server) == 1  # a counter: it was found once
    finally:
        server.stop()


@pytest.mark.slow
def test_a_room_whose_log_no_longer_reads_is_reported_and_the_others_start(
    tmp_path: Path,
) -> None:
    server = LiveServer(tmp_path / "data")
    db = tmp_path / "data" / "townhall.db"
    server.start()
    try:
        broken = hold_meeting(server, "unreadable")
        other = hold_meeting(server, "fine")
        seq = _ballot_seq(server, broken)
        before = view(server, other.code, other.moderator)
    finally:
        server.stop()
    _tamper(db, broken.code, seq, data='{"choice":')  # not JSON any more
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM snapshots")  # so the room must replay its whole log
    server.start()
    try:
        assert view(server, other.code, other.moderator) == before
        ready = httpx.get(server.http + "/readyz")
        assert ready.status_code == 503
        assert f"room {broken.code} at seq {seq}: hash mismatch" in ready.json()["checks"]["chain"]
        assert f"room {broken.code}: cannot be loaded; the other rooms start" in server.logs()
        assert "Task was destroyed" not in server.logs()  # the failed load left nothing behind
    finally:
        server.stop()
