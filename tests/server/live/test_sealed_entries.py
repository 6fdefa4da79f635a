"""Entries travel between processes with their private records: another process folds the
room as it really happened (a participant who joined there exists here)."""

from __future__ import annotations

from server.live.hub import pack_entries, unpack_entries
from server.store import Committed


def test_private_records_survive_the_broker_round_trip() -> None:
    sealed = Committed(
        "ROOM",
        2,
        5,
        "a-1f",
        "o-2e",
        "participant.joined",
        {"sealed": {"name": "ab"}},
        "0" * 64,
        "f" * 64,
        {"actor": "p-ann", "op_id": "j1", "fields": {"name": "Ann"}},
    )
    staff = Committed("ROOM", 3, 6, "org", "c1", "room.closed", {}, "f" * 64, "e" * 64)
    again = unpack_entries("ROOM", pack_entries([sealed, staff]))
    assert again == [sealed, staff]
    assert again[0].opened() == ("p-ann", "j1", {"name": "Ann"})
    assert again[1].private is None and again[1].opened() == ("org", "c1", {})
