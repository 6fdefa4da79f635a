"""Data files only the server's user can read: a real server started under umask 000 leaves
its data dir 0700 and the database, its -wal and -shm, secret.key and signing-key.id 0600;
looser files left by an older version or a crash are tightened at the next start."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from server.store.files import create_private_file, private_dir
from tests.support.live_server import LiveServer
from tests.support.meeting import hold_meeting


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextlib.contextmanager
def umask(value: int) -> Iterator[None]:
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def test_private_dir_makes_every_level_it_creates_0700_and_leaves_parents_alone(
    tmp_path: Path,
) -> None:
    os.chmod(tmp_path, 0o755)
    with umask(0):
        private_dir(tmp_path / "a" / "b", tighten=False)
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "b") == 0o700
    assert mode(tmp_path) == 0o755  # not ours to change
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    os.chmod(loose, 0o755)
    private_dir(loose)
    assert mode(loose) == 0o700


def test_create_private_file_under_umask_000_and_tightens_an_existing_one(
    tmp_path: Path,
) -> None:
    with umask(0):
        create_private_file(tmp_path / "new.db")
    assert mode(tmp_path / "new.db") == 0o600
    old = tmp_path / "old.db"
    old.write_bytes(b"kept")
    os.chmod(old, 0o664)
    create_private_file(old)
    assert mode(old) == 0o600 and old.read_bytes() == b"kept"


STORE_FILES = ("townhall.db", "townhall.db-wal", "townhall.db-shm")


@pytest.mark.slow
@pytest.mark.parametrize("secret", ["", "a-secret-from-the-environment"], ids=["kept", "given"])
def test_a_real_server_keeps_its_data_files_private(tmp_path: Path, secret: str) -> None:
    data = tmp_path / "data"
    # No TOWNHALL_SECRET: the server makes and keeps its own key in the data dir.
    server = LiveServer(data, env={"TOWNHALL_SECRET": secret})
    files = (*STORE_FILES, "signing-key.id", *(() if secret else ("secret.key",)))
    with umask(0):  # the child inherits it: nothing may rely on a kind umask
        server.start()
    try:
        hold_meeting(server, "modes")  # writes: the WAL and its index exist now
        assert mode(data) == 0o700
        for name in files:
            assert mode(data / name) == 0o600, name
    finally:
        server.kill()  # -wal and -shm stay behind, as after a crash

    for path in (data, *(data / name for name in files)):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)  # as an older version left them
    with umask(0):
        server.start()
    try:
        hold_meeting(server, "modes again")
        assert mode(data) == 0o700
        for name in files:
            assert mode(data / name) == 0o600, name
        assert "was mode 644: made 600" in server.logs()
    finally:
        server.stop()
