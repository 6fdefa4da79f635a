"""Transcript lines back to records, and records back to the room they rebuild."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from rooms import event_to_dict, from_snapshot, to_snapshot
from rooms.records import Record
from rooms.transcript import record_from_dict, records_from_lines, records_of, replay
from tests.rooms.harness import ORG, Room


def line(record: Record) -> dict[str, Any]:
    """A transcript line as the store writes it (chain fields included, ignored here)."""
    return {
        "room": "TOWN",
        "seq": record.seq,
        "at": record.at,
        "actor": record.actor,
        "op_id": record.op_id,
        **event_to_dict(record.event),
        "prev": "0" * 64,
        "hash": "f" * 64,
    }


def meeting() -> Room:
    room = Room()
    room.join("alice", "bob")
    poll_id = room.poll("ranking")
    room.do("alice", "vote", poll_id=poll_id, choice=[2, 0, 1])
    qid = room.ask("bob", "Parks?")
    room.do("alice", "question.upvote", question_id=qid)
    room.do(ORG, "poll.close", poll_id=poll_id)
    return room


def test_a_line_round_trips_to_the_same_record() -> None:
    room = meeting()
    lines = [json.loads(json.dumps(line(r))) for r in room.records]
    assert [record_from_dict(d) for d in lines] == room.records


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"seq": 0}, "seq must be a positive integer"),
        ({"seq": True}, "seq must be a positive integer"),
        ({"seq": "3"}, "seq must be a positive integer"),
        ({"at": 1.5}, "at must be an integer"),
        ({"at": False}, "at must be an integer"),
        ({"actor": None}, "actor and op_id must be strings"),
        ({"op_id": 7}, "actor and op_id must be strings"),
        ({"type": "poll.exploded"}, "unknown event type"),
        ({"data": {"nope": 1}}, r"bad poll\.closed data"),
    ],
)
def test_a_malformed_line_is_a_value_error(change: dict[str, Any], message: str) -> None:
    good = line(meeting().records[-1])
    with pytest.raises(ValueError, match=message):
        record_from_dict({**good, **change})


def test_records_of_takes_store_entries_and_plain_lines() -> None:
    @dataclass
    class Stored:  # the shape of server.store.base.Committed, as far as records_of cares
        d: dict[str, Any]

        def to_dict(self) -> dict[str, Any]:
            return self.d

    room = meeting()
    lines = [line(r) for r in room.records]
    assert records_of(lines) == room.records
    assert records_of(Stored(d) for d in lines) == room.records


def test_replay_rebuilds_the_live_room() -> None:
    room = meeting()
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)


def test_replay_continues_from_a_snapshot() -> None:
    room = meeting()
    half = len(room.records) // 2
    start = from_snapshot(json.loads(json.dumps(to_snapshot(replay(room.records[:half])))))
    assert to_snapshot(replay(room.records[half:], start)) == to_snapshot(room.state)


def test_replay_refuses_a_gap() -> None:
    room = meeting()
    with pytest.raises(ValueError, match="does not follow"):
        replay([room.records[0], room.records[2]])


def test_records_from_lines_skips_blanks_and_names_the_bad_line() -> None:
    room = meeting()
    texts = [json.dumps(line(r)) for r in room.records]
    assert records_from_lines(["", *texts[:2], "  ", *texts[2:]]) == room.records
    with pytest.raises(ValueError, match=r"^line 3: Expecting value"):
        records_from_lines([texts[0], "", "not json", texts[1]])
    with pytest.raises(ValueError, match=r"^line 2: seq must be a positive integer"):
        records_from_lines([texts[0], json.dumps({**line(room.records[1]), "seq": -1})])
