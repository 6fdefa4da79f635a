"""The room log without a store, a socket or an event loop: intake, batching, ordered apply,
and who gets which answer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moderation.filters import DEFAULT_FILTERS
from moderation.roles import Role
from rooms import CommandError, Context, to_snapshot
from server.live.room_log import Gap, Pending, RoomLog
from server.live.stats import Stats
from server.store.base import Committed
from tests.rooms.harness import Room

AT = 1_800_000_000_000


def _room() -> tuple[RoomLog[str], int]:
    room = Room()
    poll = room.poll()
    room.join("ana", "ben")
    return RoomLog(room.state, Stats(), recent_ops=100), poll


def _vote(room_log: RoomLog[str], who: str, op_id: str, poll: int, waiter: str) -> None:
    ctx = Context(who, Role.ATTENDEE, AT, op_id)
    event = room_log.decide("vote", {"poll_id": poll, "choice": 0}, ctx, DEFAULT_FILTERS)
    room_log.queue(event, ctx, waiter, received=0.0)


def _store(room_log: RoomLog[str], batch: list[Pending[str]]) -> list[Committed]:
    """What an append answers: each entry at the next seq, hashed (any string will do here)."""
    head = room_log.state.seq
    return [
        Committed(
            "TOWN", head + i, p.entry.at, p.entry.actor, p.entry.op_id, p.entry.type,
            p.entry.data, "prev", f"hash-{head + i}",
        )
        for i, p in enumerate(batch, start=1)
    ]  # fmt: skip


def test_a_vote_is_queued_appended_applied_and_acked_with_its_receipt() -> None:
    room_log, poll = _room()
    _vote(room_log, "ana", "v1", poll, waiter="ana's future")
    assert room_log.inflight == {("ana", "v1"): "ana's future"}
    batch = room_log.take(10)
    assert [p.key for p in batch] == [("ana", "v1")] and room_log.inbox == []
    committed = _store(room_log, batch)
    for entry in committed:
        assert room_log.apply(entry) is not None
    [(pending, outcome)] = room_log.settle(batch, committed)
    assert pending.waiter == "ana's future"
    assert outcome.error is None and outcome.seq == committed[0].seq
    assert outcome.receipt == committed[0].hash == room_log.last_hash
    assert room_log.inflight == {} and room_log.results == {}
    assert any(change.kind == "poll" for change in room_log.changes)
    assert room_log.stats.acked == 1


def test_a_retry_after_the_ack_is_answered_from_memory_as_a_duplicate() -> None:
    room_log, poll = _room()
    _vote(room_log, "ana", "v1", poll, waiter="first")
    batch = room_log.take(10)
    committed = _store(room_log, batch)
    room_log.apply(committed[0])
    room_log.settle(batch, committed)
    again = room_log.answered(("ana", "v1"))
    assert again is not None and again.duplicate and again.seq == committed[0].seq


def test_an_op_the_store_already_held_gets_its_first_answer() -> None:
    room_log, poll = _room()
    _vote(room_log, "ana", "v1", poll, waiter="w")
    batch = room_log.take(10)
    first = _store(room_log, batch)[0]
    room_log.apply(first)  # committed by another process, applied from the broker
    earlier = replace(first, earlier=True)  # what append answers for a known op_id
    [(_, outcome)] = room_log.settle(batch, [earlier])
    assert outcome.duplicate and outcome.seq == first.seq and outcome.receipt == first.hash


def test_entries_apply_in_seq_order_only() -> None:
    room_log, poll = _room()
    head = room_log.state.seq
    _vote(room_log, "ana", "v1", poll, waiter="a")
    _vote(room_log, "ben", "v2", poll, waiter="b")
    one, two = _store(room_log, room_log.take(10))
    with pytest.raises(Gap) as gap:
        room_log.apply(two)
    assert gap.value.needed == head + 1 and room_log.state.seq == head  # nothing changed
    assert room_log.apply(one) is not None and room_log.apply(two) is not None
    assert room_log.apply(one) is None  # an echo of what is applied already
    assert room_log.state.seq == head + 2


def test_a_failed_batch_answers_each_op_with_the_error_and_forgets_them() -> None:
    room_log, poll = _room()
    _vote(room_log, "ana", "v1", poll, waiter="a")
    _vote(room_log, "ben", "v2", poll, waiter="b")
    failed = room_log.fail(room_log.take(10), CommandError("server.unavailable"))
    assert [(p.waiter, o.error.code if o.error else None) for p, o in failed] == [
        ("a", "server.unavailable"),
        ("b", "server.unavailable"),
    ]
    assert room_log.inflight == {}
    assert room_log.stats.refused == {"server.unavailable": 2}


def test_a_refused_op_changes_nothing_and_queues_nothing() -> None:
    room_log, poll = _room()
    ctx = Context("ana", Role.ATTENDEE, AT, "v1")
    with pytest.raises(CommandError) as refused:
        room_log.decide("vote", {"poll_id": poll + 99, "choice": 0}, ctx, DEFAULT_FILTERS)
    assert refused.value.code == "poll.not_found"
    assert room_log.inbox == [] and room_log.inflight == {}


def test_our_own_committed_entries_apply_as_decided_without_rebuilding_them() -> None:
    """The same votes through both ways of applying (the event as decided, or rebuilt from
    the stored entry as another process would) leave the same room."""
    rooms = [_room(), _room()]
    for (room_log, poll), local in zip(rooms, (True, False), strict=True):
        for i, who in enumerate(("ana", "ben", "ana")):
            _vote(room_log, who, f"v{i}", poll, waiter=who)
        batch = room_log.take(10)
        committed = _store(room_log, batch)
        if local:
            room_log.keep_local(batch, committed)
            assert sorted(room_log.local) == [c.seq for c in committed]
        for entry in committed:
            room_log.apply(entry)
        assert room_log.local == {}
        outcomes = [outcome for _, outcome in room_log.settle(batch, committed)]
        assert all(outcome.error is None for outcome in outcomes)
    assert to_snapshot(rooms[0][0].state) == to_snapshot(rooms[1][0].state)


def test_a_local_event_is_used_only_for_the_entry_the_store_gave_that_seq() -> None:
    room_log, poll = _room()
    _vote(room_log, "ana", "v1", poll, waiter="w")
    batch = room_log.take(10)
    committed = _store(room_log, batch)
    room_log.keep_local(batch, committed)
    # Another process's entry at that seq (a different hash): rebuilt from the entry itself.
    theirs = replace(committed[0], hash="someone-else", actor="ben", op_id="b1")
    applied = room_log.apply(theirs)
    assert applied is not None and room_log.state.ops.result(("ben", "b1")) is not None
    assert room_log.state.ops.result(("ana", "v1")) is None
