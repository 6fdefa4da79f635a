"""kill -9 in the middle of a burst loses nothing that was acknowledged."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from server.store.sqlite import SqliteStore

from .helpers import entry, opened, verify_chain

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_acknowledged_appends_survive_kill_9(tmp_path: Path) -> None:
    path = tmp_path / "crash.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("crash_writer.py")), str(path)],
        stdout=subprocess.PIPE,
        env=env,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    acked: list[str] = []
    try:
        while len(acked) < 1500:
            line = proc.stdout.readline()
            assert line, f"writer exited early with {proc.wait()}"
            acked.append(line.decode())
    finally:
        proc.send_signal(signal.SIGKILL)  # mid-burst: transactions are in flight right now
        rest, _ = proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    # Lines already in the pipe were acks too; a torn last line was not a complete promise.
    acked += [line + "\n" for line in rest.decode().split("\n")[:-1]]
    promised = {(room, int(seq)): digest for room, seq, digest in (a.split() for a in acked)}

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()

    async def check() -> None:
        async with opened(lambda: SqliteStore(path)) as store:
            for room in ("R0", "R1", "R2"):
                stored = await store.read(room)
                verify_chain(room, stored)  # contiguous from 1 and every hash recomputes
                assert await store.head(room) == len(stored)
                have = {(c.room, c.seq): c.hash for c in stored}
                for key, digest in promised.items():
                    if key[0] == room:
                        assert have.get(key) == digest, f"acked {key} lost or changed"
            # The store still appends where the dead process left off.
            last = await store.head("R0")
            [after] = await store.append("R0", [entry(1)])
            assert after.seq == last + 1
            verify_chain("R0", await store.read("R0"))

    asyncio.run(check())
