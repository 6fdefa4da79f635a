"""Item 6 (fuzz): the frame decoder and the command validator, fed anything.

`decode_frame` may only raise FrameError; `decide` may only raise CommandError (or return one
event) and never changes the state, for every op, every role, any fields."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import msgpack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.roles import Role
from rooms import CommandError, Context, decide, to_snapshot
from rooms.reducer import DECIDERS
from server.live.codec import Encoding, FrameError, decode_frame
from tests.rooms.harness import ORG, Room

FIELD_NAMES = sorted(
    {
        "poll_id", "choice", "kind", "question", "options", "text", "anonymous", "question_id",
        "reason", "participant_id", "moderator_id", "name", "district", "access_code", "emoji",
        "topic", "labels", "answer_id", "settings", "title", "code", "count", "codes",
        "attendee_code", "duration_s", "closes_at", "allow_changes", "max_selections", "scale",
        "max_words", "total", "caps", "role", "op", "op_id",
    }
)  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.sampled_from([0, 1, 2, 3, 4, 5, -1, 2**53, 2**63, 10**30])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.sampled_from(["", "0", "1", "single", "open", "budget", "abusive", "👍", "x" * 3000])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
field_dicts = st.dictionaries(
    st.sampled_from(FIELD_NAMES) | st.text(max_size=8), values, max_size=8
)


def _room() -> Room:
    room = Room(moderation="post")
    room.join("ana", "ben")
    for kind in ("single", "multiple", "rating", "wordcloud", "open", "ranking", "budget"):
        extra: dict[str, Any] = {"total": 10} if kind == "budget" else {}
        room.poll(kind, **extra)
    room.poll("single", open_=False)
    room.ask("ana", "Why is the bus late?")
    room.do(ORG, "moderator.add", name="Deputy")
    return room


ROOM = _room()
ACTORS = [(ORG, Role.ORGANISER), ("m_x", Role.MODERATOR), ("ana", Role.ATTENDEE),
          ("ghost", Role.ATTENDEE), ("screen", Role.SCREEN), ("embed", Role.EMBED)]  # fmt: skip
FROZEN = to_snapshot(ROOM.state)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    op=st.sampled_from(sorted(DECIDERS)) | st.text(max_size=12),
    fields=field_dicts,
    who=st.sampled_from(ACTORS),
)
def test_decide_raises_only_command_errors_and_never_mutates(
    op: str, fields: dict[str, Any], who: tuple[str, Role]
) -> None:
    actor, role = who
    with contextlib.suppress(CommandError):
        decide(ROOM.state, op, fields, Context(actor, role, 1_800_000_000_000, "fz"), ROOM.filters)
    assert to_snapshot(ROOM.state) == FROZEN


@settings(max_examples=300, deadline=None)
@given(op=st.sampled_from(sorted(DECIDERS)), fields=field_dicts)
def test_decide_on_a_fresh_room_for_every_op(op: str, fields: dict[str, Any]) -> None:
    room = Room(create=False)
    before = to_snapshot(room.state)
    with contextlib.suppress(CommandError):
        decide(room.state, op, fields, Context(ORG, Role.ORGANISER, 1, "fz"), room.filters)
    assert to_snapshot(room.state) == before


def _decode(text: str | None, data: bytes | None, encoding: Encoding) -> None:
    try:
        frame = decode_frame(text, data, encoding)
    except FrameError as error:
        assert error.code in ("frame.invalid", "field.missing", "field.invalid", "text.invalid")
        assert error.close_code in (None, 1003)
        return
    assert isinstance(frame, dict) and isinstance(frame["op"], str)


@settings(max_examples=500, deadline=None)
@given(text=st.text(max_size=300))
def test_decode_any_text(text: str) -> None:
    _decode(text, None, Encoding.JSON)


@settings(max_examples=500, deadline=None)
@given(data=st.binary(max_size=300))
def test_decode_any_bytes(data: bytes) -> None:
    _decode(None, data, Encoding.MSGPACK)
    _decode(None, data, Encoding.JSON)  # binary on a JSON socket: 1003


@settings(max_examples=400, deadline=None)
@given(obj=values | field_dicts)
def test_decode_any_structure_in_both_encodings(obj: Any) -> None:
    try:
        text = json.dumps(obj)
    except ValueError:
        text = None
    if text is not None:
        _decode(text, None, Encoding.JSON)
    try:
        packed = msgpack.packb(obj)
    except (OverflowError, ValueError, TypeError):
        return
    _decode(None, packed, Encoding.MSGPACK)
    _decode(packed.decode("latin-1"), None, Encoding.MSGPACK)  # text on msgpack: 1003


def test_decode_hostile_classics() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    cases = [
        deep,
        '{"op": "x", "op_id": "y", "a": ' + deep + "}",
        '{"op": "vote", "op_id": "v", "poll_id": 1' + "0" * 5000 + "}",  # > int digit limit
        '{"op": "vote", "op_id": "v", "choice": 1e999}',
        '{"op": "vote", "op_id": "v", "choice": NaN}',
        '{"op": "' + "o" * 100 + '", "op_id": "v"}',
        '{"op": "vote", "op_id": "' + "i" * 65 + '"}',
        "\ud800",
        "",
        "null",
        '"string"',
    ]
    for text in cases:
        _decode(text, None, Encoding.JSON)
    for data in [
        b"\xc1",  # never-used msgpack byte
        b"\xdd\xff\xff\xff\xff",  # array32 claiming 4 billion items
        b"\xdf\xff\xff\xff\xff",  # map32 likewise
        b"\x91" * 10_000 + b"\xc0",  # deep nesting
        msgpack.packb({"op": "x", "op_id": "y", 1: 2}),  # int map key
        msgpack.packb({"op": "x", "op_id": "y", "b": b"bytes"}),
        msgpack.packb({"op": "x", "op_id": "y", "t": msgpack.ExtType(1, b"e")}),
        msgpack.packb({"op": "x", "op_id": "y"}) + b"trailing",
    ]:
        _decode(None, data, Encoding.MSGPACK)
