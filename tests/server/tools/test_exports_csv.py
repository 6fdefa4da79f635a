"""The CSV exports of every poll kind: results and anonymous ballots (pure, no server)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from rooms import event_to_dict
from rooms.transcript import replay
from server.store.base import Committed
from server.tools.exports import ballots_csv, poll_csv, write_export
from tests.rooms.harness import ORG, Room

VOTES = {
    "single": [0, 2, 0],
    "multiple": [[0, 1], [1], [2, 0]],
    "rating": [4, 1, 4],
    "wordcloud": ["Sun rain", "sun", ["=wind"]],
    "open": ["More parks", "=HYPERLINK()", "Buses"],
    "ranking": [[2, 0, 1], [0, 1, 2], [2, 1, 0]],
    "budget": [{"0": 5, "2": 5}, {"1": 10}, {"0": 3}],
}
SETTINGS = {"rating": {"scale": 4}, "budget": {"total": 10}}


@pytest.fixture(scope="module")
def meeting() -> tuple[Room, dict[str, int]]:
    room = Room(moderation="post")
    room.join("alice", "bob", "carol")
    ids = {kind: room.poll(kind, **SETTINGS.get(kind, {})) for kind in VOTES}
    for kind, choices in VOTES.items():
        for who, choice in zip(("alice", "bob", "carol"), choices, strict=True):
            room.do(who, "vote", poll_id=ids[kind], choice=choice)
    second = list(room.state.polls[ids["open"]].answer_ids)[1]
    room.do(ORG, "answer.reject", answer_id=second, reason="spam")
    return room, ids


def rows(text: str) -> list[list[str]]:
    assert text.endswith("\r\n")  # spreadsheets' line ending
    return list(csv.reader(io.StringIO(text)))


RESULTS = {
    "single": [
        ["option_index", "option", "votes", "percent_of_voters"],
        ["0", "Red", "2", "66.7"],
        ["1", "Green", "0", "0.0"],
        ["2", "Blue", "1", "33.3"],
        ["voters", "", "3"],
    ],
    "multiple": [
        ["option_index", "option", "votes", "percent_of_voters"],
        ["0", "Red", "2", "66.7"],
        ["1", "Green", "2", "66.7"],
        ["2", "Blue", "1", "33.3"],
        ["voters", "", "3"],
    ],
    "rating": [
        ["value", "votes", "percent_of_voters"],
        ["1", "1", "33.3"],
        ["2", "0", "0.0"],
        ["3", "0", "0.0"],
        ["4", "2", "66.7"],
        ["voters", "", "3"],
    ],
    "wordcloud": [["word", "count"], ["sun", "2"], ["rain", "1"], ["wind", "1"], ["voters", "3"]],
    "open": [
        ["answer_id", "at", "state", "text", "reason"],
        ["31", "2023-11-14T22:13:51Z", "approved", "More parks", ""],
        ["32", "2023-11-14T22:13:52Z", "rejected", "'=HYPERLINK()", "spam"],
        ["33", "2023-11-14T22:13:53Z", "approved", "Buses", ""],
        ["voters", "", "3"],
    ],
    "ranking": [
        ["option_index", "option", "points"],
        ["0", "Red", "3"],
        ["1", "Green", "2"],
        ["2", "Blue", "4"],
        ["voters", "", "3"],
    ],
    "budget": [
        ["option_index", "option", "amount"],
        ["0", "Red", "8"],
        ["1", "Green", "10"],
        ["2", "Blue", "5"],
        ["voters", "", "3"],
    ],
}
BALLOTS = {
    "single": [["Red", "0"], ["Red", "0"], ["Blue", "2"]],
    "multiple": [["Red; Green", "[0, 1]"], ["Red; Blue", "[0, 2]"], ["Green", "[1]"]],
    "rating": [["1", "1"], ["4", "4"], ["4", "4"]],
    "wordcloud": [["sun rain", '["sun", "rain"]'], ["sun", '["sun"]'], ["wind", '["wind"]']],
    "ranking": [
        ["Red > Green > Blue", "[0, 1, 2]"],
        ["Blue > Red > Green", "[2, 0, 1]"],
        ["Blue > Green > Red", "[2, 1, 0]"],
    ],
    "budget": [
        ["Red=0; Green=10; Blue=0", "[0, 10, 0]"],
        ["Red=3; Green=0; Blue=0", "[3, 0, 0]"],
        ["Red=5; Green=0; Blue=5", "[5, 0, 5]"],
    ],
}


@pytest.mark.parametrize("kind", list(VOTES))
def test_results_columns(meeting: tuple[Room, dict[str, int]], kind: str) -> None:
    room, ids = meeting
    assert rows(poll_csv(room.state, ids[kind])) == RESULTS[kind]


@pytest.mark.parametrize("kind", list(BALLOTS))
def test_ballots_without_identities(meeting: tuple[Room, dict[str, int]], kind: str) -> None:
    room, ids = meeting
    assert rows(ballots_csv(room.state, ids[kind])) == [["ballot", "choice"], *BALLOTS[kind]]


def test_open_answers_have_no_ballot_export(meeting: tuple[Room, dict[str, int]]) -> None:
    room, ids = meeting
    with pytest.raises(ValueError, match="exported with the results"):
        ballots_csv(room.state, ids["open"])
    with pytest.raises(KeyError):
        poll_csv(room.state, 999)


def test_write_export_skips_open_ballots(
    meeting: tuple[Room, dict[str, int]], tmp_path: Path
) -> None:
    room, ids = meeting
    entries = [
        Committed(
            room="TOWN",
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            op_id=r.op_id,
            type=r.event.TYPE,
            data=event_to_dict(r.event)["data"],
            prev="0" * 64,
            hash="0" * 64,
        )
        for r in room.records
    ]
    names = {p.name for p in write_export(replay(room.records), entries, tmp_path)}
    assert f"TOWN-poll-{ids['open']}.csv" in names
    assert f"TOWN-poll-{ids['open']}-ballots.csv" not in names
    assert f"TOWN-poll-{ids['budget']}-ballots.csv" in names
