"""Publishing the transcript (op `room.publish` -> `room.transcript_published`): given/when/then."""

from __future__ import annotations

from moderation.roles import Role
from rooms import from_snapshot, snapshot_view, to_snapshot
from rooms.events import TranscriptPublished
from tests.rooms.harness import ORG, Room


def test_the_organiser_publishes_and_it_is_audited() -> None:
    room = Room()
    room.do(ORG, "room.close")
    assert room.state.transcript_public is False
    assert room.do(ORG, "room.publish") == {}
    assert room.state.transcript_public is True
    entry = room.state.audit[-1]
    assert (entry.action, entry.actor, entry.after) == (
        "room.transcript_published",
        ORG,
        {"transcript_public": True},
    )
    view = snapshot_view(room.state, Role.ATTENDEE, None)
    assert view["room"]["transcript_public"] is True


def test_only_the_organiser_and_only_once() -> None:
    room = Room()
    room.join("alice")
    moderator = room.do(ORG, "moderator.add", name="Mo")["moderator_id"]
    assert room.refuse("alice", "room.publish") == "auth.forbidden"
    assert room.refuse(moderator, "room.publish", role=Role.MODERATOR) == "auth.forbidden"
    room.do(ORG, "room.close")
    room.do(ORG, "room.publish")
    assert room.refuse(ORG, "room.publish") == "room.already_published"


def test_publishing_while_the_room_is_live_is_refused() -> None:
    room = Room()
    assert room.refuse(ORG, "room.publish") == "room.not_closed"
    assert room.state.transcript_public is False
    room.do(ORG, "room.close")
    assert room.refuse(ORG, "poll.create", kind="single") == "room.closed"
    room.do(ORG, "room.publish")
    assert room.state.transcript_public and room.state.closed


def test_a_publish_decided_then_committed_while_open_is_refused_at_apply() -> None:
    room = Room()
    applied = room.commit(ORG, TranscriptPublished())
    assert applied.error is not None and applied.error.code == "room.not_closed"
    assert room.state.transcript_public is False


def test_a_room_whose_log_predates_sealing_cannot_be_published() -> None:
    room = Room()
    room.state.log_format = 1  # as a room.created entry without "format" replays
    room.do(ORG, "room.close")
    assert room.refuse(ORG, "room.publish") == "transcript.legacy"


def test_a_second_publish_committed_meanwhile_changes_nothing() -> None:
    room = Room()
    room.do(ORG, "room.close")
    first = room.decide(ORG, "room.publish")
    second = room.decide(ORG, "room.publish")
    assert room.commit(ORG, first).error is None
    applied = room.commit(ORG, second)
    assert applied.error is not None and applied.error.code == "room.already_published"
    assert len([e for e in room.state.audit if e.action == TranscriptPublished.TYPE]) == 1


def test_someone_else_cannot_publish_through_the_log() -> None:
    room = Room()
    room.join("alice")
    room.do(ORG, "room.close")
    applied = room.commit("alice", TranscriptPublished())
    assert applied.error is not None and applied.error.code == "auth.forbidden"
    assert room.state.transcript_public is False


def test_the_flag_survives_a_snapshot() -> None:
    room = Room()
    room.do(ORG, "room.close")
    room.do(ORG, "room.publish")
    again = from_snapshot(to_snapshot(room.state))
    assert again.transcript_public is True
    old = to_snapshot(Room().state)
    del old["transcript_public"]  # snapshots written before the flag existed
    assert from_snapshot(old).transcript_public is False


def test_erasure_by_oneself_or_by_the_organiser_and_a_later_rejoin() -> None:
    room = Room(districts=["North"])
    room.join("alice", district="North")
    room.join("bob")
    assert room.do("alice", "participant.erase") == {"participant_id": "alice"}
    alice = room.state.participants["alice"]
    assert (alice.name, alice.district, alice.erased) == (None, None, True)
    assert room.refuse("alice", "participant.forget", participant_id="bob") == "auth.forbidden"
    room.do(ORG, "room.close")
    room.do(ORG, "participant.forget", participant_id="bob")  # a closed room still erases
    assert room.state.participants["bob"].erased
    assert room.refuse(ORG, "participant.forget", participant_id="zed") == (
        "participant.not_found"
    )
    again = from_snapshot(to_snapshot(room.state))
    assert again.participants["alice"].erased and again.participants["alice"].name is None


def test_a_name_given_again_after_an_erasure_stands() -> None:
    room = Room()
    room.join("alice")
    room.do("alice", "participant.erase")
    room.do("alice", "participant.join", name="Alice B")
    person = room.state.participants["alice"]
    assert person.name == "Alice B" and not person.erased
