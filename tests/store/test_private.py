"""The records beside the chain (rooms/privacy.py), in every backend: kept, found, erased,
purged, while the chain itself never changes."""

from __future__ import annotations

import asyncio

from rooms.privacy import commitment, seal
from rooms.reducer import new_room
from server.store import Entry

from .conftest import StoreFactory
from .helpers import opened, verify_chain

KEY = b"k" * 32


def _join(n: int, who: str, name: str, district: str | None) -> Entry:
    state = new_room()
    state.seq, state.organiser = 1, "org"
    wire = {"type": "participant.joined", "data": {"name": name, "district": district}}
    sealed = seal(state, who, f"join-{n}", wire, KEY, f"{n:032x}")
    return Entry(
        1_700_000_000_000 + n, sealed.actor, sealed.op_id, wire["type"], sealed.data, sealed.private
    )


def test_a_private_record_is_kept_beside_its_entry_and_found_by_its_owner(
    make_store: StoreFactory,
) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            (ann,) = await store.append("ROOM", [_join(1, "ann", "Ann", "North")])
            assert ann.private is not None and ann.private["fields"]["name"] == "Ann"
            assert "Ann" not in str(ann.to_dict()) and "ann" not in str(ann.to_dict())
            (stored,) = await store.read("ROOM")
            assert stored == ann and stored.opened()[2]["district"] == "North"
            sealed = stored.data["sealed"]["name"]
            assert sealed == commitment(stored.private["salts"]["name"], "Ann")  # type: ignore[index]
            assert await store.find_op("ROOM", "ann", "join-1") == ann  # the real id and op id
            assert await store.find_op("ROOM", ann.actor, ann.op_id) == ann  # the public ones
            # A resend is found by its public key, however it is given: one entry per op.
            again = await store.append("ROOM", [_join(1, "ann", "Ann", "North")])
            assert again[0].earlier and await store.head("ROOM") == 1

    asyncio.run(body())


def test_an_erasure_blanks_its_persons_data_and_the_chain_does_not_change(
    make_store: StoreFactory,
) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            await store.append(
                "ROOM", [_join(1, "ann", "Ann", "North"), _join(2, "bob", "Bob", "South")]
            )
            await store.save_snapshot("ROOM", 2, b"names inside")
            before = await store.read("ROOM")
            erase = Entry(
                1_700_000_000_009,
                "a-x",
                "o-x",
                "participant.erased",
                {},
                {"actor": "ann", "op_id": "e1"},
                erases="ann",
            )
            await store.append("ROOM", [erase])
            after = await store.read("ROOM")
            verify_chain("ROOM", after)
            assert [e.to_dict() for e in after[:2]] == [e.to_dict() for e in before]
            ann, bob = (e.opened()[2] for e in after[:2])
            assert ann == {"name": None, "district": None}
            assert bob == {"name": "Bob", "district": "South"}
            assert after[0].private is not None and after[0].private["salts"] == {}
            assert await store.load_snapshot("ROOM") is None  # it held the names

    asyncio.run(body())


def test_room_keys_are_stable_private_and_per_room(make_store: StoreFactory) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            first = await store.room_key("ROOM")
            assert len(first) == 32 and await store.room_key("ROOM") == first
            assert await store.room_key("OTHER") != first
        async with opened(make_store) as store:
            assert await store.room_key("ROOM") == first

    asyncio.run(body())


def test_a_purge_aliases_everyone_drops_the_key_and_keeps_the_chain(
    make_store: StoreFactory,
) -> None:
    async def body() -> None:
        async with opened(make_store) as store:
            key = await store.room_key("OLD")
            await store.room_key("NEW")
            await store.append(
                "OLD", [_join(1, "ann", "Ann", "North"), _join(2, "bob", "Bob", None)]
            )
            await store.append("NEW", [_join(5_000_000, "cy", "Cy", None)])
            assert await store.retained(before=1_700_000_100_000) == ["OLD"]
            assert await store.purge("OLD") == 2
            assert await store.retained(before=1_700_000_100_000) == []
            purged = await store.read("OLD")
            verify_chain("OLD", purged)
            assert [e.opened()[0] for e in purged] == ["x1", "x2"]
            assert [e.opened()[2]["name"] for e in purged] == [None, None]
            assert await store.find_op("OLD", "ann", "join-1") is None
            assert await store.room_key("OLD") != key  # the old key is gone for good
            assert (await store.read("NEW"))[0].opened()[2]["name"] == "Cy"

    asyncio.run(body())
