"""The typed ops and frames (server/edge/wire_types.py) against the reducer that decides.

Every op of the role table has a type; every frame the views emit fits its frame type; and
for a sample of ops, the typed validation refuses exactly what the reducer refuses for its
shape (`field.missing`, `field.invalid`, `text.invalid`) and accepts what it accepts.
"""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.audit import REJECT_REASONS
from moderation.roles import OPS, Role
from rooms import CommandError, apply, decide, new_room
from rooms.poll_ops import MAX_DURATION_S
from rooms.settings import BOOL_SETTINGS, INT_SETTINGS
from rooms.views import personal_frames, view_frames
from server.edge.wire_frames import FRAME_TYPES
from server.edge.wire_types import OP_TYPES, WireError, check_op
from tests.rooms.harness import ORG, Room

SHAPE = {"field.missing", "field.invalid", "text.invalid"}


def test_every_op_of_the_role_table_has_a_type_named_for_it() -> None:
    assert set(OP_TYPES) == set(OPS)
    for op, kind in OP_TYPES.items():
        assert kind.__struct_config__.tag == op
        assert "op_id" in kind.__struct_fields__


def test_a_typed_op_decodes_from_the_wire_and_refuses_what_does_not_fit() -> None:
    vote = msgspec.json.decode(b'{"op": "vote", "op_id": "v-1", "poll_id": 3, "choice": 0}')
    typed = check_op(vote)
    assert isinstance(typed, OP_TYPES["vote"])
    assert typed.poll_id == 3  # type: ignore[attr-defined]
    for bad in (
        {"op": "vote", "op_id": "v-1", "poll_id": True, "choice": 0},  # a bool is not an id
        {"op": "vote", "op_id": "v-1", "poll_id": 2**53 + 1, "choice": 0},
        {"op": "vote", "op_id": "", "poll_id": 3, "choice": 0},
        {"op": "question.ask", "op_id": "q", "text": "a\x00b"},
        {"op": "poll.open", "op_id": "p", "poll_id": 1, "duration_s": 0},
    ):
        with pytest.raises(WireError) as refused:
            check_op(bad)
        assert refused.value.code == "field.invalid"
    with pytest.raises(WireError) as unknown:
        check_op({"op": "poll.explode", "op_id": "x"})
    assert unknown.value.code == "op.unknown"


def _meeting() -> Room:
    room = Room(downvotes=True, moderation="pre")
    room.join("ann", "bob", "cy")
    asked = room.ask("ann", "Where is the library?")
    single = room.poll("single", open_=False)
    room.do("bob", "speaker.request", topic="Parks")
    room.do(ORG, "speaker.next")
    room.do("ann", "speaker.request", topic="Roads")
    answer = room.do("bob", "vote", poll_id=room.poll("open"), choice="More parks please")
    room.do(ORG, "answer.approve", answer_id=answer["answer_id"])
    room.do("bob", "question.upvote", question_id=asked)
    room.do(ORG, "question.label", question_id=asked, labels=["parks"])
    room.do(ORG, "question.pin", question_id=asked)
    room.do(ORG, "question.answer", question_id=asked, text="Downtown.")
    qid = room.ask("bob", "Why?", approve=False)
    room.do(ORG, "question.reject", question_id=qid, reason="off_topic")
    room.do(ORG, "participant.ban", participant_id="bob", reason="abusive")
    room.do(ORG, "moderator.add", name="Mo")
    room.do("ann", "react", emoji=next(iter(("👍",))))
    room.do(ORG, "poll.open", poll_id=single)
    room.do("ann", "vote", poll_id=single, choice=0)
    room.do(ORG, "poll.close", poll_id=single)
    room.do(ORG, "room.update", title="Renamed", settings={"reactions": False})
    room.poll("rating", open_=False)  # a draft, for poll.open
    return room


def test_every_frame_the_views_emit_fits_its_frame_type() -> None:
    room = _meeting()
    state = new_room()
    seen: set[str] = set()
    for record in room.records:
        applied = apply(state, record)
        frames = [
            frame
            for role in (Role.ORGANISER, Role.ATTENDEE, Role.SCREEN, Role.EMBED)
            for frame in view_frames(state, role, applied.changes)
        ]
        frames += [frame for _, frame in personal_frames(state, applied.changes)]
        for frame in frames:
            kind = FRAME_TYPES[frame["type"]]  # a KeyError names an undeclared frame
            msgspec.convert({**frame, "seq": state.seq}, kind, strict=True)
            seen.add(frame["type"])
    # Enough of the frame catalogue was exercised for this to mean something.
    assert {"poll.tally", "question.approved", "speaker.queue", "moderation.queue"} <= seen
    assert len(seen) >= 20


