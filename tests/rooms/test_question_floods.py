"""Per-person flood limits on asking: pending at once, and per minute (ctx.at, never a clock)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from rooms.errors import CommandError
from rooms.question_ops import MINUTE_MS
from tests.rooms.harness import ORG, Room


def test_pending_questions_are_capped_per_person() -> None:
    room = Room(questions_pending_max=3, questions_per_minute=60)
    room.join("alice", "bob")
    ids = [room.ask("alice", f"Question {i}?", approve=False) for i in range(3)]
    assert room.refuse("alice", "question.ask", text="One more?") == "question.too_many_pending"
    # someone else is not held back by alice's queue
    room.ask("bob", "Mine?", approve=False)
    # once a moderator decides one, alice may ask again
    room.do(ORG, "question.approve", question_id=ids[0])
    room.ask("alice", "One more?", approve=False)


def test_questions_per_minute_use_the_command_time() -> None:
    room = Room(moderation="post", questions_per_minute=2)
    room.join("alice")
    room.ask("alice", "First?")
    room.ask("alice", "Second?")
    assert room.refuse("alice", "question.ask", text="Third?") == "question.too_fast"
    room.now += MINUTE_MS  # a minute later by the commands' own clock
    room.ask("alice", "Third?")


def test_defaults_are_five_and_five() -> None:
    room = Room(moderation="post")
    room.join("alice")
    for i in range(5):
        room.ask("alice", f"Q{i}?")
    assert room.refuse("alice", "question.ask", text="Q5?") == "question.too_fast"
    pre = Room()
    pre.join("bob")
    for i in range(5):
        pre.ask("bob", f"Q{i}?", approve=False)
        pre.now += MINUTE_MS
    assert pre.refuse("bob", "question.ask", text="Q5?") == "question.too_many_pending"


def test_limits_are_settings_in_range() -> None:
    room = Room()
    room.do(ORG, "room.update", settings={"questions_pending_max": 20})
    assert room.state.settings.questions_pending_max == 20
    assert room.refuse(ORG, "room.update", settings={"questions_per_minute": 0}) == (
        "field.invalid"
    )


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=0, max_value=40_000), min_size=1, max_size=25),
    per_minute=st.integers(min_value=1, max_value=6),
    pending_max=st.integers(min_value=1, max_value=6),
)
def test_no_person_ever_exceeds_either_limit(
    gaps: list[int], per_minute: int, pending_max: int
) -> None:
    room = Room(questions_pending_max=pending_max, questions_per_minute=per_minute)
    room.join("alice")
    for i, gap in enumerate(gaps):
        room.now += gap
        try:
            room.do("alice", "question.ask", text=f"Question number {i}?")
        except CommandError as err:
            assert err.code in {"question.too_fast", "question.too_many_pending"}
        mine = [room.state.questions[q] for q in room.state.participants["alice"].questions]
        assert sum(q.state == "pending" for q in mine) <= pending_max
        times = [q.at for q in mine]
        for t in times:
            assert sum(t <= u < t + MINUTE_MS for u in times) <= per_minute
        if i % 3 == 2 and mine and mine[0].state == "pending":
            room.do(ORG, "question.approve", question_id=mine[0].id)
