from __future__ import annotations

import enum
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.chain import GENESIS, canonical_json, entry_hash, entry_hash_raw


def test_chain_links_and_is_stable() -> None:
    args = {"room": "TOWN", "seq": 1, "at": 5, "actor": "org", "op_id": "o", "type": "room.closed"}
    first = entry_hash(GENESIS, data={}, **args)  # type: ignore[arg-type]
    assert first == entry_hash(GENESIS, data={}, **args)  # type: ignore[arg-type]
    assert first != entry_hash(first, data={}, **args)  # type: ignore[arg-type]
    assert canonical_json({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()


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


def _reference(value: object) -> bytes:
    """The definition canonical_json's short cuts must keep: json.dumps with its options."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def _same_bytes_or_same_refusal(value: object) -> None:
    try:
        expected = _reference(value)
    except (ValueError, TypeError) as exc:  # UnicodeEncodeError is a ValueError
        with pytest.raises(type(exc)):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


# Every kind of code point: controls, quotes, backslashes, U+2028, non-BMP, lone surrogates.
_any_text = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=12)
# What msgspec writes for canonical_json (objects of strings, integers, booleans, null, arrays
# and objects): no float, so that no example leaves for json's way.
_plain = _any_text | st.integers() | st.integers(-(2**70), 2**70) | st.booleans() | st.none()
_scalar = (
    _plain
    | st.floats()
    | st.sampled_from(["\x00", '"', "\\", "\u2028", "\u2029", "\x7f", "\ud800", "\U0001f600"])
)


def _nested(leaf: st.SearchStrategy[object], max_leaves: int) -> st.SearchStrategy[object]:
    """Lists, tuples and objects of `leaf`, nested."""
    return st.recursive(
        leaf,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.lists(inner, max_size=3).map(tuple)
            | st.dictionaries(_any_text, inner, max_size=3)
        ),
        max_leaves=max_leaves,
    )


@given(_scalar)
def test_a_scalar_writes_as_the_encoder_writes_it(value: object) -> None:
    _same_bytes_or_same_refusal(value)


@given(st.lists(_scalar, max_size=5), st.booleans())
def test_a_flat_list_or_tuple_writes_as_the_encoder_writes_it(
    items: list[object], tup: bool
) -> None:
    _same_bytes_or_same_refusal(tuple(items) if tup else items)


@given(_nested(_scalar, max_leaves=8))
def test_a_nested_value_writes_as_the_encoder_writes_it(value: object) -> None:
    _same_bytes_or_same_refusal(value)


def test_subclasses_write_as_their_base_types() -> None:
    class Code(enum.IntEnum):
        FIVE = 5

    class Name(str):
        __slots__ = ()

    for value in (Code.FIVE, [Code.FIVE, 1], Name("é\n"), (Name("x"), True), [True, False, None]):
        assert canonical_json(value) == _reference(value)


def test_huge_integers_are_refused_as_the_encoder_refuses_them() -> None:
    _same_bytes_or_same_refusal(10**5000)
    _same_bytes_or_same_refusal([10**5000])


@settings(max_examples=500)
@given(st.dictionaries(_any_text, _nested(_plain, max_leaves=10), max_size=5))
def test_an_object_without_floats_writes_as_the_encoder_writes_it(value: dict[str, object]) -> None:
    _same_bytes_or_same_refusal(value)


def test_what_only_the_fast_writer_could_write_is_refused_as_before() -> None:
    refused: list[dict[str, object]] = [{"s": {1, 2}}, {"b": b"x"}, {"n": [float("nan")]}]
    for value in refused:
        with pytest.raises((TypeError, ValueError)):
            canonical_json(value)
        _same_bytes_or_same_refusal(value)


def test_keys_that_are_no_strings_sort_and_write_as_the_encoder_does() -> None:
    keyed: list[dict[object, object]] = [{10: "a", 9: "b"}, {True: 1, None: 2}, {1.5: 0}]
    for value in [*keyed, {"x": {2: [], 10: ()}}]:
        _same_bytes_or_same_refusal(value)


def test_a_value_that_holds_itself_is_refused_as_the_encoder_refuses_it() -> None:
    looped: dict[str, object] = {"a": 1}
    looped["self"] = looped
    with pytest.raises(ValueError, match="Circular"):
        canonical_json(looped)
    listed: list[object] = []
    listed.append(listed)
    with pytest.raises(ValueError, match="Circular"):
        canonical_json({"items": listed})
