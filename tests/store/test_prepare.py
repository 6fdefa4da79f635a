"""What `prepare` hands on is what `read` gives back later: the value parsed from its stored
canonical text. The value itself is handed on when it would come back equal, so both ways
must agree for any JSON-ish value, exactly (a bool is not an int, -0.0 is not 0.0)."""

from __future__ import annotations

import enum
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from rooms.chain import canonical_json
from server.store._prepare import prepare
from server.store.base import Entry, EntryRefused


class Level(enum.IntEnum):
    LOW = 1


class Word(str):
    __slots__ = ()


def _exact(value: Any) -> Any:
    """A form whose equality sees types and signs, and ignores only a dict's key order."""
    if isinstance(value, dict):
        items = ((type(k).__name__, repr(k), _exact(v)) for k, v in value.items())
        return ("dict", sorted(items, key=lambda item: item[:2]))
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_exact(v) for v in value])
    return (type(value).__name__, repr(value))


_scalar = (
    st.text(max_size=6)
    | st.text(max_size=3).map(Word)
    | st.integers()
    | st.just(Level.LOW)
    | st.booleans()
    | st.none()
    | st.floats()  # NaN and infinities are refused, as canonical_json refuses them
)
_value = st.recursive(
    _scalar,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.lists(inner, max_size=3).map(tuple)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
        | st.dictionaries(st.integers(-3, 3) | st.booleans(), inner, max_size=2)
    ),
    max_leaves=10,
)
_mapping = st.dictionaries(st.text(max_size=4), _value, max_size=4)


def _as_stored(value: object) -> Any:
    return json.loads(canonical_json(value))


@given(_mapping, st.none() | _mapping)
def test_the_prepared_values_are_exactly_what_the_stored_text_parses_to(
    data: dict[str, Any], private: dict[str, Any] | None
) -> None:
    entry = Entry(1, "actor", "op", "test.entry", data, private)
    try:
        expected = _as_stored(data), None if private is None else _as_stored(private)
    except (TypeError, ValueError):  # what canonical_json cannot write, the store refuses
        try:
            prepare("ROOM", [entry])
        except EntryRefused:
            return
        raise AssertionError("an entry canonical_json refuses was prepared") from None
    [item] = prepare("ROOM", [entry])
    assert _exact((item.data, item.private)) == _exact(expected)
    assert item.data_json.encode("utf-8") == canonical_json(data)
    assert item.private_json == (None if private is None else canonical_json(private).decode())


def test_values_that_would_come_back_different_are_parsed_from_the_text() -> None:
    data = {"t": (1, 2), "m": {3: "x"}, "e": Level.LOW, "w": Word("w"), "ok": [True, 0.5]}
    [item] = prepare("ROOM", [Entry(1, "actor", "op", "test.entry", data)])
    assert _exact(item.data) == _exact(
        {"t": [1, 2], "m": {"3": "x"}, "e": 1, "w": "w", "ok": [True, 0.5]}
    )


def test_a_private_record_that_is_no_mapping_is_refused() -> None:
    entry = Entry(1, "actor", "op", "test.entry", {}, ["not", "a", "mapping"])  # type: ignore[arg-type]
    try:
        prepare("ROOM", [entry])
    except EntryRefused as refused:
        assert refused.index == 0
    else:
        raise AssertionError("a list was accepted as a private record")
