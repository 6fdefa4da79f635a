"""The group committer on its own: one refused request fails alone, an outage fails all.

`GroupCommitter` takes the backend's batch commit as a function; here it is a small
in-memory database that refuses any batch holding a poisoned entry, the way SQLite and
PostgreSQL refuse a row (tests/store/test_contract.py shows that both really do).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from server.store._group import Batch, GroupCommitter
from server.store._prepare import Prepared
from server.store.base import Committed, EntryRefused, StoreUnavailable

POISON = "poison"


def item(n: int, op_id: str | None = None) -> Prepared:
    return Prepared(at=n, actor="a", op_id=op_id or f"o{n}", type="t", data={}, data_json="{}")


class Database:
    """Commits whole batches or nothing; `down` makes every commit fail as an outage."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []
        self.calls: list[int] = []
        self.down = False

    async def commit(self, batch: Batch) -> list[list[Committed]]:
        self.calls.append(len(batch))
        await asyncio.sleep(0)
        if self.down:
            raise StoreUnavailable("no answer within 10 s")
        if any(i.op_id == POISON for _, items in batch for i in items):
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        out = []
        for room, items in batch:
            committed = []
            for i in items:
                self.rows.append((room, i.op_id))
                seq = len(self.rows)
                committed.append(Committed(room, seq, i.at, i.actor, i.op_id, i.type, {}, "", ""))
            out.append(committed)
        return out


async def _run(db: Database, requests: Sequence[tuple[str, list[Prepared]]]) -> list[object]:
    committer = GroupCommitter(db.commit, name="test")
    committer.start()
    try:
        return await asyncio.gather(
            *(committer.submit(room, items) for room, items in requests), return_exceptions=True
        )
    finally:
        await committer.stop()


def test_a_refused_request_fails_alone_and_the_others_commit_in_order() -> None:
    db = Database()
    requests = [(f"R{n % 3}", [item(n), item(n + 100)]) for n in range(32)]
    requests.insert(21, ("R1", [item(999), item(998, POISON)]))
    outcomes = asyncio.run(_run(db, requests))
    refused = outcomes.pop(21)
    assert isinstance(refused, EntryRefused) and "too large" in str(refused)
    assert all(isinstance(o, list) for o in outcomes)
    # Arrival order survives the halving: everything else committed, in the order it was sent.
    honest = requests[:21] + requests[22:]
    assert db.rows == [(room, i.op_id) for room, items in honest for i in items]
    # 33 requests in one batch: about 2·log2(33) commits to find the bad one, not 33.
    assert db.calls[0] == 33 and len(db.calls) <= 2 * 6


def test_an_outage_fails_the_batch_without_halving_it() -> None:
    db = Database()
    db.down = True
    outcomes = asyncio.run(_run(db, [("R", [item(n)]) for n in range(16)]))
    assert all(
        isinstance(o, StoreUnavailable) and not isinstance(o, EntryRefused) for o in outcomes
    )
    assert db.calls == [16]  # one batch, one failed commit: no halving of an outage


def test_a_request_refused_alone_is_entry_refused() -> None:
    db = Database()
    [outcome] = asyncio.run(_run(db, [("R", [item(1, POISON)])]))
    assert isinstance(outcome, EntryRefused)
    assert isinstance(outcome.__cause__, OverflowError)
    assert db.calls == [1]
