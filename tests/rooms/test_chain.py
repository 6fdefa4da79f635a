from __future__ import annotations

from rooms.chain import GENESIS, canonical_json, entry_hash


def test_chain_links_and_is_stable() -> None:
    args = {"room": "TOWN", "seq": 1, "at": 5, "actor": "org", "op_id": "o", "type": "room.closed"}
    first = entry_hash(GENESIS, data={}, **args)  # type: ignore[arg-type]
    assert first == entry_hash(GENESIS, data={}, **args)  # type: ignore[arg-type]
    assert first != entry_hash(first, data={}, **args)  # type: ignore[arg-type]
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rooms.chain import entry_hash_raw  # noqa: E402

_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    room=st.text(min_size=1, max_size=10),
    seq=st.integers(1, 2**40),
    at=st.integers(0, 2**50),
    actor=st.text(max_size=12),
    op_id=st.text(max_size=12),
    type_=st.text(min_size=1, max_size=20),
    data=st.dictionaries(st.text(max_size=8), _json, max_size=5),
)
def test_hashing_spliced_canonical_data_equals_hashing_the_whole_entry(
    room: str, seq: int, at: int, actor: str, op_id: str, type_: str, data: dict[str, object]
) -> None:
    common = {"room": room, "seq": seq, "at": at, "actor": actor, "op_id": op_id, "type": type_}
    assert entry_hash_raw(GENESIS, data_json=canonical_json(data), **common) == entry_hash(  # type: ignore[arg-type]
        GENESIS,
        data=data,
        **common,  # type: ignore[arg-type]
    )
