"""`TOWNHALL_RETENTION_DAYS`: the personal data of closed rooms is purged once they have been
quiet that long (docs/TRANSCRIPT.md, "Erasure and retention").

    purged = await sweep(store, days, now_ms, release)

A room is purged when it is closed and its last entry is older than `days`: the store blanks
names and districts beside the chain, replaces every participant by an alias and drops the
room key (server/store: `purge`). The chain is untouched, so the published record and every
receipt still verify. `release(room)` unloads a hosted copy first (its memory and snapshot
hold the names); the clock is passed in, so tests run a year in a millisecond.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from server.store.base import Store

__all__ = ["DAY_MS", "sweep"]

log = logging.getLogger("townhall.retention")

DAY_MS = 86_400_000


async def _closed(store: Store, room: str) -> bool:
    """Whether the room's log holds `room.closed` (after it, only publishing and erasures)."""
    after = 0
    while True:
        page = await store.read(room, after=after, limit=5000)
        if not page:
            return False
        if any(e.type == "room.closed" for e in page):
            return True
        after = page[-1].seq


async def sweep(
    store: Store, days: int, now_ms: int, release: Callable[[str], Awaitable[None]]
) -> list[str]:
    """Purge every closed room quiet for `days` (none when `days` is 0); their codes."""
    if days <= 0:
        return []
    purged = []
    for room in await store.retained(before=now_ms - days * DAY_MS):
        if not await _closed(store, room):
            continue
        await release(room)
        rewritten = await store.purge(room)
        await release(room)  # loaded again meanwhile: drop that copy too
        log.info("room %s: personal data purged after %d days (%d records)", room, days, rewritten)
        purged.append(room)
    return purged
