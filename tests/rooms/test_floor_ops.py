"""The speaker queue and reactions."""

from __future__ import annotations

from rooms.events import SpeakerFinished
from rooms.floor_ops import REACTIONS, WINDOW_MS
from tests.rooms.harness import ORG, Room


def test_queue_next_skip_finish() -> None:
    room = Room(speaker_time_limit_s=90)
    room.join("alice", "bob", "carol")
    assert room.do("alice", "speaker.request", topic="Parks") == {"position": 1}
    room.do("bob", "speaker.request")
    room.do("carol", "speaker.request", topic="Buses")
    assert room.refuse("alice", "speaker.request") == "speaker.already_queued"
    assert room.do(ORG, "speaker.next") == {"participant_id": "alice"}
    floor = room.state.floor
    assert floor is not None and (floor.participant_id, floor.topic, floor.time_limit_s) == (
        "alice",
        "Parks",
        90,
    )
    assert room.refuse("alice", "speaker.request") == "speaker.already_queued"  # on the floor
    assert room.do(ORG, "speaker.skip") == {"participant_id": "bob"}
    assert list(room.state.queue) == ["carol"]
    room.do(ORG, "speaker.finish")
    assert room.state.floor is None
    assert room.refuse(ORG, "speaker.finish") == "speaker.no_floor"
    room.do("carol", "speaker.withdraw")
    assert room.refuse("carol", "speaker.withdraw") == "speaker.not_queued"
    assert room.refuse(ORG, "speaker.next") == "speaker.queue_empty"
    assert room.refuse(ORG, "speaker.skip") == "speaker.queue_empty"


def test_topic_rules() -> None:
    room = Room()
    room.join("alice")
    assert room.refuse("alice", "speaker.request", topic="x" * 281) == "text.too_long"
    assert room.refuse("alice", "speaker.request", topic=" " * 281) == "text.too_long"
    assert room.refuse("alice", "speaker.request", topic=5) == "field.invalid"


def test_two_moderators_call_the_same_person() -> None:
    room = Room()
    room.join("alice", "bob")
    room.do("alice", "speaker.request")
    room.do("bob", "speaker.request")
    first = room.decide(ORG, "speaker.next")
    second = room.decide(ORG, "speaker.next")
    skip = room.decide(ORG, "speaker.skip")
    room.commit(ORG, first)
    applied = room.commit(ORG, second)
    assert applied.error is not None and applied.error.code == "speaker.not_queued"
    assert room.commit(ORG, skip).error is not None
    assert list(room.state.queue) == ["bob"]  # bob was not called by mistake


def test_queue_races() -> None:
    room = Room()
    room.join("alice")
    request = room.decide("alice", "speaker.request")
    room.commit("alice", request)
    assert room.commit("alice", request, op_id="x").error is not None
    withdraw = room.decide("alice", "speaker.withdraw")
    room.commit("alice", withdraw)
    assert room.commit("alice", withdraw, op_id="y").error is not None
    applied = room.commit(ORG, SpeakerFinished(participant_id="alice"))
    assert applied.error is not None and applied.error.code == "speaker.no_floor"


def test_reactions_count_per_window() -> None:
    room = Room()
    room.join("alice", "bob")
    room.do("alice", "react", emoji="👍")
    room.do("bob", "react", emoji="👍")
    room.now += WINDOW_MS
    room.do("bob", "react", emoji="👏")
    windows = sorted(room.state.reactions)
    assert len(windows) == 2 and room.state.reaction_window == windows[-1]
    assert room.state.reactions[windows[0]] == {"👍": 2}
    assert room.refuse("bob", "react", emoji="🦄") == "reaction.invalid"
    assert room.refuse("bob", "react") == "field.missing"
    assert len(REACTIONS) == 6


def test_reactions_off() -> None:
    room = Room()
    room.join("alice")
    react = room.decide("alice", "react", emoji="👍")
    room.do(ORG, "room.update", settings={"reactions": False})
    assert room.refuse("alice", "react", emoji="👍") == "reaction.disabled"
    applied = room.commit("alice", react)
    assert applied.error is not None and applied.error.code == "reaction.disabled"
    assert room.state.reactions == {}
