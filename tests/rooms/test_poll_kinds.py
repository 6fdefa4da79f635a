"""The poll kind table: one row per kind, and a new kind is one new row."""

from __future__ import annotations

import csv
import io
import json

import pytest
from starlette.datastructures import FormData

from moderation.roles import Role
from rooms import from_snapshot, snapshot_view, to_snapshot
from rooms.errors import CommandError
from rooms.events import Choice
from rooms.poll_formats import TimeFormat
from rooms.poll_kinds import KINDS, Kind, Reading, Screen, Settings
from rooms.polls import recount
from rooms.render import poll_results
from rooms.state import Poll, PollDef, RoomState, Tally
from server.edge.page_forms import op_fields
from server.tools.exports import ballots_csv, poll_csv
from tests.rooms.harness import ORG, Room


def test_the_kinds_are_the_public_contract() -> None:
    # docs/API.md: poll.create's kind; wire names, never renamed.
    assert list(KINDS) == [
        "single", "multiple", "rating", "wordcloud", "open", "ranking", "budget", "quiz"
    ]
    assert {k for k, row in KINDS.items() if row.options} == {
        "single",
        "multiple",
        "ranking",
        "budget",
        "quiz",
    }
    assert [k for k, row in KINDS.items() if row.answers] == ["open"]
    assert [k for k, row in KINDS.items() if row.scored] == ["quiz"]
    assert all(row.name == name for name, row in KINDS.items())


def test_every_kind_exports_as_many_cells_as_columns() -> None:
    room = Room(moderation="post")
    room.join("alice")
    choices = {
        "single": 1,
        "multiple": [0, 2],
        "rating": 3,
        "wordcloud": "sun",
        "open": "Parks",
        "ranking": [1, 0, 2],
        "budget": {"0": 10},
        "quiz": 1,
    }
    for name, row in KINDS.items():
        poll_id = room.poll(name)
        room.do("alice", "vote", poll_id=poll_id, choice=choices[name])
        table = list(csv.reader(io.StringIO(poll_csv(room.state, poll_id))))
        assert table[0] == list(row.columns)
        body, voters = table[1:-1], table[-1]
        assert body and all(len(cells) == len(row.columns) for cells in body), name
        assert voters[0] == "voters" and voters[-1] == "1"


# -- a kind nobody has written yet: a yes/no question -------------------------------------------

ANSWERS = ("yes", "no")


def _read(d: PollDef, raw: object, screen: Screen) -> Reading:
    if raw not in ANSWERS:
        raise CommandError("vote.invalid_choice", "yes or no")
    return Reading(ANSWERS.index(str(raw)))


def _count(t: Tally, d: PollDef, choice: Choice, sign: int) -> None:
    t.counts[int(choice)] += sign  # type: ignore[arg-type]


def _rows(state: RoomState, poll: Poll, when: TimeFormat) -> list[list[object]]:
    t = poll.tally
    return [[answer, t.counts[i]] for i, answer in enumerate(ANSWERS)] + [["voters", t.voters]]


YESNO = Kind(
    "yesno",
    options=False,
    settings=lambda d, s: d,
    read=_read,
    fresh=lambda d: Tally(counts=[0, 0]),
    count=_count,
    results=lambda t, answers: {"counts": list(t.counts)},
    columns=("answer", "votes"),
    rows=_rows,
    label=lambda d, choice: ANSWERS[int(choice)],  # type: ignore[arg-type]
    form=lambda form, d: form.get("choice"),
)


def test_a_new_kind_is_one_row(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine, the views, snapshots, the exports and the pages' forms all take it."""
    monkeypatch.setitem(KINDS, "yesno", YESNO)  # type: ignore[attr-defined]
    room = Room()
    room.join("alice", "bob")
    poll_id = room.poll("yesno")
    room.do("alice", "vote", poll_id=poll_id, choice="yes")
    form = FormData([("poll_id", str(poll_id)), ("choice", "no")])
    room.do("bob", "vote", **op_fields("vote", form, room.state))
    assert room.refuse("bob", "vote", poll_id=poll_id, choice="maybe") == "vote.invalid_choice"
    poll = room.state.polls[poll_id]
    assert poll_results(room.state, poll) == {"voters": 2, "counts": [1, 1]}
    assert poll.tally == recount(poll)
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    view = snapshot_view(room.state, Role.ATTENDEE, "alice")
    assert view["room"]["polls"][-1]["results"] == {"voters": 2, "counts": [1, 1]}
    restored = from_snapshot(json.loads(json.dumps(to_snapshot(room.state))))
    assert restored.polls[poll_id].tally == poll.tally
    assert poll_csv(room.state, poll_id) == "answer,votes\r\nyes,1\r\nno,1\r\nvoters,2\r\n"
    assert ballots_csv(room.state, poll_id) == "ballot,choice\r\nyes,0\r\nno,1\r\n"


# -- settings -------------------------------------------------------------------------------------


def test_settings_come_from_the_op_then_the_edited_poll_then_the_default() -> None:
    base = PollDef(kind="rating", question="Q?", scale=7, caps=(1, 2))
    assert Settings({}, None).integer("scale", 2, 10, 5) == 5
    assert Settings({}, base).integer("scale", 2, 10, 5) == 7
    assert Settings({"scale": 3}, base).integer("scale", 2, 10, 5) == 3
    assert Settings({"scale": None}, base).integer("scale", 2, 10, 5) == 7
    with pytest.raises(CommandError, match=r"scale must be an integer in 2\.\.10"):
        Settings({"scale": True}, base).integer("scale", 2, 10, 5)
    assert Settings({}, base).given("caps") == (1, 2)
    assert Settings({"caps": None}, base).given("caps") is None  # an explicit null clears
