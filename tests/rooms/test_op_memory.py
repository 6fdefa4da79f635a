"""The room's memory of op_ids: bounded, seq-ordered, rebuilt exactly by replay."""

from __future__ import annotations

import json

import pytest

from rooms import apply, from_snapshot, new_room, to_snapshot
from rooms.op_memory import RECENT_OPS, OpMemory
from tests.rooms.harness import ORG, Room


def test_keeps_only_the_newest_results_and_counts_the_rest() -> None:
    memory = OpMemory(window=3)
    for n in range(1, 6):
        memory.remember(("a", f"o{n}"), n, {"n": n})
    assert [key for key in memory.results] == [("a", "o3"), ("a", "o4"), ("a", "o5")]
    assert list(memory.order) == list(memory.results)
    assert memory.result(("a", "o2")) is None and memory.result(("a", "o5")) == (5, {"n": 5})
    assert memory.forgotten == 2


def test_refusals_are_kept_whatever_the_window() -> None:
    memory = OpMemory(window=1)
    memory.remember_refusal(("a", "lost"), 1, "vote.duplicate")
    for n in range(2, 10):
        memory.remember(("a", f"o{n}"), n, {})
    assert memory.refusal(("a", "lost")) == (1, "vote.duplicate")
    assert len(memory.results) == 1


def test_resize_trims_at_once_and_refuses_nonsense() -> None:
    memory = OpMemory()
    for n in range(1, 11):
        memory.remember(("a", f"o{n}"), n, {})
    memory.resize(4)
    assert len(memory.results) == 4 and memory.forgotten == 6
    with pytest.raises(ValueError):
        memory.resize(0)


def test_default_window() -> None:
    assert OpMemory().window == RECENT_OPS == 10_000


def test_a_busy_room_stays_bounded_and_old_op_ids_fall_out() -> None:
    room = Room()
    room.state.ops.resize(50)
    room.join("alice")
    for n in range(200):
        room.do("alice", "react", op_id=f"r{n}", emoji="👍")
    assert len(room.state.ops.results) == 50
    assert room.state.recall("alice", "r0") is None  # the store answers for it now
    assert room.state.recall("alice", "r199") is not None
    assert room.state.ops.forgotten == 1 + 1 + 200 - 50  # create, join, reactions


def test_replay_and_snapshots_rebuild_the_same_memory() -> None:
    room = Room()
    room.state.ops.resize(7)
    room.join("alice", "bob")
    poll_id = room.poll(allow_changes=False)
    first = room.decide("alice", "vote", poll_id=poll_id, choice=0)
    second = room.decide("alice", "vote", poll_id=poll_id, choice=1)  # both decided first
    room.commit("alice", first, op_id="v1")
    lost = room.commit("alice", second, op_id="v2")  # refused at apply: remembered for good
    assert lost.error is not None and lost.error.code == "vote.duplicate"
    for n in range(20):
        room.do("bob", "react", op_id=f"r{n}", emoji="👏")
    live = to_snapshot(room.state)
    assert len(live["ops"]["results"]) == 7
    assert live["ops"]["refusals"] == [["alice", "v2", lost.seq, "vote.duplicate"]]

    replayed = new_room()
    replayed.ops.resize(7)
    for record in room.records:
        apply(replayed, record)
    assert to_snapshot(replayed) == live
    middle = new_room()
    middle.ops.resize(7)
    for record in room.records[:9]:
        apply(middle, record)
    restored = from_snapshot(json.loads(json.dumps(to_snapshot(middle))))
    restored.ops.resize(7)
    for record in room.records[9:]:
        apply(restored, record)
    assert to_snapshot(restored) == live


def test_an_org_op_is_remembered_like_any_other() -> None:
    room = Room()
    created = room.state.recall(ORG, room.records[0].op_id)
    assert created is not None and created[0] == 1
