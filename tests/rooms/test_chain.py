from __future__ import annotations

from rooms.chain import GENESIS, canonical_json, entry_hash


def test_chain_links_and_is_stable() -> None:
    args = {"room": "TOWN", "seq": 1, "at": 5, "actor": "org", "op_id": "o", "type": "room.closed"}
    first = entry_hash(GENESIS, data={}, **args)  # type: ignore[arg-type]
    assert first == entry_hash(GENESIS, data={}, **args)  # type: ignore[arg-type]
    assert first != entry_hash(first, data={}, **args)  # type: ignore[arg-type]
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()
