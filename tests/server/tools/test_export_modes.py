"""The files `townhall export` and `townhall report --out` write are the server user's only:
0600, in folders created 0700, whatever the umask (they hold names, questions, ballots)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from rooms.events import event_to_dict
from server.store import Entry
from server.store.files import write_private_file
from server.store.sqlite import SqliteStore
from server.tools.cli import main
from tests.rooms.harness import ORG, Room


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """A store holding one small meeting (room TOWN): people, a poll, a question."""
    room = Room(districts=["North"])
    room.join("ana", "ben", district="North")
    poll = room.poll(options=["Yes", "No"])
    room.do("ana", "vote", poll_id=poll, choice=0)
    room.ask("ben", "Why?")
    room.do(ORG, "poll.close", poll_id=poll)
    path = tmp_path / "store" / "townhall.db"

    async def fill() -> None:
        store = SqliteStore(path)
        await store.open()
        try:
            entries = []
            for rec in room.records:
                wire = event_to_dict(rec.event)
                entries.append(Entry(rec.at, rec.actor, rec.op_id, wire["type"], wire["data"]))
            await store.append("TOWN", entries)
        finally:
            await store.close()

    asyncio.run(fill())
    return f"sqlite:///{path}"


def test_write_private_file_is_0600_under_umask_000_and_tightens_a_loose_one(
    tmp_path: Path,
) -> None:
    with umask(0):
        write_private_file(tmp_path / "new.csv", b"a,b\r\n")
    assert mode(tmp_path / "new.csv") == 0o600
    loose = tmp_path / "loose.csv"
    loose.write_bytes(b"old and longer")
    os.chmod(loose, 0o644)
    write_private_file(loose, b"new")
    assert mode(loose) == 0o600 and loose.read_bytes() == b"new"


def test_townhall_export_writes_private_files(store_url: str, tmp_path: Path) -> None:
    out = tmp_path / "exports" / "town"  # neither folder exists yet
    with umask(0):
        assert main(["export", "TOWN", "--store", store_url, "--out", str(out)]) == 0
    files = sorted(out.iterdir())
    assert {p.suffix for p in files} == {".jsonl", ".csv", ".json"}
    for path in files:
        assert mode(path) == 0o600, path.name
    assert mode(out) == mode(out.parent) == 0o700


def test_an_existing_folder_keeps_its_mode(store_url: str, tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    os.chmod(here, 0o755)  # the folder the organiser runs it in: not ours to change
    with umask(0):
        assert main(["export", "TOWN", "--store", store_url, "--out", str(here)]) == 0
    assert mode(here) == 0o755
    assert all(mode(p) == 0o600 for p in here.iterdir())


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_townhall_report_out_is_private(store_url: str, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    with umask(0):
        assert (
            main(["report", "TOWN", "--store", store_url, "--format", fmt, "--out", str(out)]) == 0
        )
    assert mode(out) == 0o600 and "Why?" in out.read_text(encoding="utf-8")
