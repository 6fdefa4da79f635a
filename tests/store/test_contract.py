"""The Store contract: every backend (SQLite, PostgreSQL) passes exactly these tests."""

from __future__ import annotations

import asyncio
import math

import pytest

from rooms.chain import GENESIS
from server.store import Entry, EntryRefused, StoreUnavailable

from .conftest import StoreFactory
from .helpers import entry, opened, verify_chain


def test_seq_is_contiguous_from_one_per_room_and_rooms_are_independent(
    make_store: StoreFactory,
) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            a1 = await store.append("AAAA", [entry(1), entry(2)])
            b1 = await store.append("BBBB", [entry(3)])
            a2 = await store.append("AAAA", [entry(4)])
            assert [c.seq for c in a1 + a2] == [1, 2, 3]
            assert [c.seq for c in b1] == [1]
            assert [c.op_id for c in await store.read("AAAA")] == ["op-1", "op-2", "op-4"]
            assert await store.head("AAAA") == 3
            assert await store.head("BBBB") == 1

    asyncio.run(body())


def test_hash_chain_verifies_from_genesis(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            returned = []
            for n in range(5):
                returned += await store.append("ROOM", [entry(n), entry(n + 100)])
            stored = await store.read("ROOM")
            assert stored == returned
            assert stored[0].prev == GENESIS
            verify_chain("ROOM", stored)

    asyncio.run(body())


def test_read_after_and_limit(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            await store.append("ROOM", [entry(n) for n in range(10)])
            assert [c.seq for c in await store.read("ROOM", after=7)] == [8, 9, 10]
            assert [c.seq for c in await store.read("ROOM", after=2, limit=3)] == [3, 4, 5]
            assert await store.read("ROOM", after=10) == []
            assert await store.read("ROOM", limit=0) == []
            assert await store.read("NOPE") == []

    asyncio.run(body())


def test_head_of_an_unknown_room_is_zero(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            assert await store.head("NOPE") == 0
            assert await store.append("ROOM", []) == []
            assert await store.head("ROOM") == 0
            assert await store.rooms() == []

    asyncio.run(body())


def test_rooms_active_since_uses_entry_time(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            await store.append("OLD", [entry(at=1_000)])
            await store.append("NEW", [entry(1, at=1_000), entry(2, at=5_000)])
            await store.append("MID", [entry(at=3_000)])
            assert await store.rooms() == ["MID", "NEW", "OLD"]
            assert await store.rooms(active_since=3_000) == ["MID", "NEW"]
            assert await store.rooms(active_since=5_000) == ["NEW"]
            assert await store.rooms(active_since=5_001) == []
            # An entry stamped earlier than the room's latest must not make it look older.
            await store.append("NEW", [entry(at=2_000)])
            assert await store.rooms(active_since=5_000) == ["NEW"]

    asyncio.run(body())


def test_snapshot_newest_wins(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            assert await store.load_snapshot("ROOM") is None
            await store.save_snapshot("ROOM", 10, b"ten")
            await store.save_snapshot("ROOM", 20, b"\x00twenty\xff")
            await store.save_snapshot("ROOM", 15, b"late and older")
            assert await store.load_snapshot("ROOM") == (20, b"\x00twenty\xff")
            assert await store.load_snapshot("OTHER") is None

    asyncio.run(body())


def test_concurrent_appends_are_group_committed(make_store: StoreFactory) -> None:
    rooms = [f"R{i}" for i in range(13)]

    async def body() -> None:
        async with opened(make_store) as store:
            results = await asyncio.gather(
                *(store.append(rooms[n % len(rooms)], [entry(n)]) for n in range(200))
            )
            assert sum(len(r) for r in results) == 200
            # Fewer transactions than appends is the whole point of group commit.
            assert store.transactions < 200  # type: ignore[attr-defined]
            for room in rooms:
                stored = await store.read(room)
                verify_chain(room, stored)
                assert len(stored) == len(range(rooms.index(room), 200, len(rooms)))
            acked = {(c.room, c.seq, c.hash) for r in results for c in r}
            assert acked == {
                (c.room, c.seq, c.hash) for room in rooms for c in await store.read(room)
            }

    asyncio.run(body())


def test_one_caller_gets_its_entries_in_order_and_consecutive(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            batches = await asyncio.gather(
                *(store.append("ROOM", [entry(10 * k + i) for i in range(5)]) for k in range(20))
            )
            for batch in batches:
                seqs = [c.seq for c in batch]
                assert seqs == list(range(seqs[0], seqs[0] + 5))
                assert [c.op_id for c in batch] == [f"op-{int(b.op_id[3:])}" for b in batch]
            verify_chain("ROOM", await store.read("ROOM"))

    asyncio.run(body())


ODD_DATA = {
    "text": 'Grüße, 市民の皆さん 🗳️ — «quoted» "double" \\ back\nslash\t\u2028',
    "control": "\x01\x1f",
    "nested": {"z": [1, 2.5, -0.0, 1e300, None, True, False], "a": {"deep": [[{}], []]}},
    "big": 2**62 + 1,
    "neg": -(2**53),
    "empty": "",
    "ключ": "значение",
}


def test_data_round_trips_exactly(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            [acked] = await store.append("ROOM", [entry(data=ODD_DATA)])
            [stored] = await store.read("ROOM")
            assert stored.data == ODD_DATA
            assert stored == acked
            assert math.copysign(1.0, stored.data["nested"]["z"][2]) == -1.0
            verify_chain("ROOM", [stored])

    asyncio.run(body())


def test_data_is_normalised_the_way_it_is_stored(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            [acked] = await store.append("ROOM", [entry(data={"t": (1, 2), "m": {3: "x"}})])
            assert acked.data == {"t": [1, 2], "m": {"3": "x"}}
            assert (await store.read("ROOM")) == [acked]

    asyncio.run(body())


def test_append_after_close_and_reopen_continues_the_chain(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            await store.append("ROOM", [entry(1), entry(2)])
            await store.save_snapshot("ROOM", 2, b"snap")
        async with opened(make_store) as store:
            [third] = await store.append("ROOM", [entry(3)])
            assert third.seq == 3
            verify_chain("ROOM", await store.read("ROOM"))
            assert await store.load_snapshot("ROOM") == (2, b"snap")

    asyncio.run(body())


def test_a_bad_entry_fails_only_its_own_caller(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            bad = [
                entry(data={"x": math.nan}),
                entry(data={"x": object()}),
                entry(data={"x": "\ud800"}),
                Entry(at=1, actor="a\x00b", op_id="o", type="t", data={}),
                Entry(at=1.5, actor="a", op_id="o", type="t", data={}),  # type: ignore[arg-type]
            ]
            outcomes = await asyncio.gather(
                *(store.append("ROOM", [e]) for e in bad),
                *(store.append("ROOM", [entry(n)]) for n in range(5)),
                return_exceptions=True,
            )
            assert all(isinstance(o, EntryRefused) for o in outcomes[: len(bad)])
            assert all(o.index == 0 for o in outcomes[: len(bad)])  # type: ignore[union-attr]
            assert all(isinstance(o, list) for o in outcomes[len(bad) :])
            assert await store.head("ROOM") == 5
            with pytest.raises(ValueError):
                await store.append("", [entry()])

    asyncio.run(body())


def test_a_closed_store_refuses_appends_and_is_unhealthy(make_store: StoreFactory) -> None:
    async def body() -> None:
        store = make_store()
        assert not await store.healthy()
        await store.open()
        assert await store.healthy()
        await store.close()
        assert not await store.healthy()
        with pytest.raises(StoreUnavailable):
            await store.append("ROOM", [entry()])

    asyncio.run(body())


def test_close_flushes_appends_already_submitted(make_store: StoreFactory) -> None:
    async def body() -> None:
        store = make_store()
        await store.open()
        tasks = [asyncio.create_task(store.append("ROOM", [entry(n)])) for n in range(50)]
        await asyncio.sleep(0)  # let every task submit before we close
        await store.close()
        assert all(len(t.result()) == 1 for t in tasks)
        async with opened(make_store) as again:
            verify_chain("ROOM", await again.read("ROOM"))
            assert await again.head("ROOM") == 50

    asyncio.run(body())


def test_the_same_instance_can_be_opened_again_after_close(make_store: StoreFactory) -> None:
    store = make_store()

    async def session(n: int) -> int:
        await store.open()
        try:
            [c] = await store.append("ROOM", [entry(n)])
            return c.seq
        finally:
            await store.close()

    assert [asyncio.run(session(n)) for n in range(2)] == [1, 2]


def test_an_op_is_stored_once_and_a_resend_gets_the_first_copy(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            [first] = await store.append("ROOM", [entry(1, data={"copy": 1})])
            await store.append("ROOM", [entry(2)])
            [again] = await store.append("ROOM", [entry(1, data={"copy": 2}, at=5)])
            assert again.earlier and not first.earlier
            assert again == first and again.data == {"copy": 1}  # the stored one, not the resend
            assert await store.head("ROOM") == 2
            assert [c.op_id for c in await store.read("ROOM")] == ["op-1", "op-2"]
            # After a resend, the chain goes on from the real head.
            [third] = await store.append("ROOM", [entry(3)])
            assert third.seq == 3 and third.prev == (await store.read("ROOM", after=1))[0].hash
            verify_chain("ROOM", await store.read("ROOM"))

    asyncio.run(body())


def test_copies_in_one_call_or_one_batch_collapse_to_the_first(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            out = await store.append("ROOM", [entry(1), entry(2), entry(1), entry(3)])
            assert [(c.seq, c.op_id, c.earlier) for c in out] == [
                (1, "op-1", False),
                (2, "op-2", False),
                (1, "op-1", True),
                (3, "op-3", False),
            ]
            # Concurrent callers share one transaction: the copy still finds the first.
            pair = await asyncio.gather(
                store.append("ROOM", [entry(9)]), store.append("ROOM", [entry(9)])
            )
            assert pair[0][0].seq == pair[1][0].seq == 4
            assert sorted(r[0].earlier for r in pair) == [False, True]
            assert await store.head("ROOM") == 4
            verify_chain("ROOM", await store.read("ROOM"))

    asyncio.run(body())


def test_op_ids_are_per_actor_and_per_room_and_empty_ones_repeat(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            await store.append("ROOM", [entry(1, actor="alice", op_id="x")])
            bob = await store.append("ROOM", [entry(2, actor="bob", op_id="x")])
            other = await store.append("ELSE", [entry(3, actor="alice", op_id="x")])
            blanks = await store.append("ROOM", [entry(4, op_id=""), entry(5, op_id="")])
            assert not bob[0].earlier and not other[0].earlier
            assert [c.seq for c in blanks] == [3, 4] and not any(c.earlier for c in blanks)
            assert await store.head("ROOM") == 4

    asyncio.run(body())


def test_find_op(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            [stored] = await store.append("ROOM", [entry(1, actor="alice", op_id="v-1")])
            assert await store.find_op("ROOM", "alice", "v-1") == stored
            assert await store.find_op("ROOM", "bob", "v-1") is None
            assert await store.find_op("ELSE", "alice", "v-1") is None
            await store.append("ROOM", [entry(2, actor="alice", op_id="")])
            assert await store.find_op("ROOM", "alice", "") is None  # blanks are not ops

    asyncio.run(body())


# Beyond BIGINT / SQLite INTEGER: every check before the commit passes it (an int is an int),
# and the database itself refuses the row. What any value the database cannot take would do.
REFUSED_AT = 2**63


def test_an_entry_the_database_refuses_fails_alone_and_its_batch_commits(
    make_store: StoreFactory,
) -> None:
    rooms = [f"R{i}" for i in range(5)]

    async def body() -> None:
        async with opened(make_store) as store:
            honest = [store.append(rooms[n % 5], [entry(n), entry(n + 1000)]) for n in range(40)]
            bad = store.append("R2", [entry(7, at=REFUSED_AT, op_id="bad")])
            # Submitted in one go: they queue together behind the first and share its batch.
            outcomes = await asyncio.gather(*honest[:20], bad, *honest[20:], return_exceptions=True)
            refused = outcomes.pop(20)
            assert isinstance(refused, EntryRefused), refused
            assert all(isinstance(o, list) and len(o) == 2 for o in outcomes), outcomes
            # Group commit still did its job around the bad entry (2·log2 n extra at most).
            assert store.transactions < 20  # type: ignore[attr-defined]
            for room in rooms:
                stored = await store.read(room)
                verify_chain(room, stored)
                assert len(stored) == 16 and "bad" not in {c.op_id for c in stored}
            acked = {(c.room, c.seq, c.hash) for o in outcomes for c in o}  # type: ignore[union-attr]
            assert acked == {(c.room, c.seq, c.hash) for r in rooms for c in await store.read(r)}
            # One caller's entries stand or fall together; the caller (a room) splits them.
            with pytest.raises(EntryRefused):
                await store.append("R0", [entry(1, op_id="a"), entry(2, at=REFUSED_AT, op_id="b")])
            assert await store.head("R0") == 16
            [after] = await store.append("R0", [entry(3, op_id="c")])
            assert after.seq == 17
            verify_chain("R0", await store.read("R0"))

    asyncio.run(body())

