"""A name is fixed once it stands beside something the room can see (rooms/names.py)."""

from __future__ import annotations

from rooms import Record, apply
from tests.rooms.harness import ORG, Room


def test_a_name_may_change_until_the_person_has_public_content() -> None:
    room = Room()
    room.join("ana")
    room.do("ana", "participant.join", name="Ana Lopez")  # fixing a typo: fine
    qid = room.ask("ana", "When will the bus come?", approve=False)
    room.do("ana", "participant.join", name="Ana L.")  # only moderators have seen it
    room.do(ORG, "question.approve", question_id=qid)
    assert room.refuse("ana", "participant.join", name="Mayor Smith (OFFICIAL)") == "name.locked"
    assert room.state.participants["ana"].name == "Ana L."
    # Joining again under the same name (or none, or another district) is still a re-join.
    room.do("ana", "participant.join", name="Ana L.")
    room.do("ana", "participant.join")


def test_a_place_in_the_speaker_queue_or_on_the_floor_locks_the_name() -> None:
    room = Room()
    room.join("ana")
    room.do("ana", "speaker.request", topic="Buses")
    assert room.refuse("ana", "participant.join", name="Mayor") == "name.locked"
    room.do(ORG, "speaker.next")
    assert room.refuse("ana", "participant.join", name="Mayor") == "name.locked"
    room.do(ORG, "speaker.finish")
    room.do("ana", "participant.join", name="Ana again")  # nothing of theirs is on show now


def test_an_approved_open_answer_locks_the_name() -> None:
    room = Room()
    room.join("ana")
    poll = room.poll("open")
    answer = room.do("ana", "vote", poll_id=poll, choice="More trees")["answer_id"]
    room.do("ana", "participant.join", name="Still free")
    room.do(ORG, "answer.approve", answer_id=answer)
    assert room.refuse("ana", "participant.join", name="Mayor") == "name.locked"


def test_an_anonymous_question_does_not_lock_the_name() -> None:
    room = Room()
    room.join("ana")
    room.ask("ana", "Who pays?", anonymous=True)
    room.do("ana", "participant.join", name="Ana")


def test_a_rename_decided_before_an_approval_and_applied_after_it_is_refused() -> None:
    room = Room()
    room.join("ana")
    qid = room.ask("ana", "When?", approve=False)
    rename = room.decide("ana", "participant.join", name="Mayor Smith (OFFICIAL)")
    room.do(ORG, "question.approve", question_id=qid)  # committed first
    applied = apply(room.state, Record(room.state.seq + 1, room.now, "ana", "late", rename))
    assert applied.error is not None and applied.error.code == "name.locked"
    assert room.state.participants["ana"].name == "Ana"
