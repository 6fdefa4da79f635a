"""Data files only the server's own user can read: directories 0700, files 0600.

The transcript holds names and the person-to-ballot link, and the secret key signs every
token: nobody else on the machine may read them. Modes are set explicitly, whatever the
umask. A file or directory that is already ours but looser (created by an older version,
or by hand) is tightened, with a warning; one we cannot change is reported, never fatal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from pathlib import Path

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "create_private_file",
    "private_dir",
    "private_file",
    "write_private_file",
]

log = logging.getLogger("townhall.files")

DIR_MODE = 0o700
FILE_MODE = 0o600


def _tighten(path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if current & ~mode == 0:
        return
    try:
        os.chmod(path, current & mode)
    except OSError as exc:
        log.warning("%s is mode %o and could not be made %o: %s", path, current, mode, exc)
    else:
        log.warning("%s was mode %o: made %o (only the server may read it)", path, current, mode)


def private_dir(path: Path, *, tighten: bool = True) -> None:
    """Create `path` and its missing parents as 0700; tighten `path` itself if it existed
    and `tighten` (never its parents: `/var/lib` is not ours)."""
    missing: list[Path] = []
    cursor = path
    while not cursor.exists():
        missing.append(cursor)
        if cursor.parent == cursor:
            break
        cursor = cursor.parent
    for created in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process got there first
            created.mkdir(mode=DIR_MODE)
        os.chmod(created, DIR_MODE)  # mkdir's mode is filtered by the umask; this is not
    if tighten and not missing:
        _tighten(path, DIR_MODE)


def private_file(path: Path) -> None:
    """Tighten an existing data file to 0600 (nothing happens if it does not exist)."""
    _tighten(path, FILE_MODE)


def create_private_file(path: Path) -> None:
    """Make sure `path` exists as a file no one else can read, before anything else opens
    it: SQLite creates its -wal and -shm files with the mode of the database file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.close(fd)
    private_file(path)


def write_private_file(path: Path, content: bytes) -> None:
    """Write `content` to `path` (replacing it) as a file no one else can read: exports
    hold names, questions and ballots. Mode 0600 from the start, whatever the umask, and a
    looser file already there is tightened before anything is written into it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), FILE_MODE)
        handle.write(content)
