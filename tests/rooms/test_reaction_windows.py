"""Reactions counted per window: one `reactions.counted` entry stands for many taps."""

from __future__ import annotations

from moderation.roles import Role
from rooms import SYSTEM
from rooms.evaluation import evaluate
from rooms.reaction_windows import ReactionWindow
from rooms.render import reactions_view
from tests.rooms.harness import Room


def test_a_window_counts_per_emoji_and_caps_each_person() -> None:
    window = ReactionWindow(span_ms=500, per_person=2)
    assert [window.add("alice", "👍", 1_250) for _ in range(3)] == [True, True, False]
    assert window.add("bob", "👏", 1_400)
    assert window.take() == (1_000, {"👍": 2, "👏": 1})
    assert window.take() is None  # a fresh window
    assert window.add("alice", "👍", 1_600)  # her share starts again


def test_a_counted_window_shows_the_same_totals_as_one_entry_per_tap() -> None:
    taps = Room()
    taps.join("alice", "bob")
    for who, emoji in [("alice", "👍"), ("bob", "👍"), ("bob", "❤️")]:
        taps.do(who, "react", emoji=emoji)
    counted = Room()
    counted.join("alice", "bob")
    start = counted.now  # same window as the taps above
    counted.do(
        SYSTEM,
        "reactions.count",
        role=Role.ATTENDEE,
        window_start=start,
        counts={"👍": 2, "❤️": 1},
    )
    assert reactions_view(counted.state)["counts"] == reactions_view(taps.state)["counts"]
    a, b = evaluate(taps.records), evaluate(counted.records)
    assert a["reactions"] == b["reactions"] == {"total": 3, "by_emoji": {"👍": 2, "❤️": 1}}
    assert a["timeline"]["reactions"] == b["timeline"]["reactions"]
    assert sum(b["timeline"]["reactions"]) == 3


def test_a_window_s_counts_are_checked() -> None:
    # (only the server sends the op: the edge refuses it from clients, as participant.join)
    room = Room()
    system = {"role": Role.ATTENDEE}
    assert room.refuse(SYSTEM, "reactions.count", window_start=0, counts={"x": 1}, **system) == (
        "reaction.invalid"
    )
    assert room.refuse(SYSTEM, "reactions.count", window_start=0, counts={"👍": 0}, **system) == (
        "field.invalid"
    )
