"""to_snapshot / from_snapshot round-trip exactly, through JSON and msgpack."""

from __future__ import annotations

import json

import msgpack
import pytest

from rooms import apply, from_snapshot, new_room, to_snapshot
from rooms.polls import recount
from tests.rooms.harness import ORG, Room


def busy_room() -> Room:
    room = Room(downvotes=True)
    room.join("alice", "bob", "carol")
    mod = room.do(ORG, "moderator.add", name="Mo")["moderator_id"]
    polls = {
        k: room.poll(k)
        for k in ("single", "multiple", "rating", "wordcloud", "open", "ranking", "budget")
    }
    room.do("alice", "vote", poll_id=polls["ranking"], choice=[2, 1, 0])
    room.do("alice", "vote", poll_id=polls["budget"], choice={"1": 40})
    room.do("bob", "vote", poll_id=polls["wordcloud"], choice="sun rain")
    answer = room.do("bob", "vote", poll_id=polls["open"], choice="Parks")["answer_id"]
    room.do(mod, "answer.approve", answer_id=answer, text="More parks")
    qid = room.ask("alice", "Why?", anonymous=True)
    room.do("bob", "question.upvote", question_id=qid)
    room.do("carol", "question.downvote", question_id=qid)
    room.do(ORG, "question.label", question_id=qid, labels=["roads"])
    room.do(ORG, "question.pin", question_id=qid)
    room.do("carol", "speaker.request", topic="Parks")
    room.do("bob", "speaker.request", topic="Buses")
    room.do(ORG, "speaker.next")
    room.do("alice", "react", emoji="👍")
    room.do(ORG, "participant.ban", participant_id="carol", reason="spam")
    return room


def test_round_trip_is_exact() -> None:
    room = busy_room()
    snap = to_snapshot(room.state)
    assert json.loads(json.dumps(snap)) == snap
    assert msgpack.unpackb(msgpack.packb(snap), strict_map_key=True) == snap
    restored = from_snapshot(json.loads(json.dumps(snap)))
    assert to_snapshot(restored) == snap
    assert restored == room.state  # tallies recounted equal to the running ones
    for poll in restored.polls.values():
        assert poll.tally == recount(poll)
    assert restored.recall(ORG, room.records[-1].op_id) is not None


def test_replay_rebuilds_the_same_state() -> None:
    room = busy_room()
    state = new_room()
    for record in room.records:
        apply(state, record)
    assert to_snapshot(state) == to_snapshot(room.state)


def test_unknown_version() -> None:
    with pytest.raises(ValueError, match="version"):
        from_snapshot({"version": 99})
