"""Small helpers for driving async stores from plain (sync) pytest tests."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from rooms.chain import GENESIS, entry_hash
from server.store import Committed, Entry, Store

S = TypeVar("S", bound=Store)


def entry(
    n: int = 0,
    *,
    data: dict[str, Any] | None = None,
    at: int | None = None,
    op_id: str | None = None,
    actor: str | None = None,
) -> Entry:
    return Entry(
        at=1_700_000_000_000 + n if at is None else at,
        actor=f"p{n % 7}" if actor is None else actor,
        op_id=f"op-{n}" if op_id is None else op_id,
        type="test.happened",
        data={"n": n} if data is None else data,
    )


@asynccontextmanager
async def opened(factory: Callable[[], S]) -> AsyncIterator[S]:
    store = factory()
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def verify_chain(room: str, entries: Sequence[Committed]) -> None:
    """The whole room, seq 1.., each hash recomputed from GENESIS."""
    prev = GENESIS
    for expected_seq, c in enumerate(entries, start=1):
        assert c.room == room
        assert c.seq == expected_seq
        assert c.prev == prev
        recomputed = entry_hash(
            prev,
            room=c.room,
            seq=c.seq,
            at=c.at,
            actor=c.actor,
            op_id=c.op_id,
            type=c.type,
            data=c.data,
        )
        assert c.hash == recomputed, f"hash mismatch at seq {c.seq}"
        prev = c.hash
