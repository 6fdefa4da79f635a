"""`townhall migrate`: bring the store's schema up to this version, or say where it stands.

Opening a store applies its pending steps anyway (server/store/migrations.py); this command
does it ahead of a deploy, once, so that N processes starting together find the work done,
and `--status` reports without changing anything.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from server.store import open_store, sqlite_path
from server.store.migrations import latest, pending, postgres_version, sqlite_version

__all__ = ["migrate", "schema_version"]


def _sqlite_schema_version(path: str) -> int:
    if path == ":memory:" or not Path(path).exists():
        return 0
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return sqlite_version(conn)
    finally:
        conn.close()


async def schema_version(url: str) -> int:
    """The store's schema version; 0 for a store made before versions, or none yet."""
    if url.startswith("sqlite:"):
        return _sqlite_schema_version(sqlite_path(url))
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        return await postgres_version(conn)


async def _migrate(url: str, status: bool) -> str:
    before = await schema_version(url)
    todo = pending(before)  # refuses a store newer than this code
    if status:
        steps = ", ".join(f"{step.version} ({step.name})" for step in todo) or "none"
        return f"schema version {before} of {latest()}; pending: {steps}"
    store = open_store(url)
    await store.open()  # applies the pending steps, each in its own transaction
    await store.close()
    after = await schema_version(url)
    return f"schema version {after} (was {before}; {len(todo)} step(s) applied)"


def migrate(url: str, *, status: bool = False) -> str:
    return asyncio.run(_migrate(url, status))
