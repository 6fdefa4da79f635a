"""apply's contract: contiguous seq, op_id dedup, totality, audit entries."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from rooms import Change, Event, Record, apply, to_snapshot
from rooms.events import ReactionSent
from tests.rooms.harness import ORG, Room


def test_seq_must_follow() -> None:
    room = Room()
    with pytest.raises(ValueError, match="does not follow"):
        apply(room.state, Record(5, 0, ORG, "x", ReactionSent(emoji="👍")))
    assert room.state.seq == 1


def test_unknown_event_class_is_a_server_bug() -> None:
    @dataclass(frozen=True, slots=True)
    class Stray(Event):
        TYPE = "stray.happened"

    room = Room()
    with pytest.raises(ValueError, match="no applier"):
        apply(room.state, Record(2, 0, ORG, "x", Stray()))


def test_same_op_id_applies_once_and_returns_the_first_result() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll()
    first = room.do("alice", "vote", op_id="v1", poll_id=poll_id, choice=0)
    assert room.state.recall("alice", "v1") == (room.state.seq, first)
    before = to_snapshot(room.state)
    event = room.decide("alice", "vote", poll_id=poll_id, choice=2)
    applied = room.commit("alice", event, op_id="v1")
    assert applied.duplicate and applied.result == first and applied.changes == ()
    before["seq"] = room.state.seq
    assert to_snapshot(room.state) == before
    # The same op_id from someone else is a different op.
    room.join("bob")
    room.do("bob", "vote", op_id="v1", poll_id=poll_id, choice=1)


def test_results_are_copies() -> None:
    room = Room()
    room.join("alice")
    result = room.do("alice", "react", op_id="r1", emoji="👍")
    result["type"] = "ack"  # the hub decorating its ack must not touch state
    assert room.state.recall("alice", "r1") == (room.state.seq, {})


def test_empty_op_ids_are_not_deduplicated() -> None:
    room = Room()
    room.join("alice")
    for _ in range(2):
        ctx = room.ctx("alice")
        record = Record(room.state.seq + 1, ctx.at, "alice", "", ReactionSent(emoji="👍"))
        assert not apply(room.state, record).duplicate
    assert sum(sum(c.values()) for c in room.state.reactions.values()) == 2


def test_lost_race_changes_only_seq() -> None:
    room = Room()
    room.join("alice")
    event = room.decide("alice", "speaker.request")
    room.commit("alice", event)
    before = to_snapshot(room.state)
    applied = room.commit("alice", event, op_id="again")
    assert applied.error is not None and applied.error.code == "speaker.already_queued"
    assert applied.result == {} and applied.changes == () and not applied.duplicate
    after = to_snapshot(room.state)
    before["seq"], before["ops"] = room.state.seq, after["ops"]
    assert after == before
    # Its op_id is taken in the transcript: a retry hears the same refusal, not a new verdict.
    assert room.state.recall("alice", "again") is None
    assert room.state.ops.refusal(("alice", "again")) == (room.state.seq, "speaker.already_queued")
    retried = room.commit("alice", event, op_id="again")
    assert retried.duplicate and retried.error is not None
    assert retried.error.code == "speaker.already_queued" and retried.changes == ()


def test_moderator_actions_are_audited_and_reported_as_changes() -> None:
    room = Room()
    room.do(ORG, "moderator.add", name="Mo")
    result_changes = room.commit(ORG, room.decide(ORG, "poll.create", kind="rating", question="Q?"))
    assert Change("poll", result_changes.seq, "poll.created") in result_changes.changes
    assert Change("moderation", 2, "poll.created") in result_changes.changes
    entry = room.state.audit[-1]
    assert (entry.actor, entry.action, entry.target) == (
        ORG,
        "poll.created",
        f"poll:{result_changes.seq}",
    )
    assert entry.after["kind"] == "rating"
    assert [e.action for e in room.state.audit] == [
        "room.created",
        "moderator.added",
        "poll.created",
    ]


def test_attendee_actions_are_not_audited() -> None:
    room = Room()
    room.join("alice")
    assert [e.action for e in room.state.audit] == ["room.created"]


def test_attendee_events_need_a_participant_in_apply() -> None:
    room = Room()
    applied = room.commit("ghost", ReactionSent(emoji="👍"))
    assert applied.error is not None and applied.error.code == "participant.not_found"


def test_a_changed_wordcloud_ballot_uncounts_its_words() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll("wordcloud")
    room.do("alice", "vote", poll_id=poll_id, choice="sun")
    room.do("alice", "vote", poll_id=poll_id, choice="rain")
    assert room.state.polls[poll_id].tally.words == {"rain": 1}


def test_a_second_edit_keeps_the_first_original() -> None:
    room = Room()
    room.join("alice")
    qid = room.ask("alice", "first", approve=False)
    room.do(ORG, "question.approve", question_id=qid, text="second")
    room.do(ORG, "question.hide", question_id=qid)
    room.do(ORG, "question.approve", question_id=qid, text="third")
    q = room.state.questions[qid]
    assert (q.text, q.original_text) == ("third", "first")