# -- the typed validation and the reducer refuse the same shapes ---------------------------

ROOM = _meeting()

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
)
texts = st.one_of(
    st.sampled_from(["Is it ok?", "Parks", "a\x00", "\ud800", "tab\tok", "¿Dónde?"]),
    st.text(max_size=40),
)
ids = st.one_of(
    st.sampled_from(sorted(ROOM.state.questions)), st.integers(min_value=-2, max_value=2**53 + 2)
)
DRAFT = max(ROOM.state.polls)
poll_ids = st.one_of(st.just(DRAFT), ids)


def bounded(lo: int, hi: int) -> st.SearchStrategy[int]:
    """Integers around a range, its edges (and just past them) often."""
    return st.one_of(st.sampled_from([lo - 1, lo, hi, hi + 1]), st.integers(lo - 1, hi + 1))


reasons = st.one_of(st.sampled_from(REJECT_REASONS), anything)


def _settings() -> st.SearchStrategy[dict[str, Any]]:
    optional: dict[str, st.SearchStrategy[Any]] = {
        "moderation": st.one_of(st.sampled_from(["pre", "post", "maybe"]), anything),
        "access_code": st.one_of(st.sampled_from(["", "1234", "has space"]), anything),
        "language": st.one_of(st.sampled_from(["", "es", "pt-BR", "e"]), anything),
    }
    optional.update({name: st.one_of(st.booleans(), anything) for name in BOOL_SETTINGS})
    optional.update(
        {name: st.one_of(bounded(lo, hi), anything) for name, (lo, hi) in INT_SETTINGS.items()}
    )
    return st.fixed_dictionaries({}, optional=optional)


def _fields(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Every field present with a value of its kind, or anything, or left out."""
    return st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(value, anything) for name, value in {**required, **optional}.items()
        },
    )


SAMPLE: dict[str, tuple[str, st.SearchStrategy[Any]]] = {
    "question.ask": (
        "ann",
        _fields(
            {"text": texts},
            {"anonymous": st.booleans(), "lang": st.sampled_from(["", "es", " pt-BR ", "x1"])},
        ),
    ),
    "question.upvote": ("cy", _fields({"question_id": ids}, {})),
    "question.hide": (ORG, _fields({"question_id": ids}, {"reason": reasons})),
    "question.label": (
        ORG,
        _fields(
            {
                "question_id": ids,
                "labels": st.lists(
                    st.one_of(st.sampled_from(["parks", "roads"]), texts), max_size=12
                ),
            },
            {},
        ),
    ),
    "poll.open": (
        ORG,
        _fields(
            {"poll_id": poll_ids},
            {"duration_s": bounded(1, MAX_DURATION_S)},
        ),
    ),
    "participant.unban": (ORG, _fields({"participant_id": st.one_of(texts, st.just("bob"))}, {})),
    "speaker.request": ("cy", _fields({}, {"topic": texts})),
    "links.rotate": (ORG, _fields({"link": st.sampled_from(["screen", "embed", "x"])}, {})),
    "room.update": (ORG, _fields({}, {"title": texts, "settings": _settings()})),
}


def _reducer_code(actor: str, op: str, fields: dict[str, Any]) -> str | None:
    try:
        decide(ROOM.state, op, fields, ROOM.ctx(actor), ROOM.filters)
    except CommandError as refused:
        return refused.code
    return None


def _typed_ok(op: str, fields: dict[str, Any]) -> bool:
    try:
        check_op({**fields, "op": op, "op_id": "x-1"})
    except WireError:
        return False
    return True


@pytest.mark.parametrize("op", sorted(SAMPLE))
def test_typed_validation_refuses_what_the_reducer_refuses_for_its_shape(op: str) -> None:
    actor, strategy = SAMPLE[op]
    outcomes: set[str] = set()

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(strategy)
    def agree(fields: dict[str, Any]) -> None:
        code = _reducer_code(actor, op, fields)
        typed = _typed_ok(op, fields)
        if code is None:
            assert typed, f"the reducer accepts {fields!r}, the type refuses it"
            outcomes.add("accepted")
        elif code in SHAPE:
            assert not typed, f"the reducer refuses {fields!r} ({code}), the type accepts it"
            outcomes.add("refused")

    agree()
    # Both sides of the equivalence were reached (else the test would prove nothing).
    assert outcomes == {"accepted", "refused"}, (op, outcomes)
