"""HTML form fields to op fields: every poll kind's ballot, and the definition's options."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.datastructures import FormData

from rooms.poll_kinds import KINDS
from server.edge.page_forms import op_fields
from tests.rooms.harness import Room


@pytest.fixture(scope="module")
def room() -> tuple[Room, dict[str, int]]:
    r = Room()
    return r, {kind: r.poll(kind) for kind in KINDS}


def vote(room: tuple[Room, dict[str, int]], kind: str, *pairs: tuple[str, str]) -> Any:
    r, ids = room
    form = FormData([("poll_id", str(ids[kind])), *pairs])
    fields = op_fields("vote", form, r.state)
    assert fields["poll_id"] == ids[kind] and "text" not in fields
    return fields["choice"]


@pytest.mark.parametrize(
    ("kind", "pairs", "choice"),
    [
        ("single", [("choice", "2")], 2),
        ("single", [("choice", " 1 ")], 1),
        ("single", [("choice", "two")], "two"),  # the engine refuses it, with its own code
        ("single", [], None),
        ("rating", [("choice", "4")], 4),
        ("multiple", [("choice", "0"), ("choice", "2")], [0, 2]),
        ("multiple", [], []),
        ("ranking", [("rank_0", "2"), ("rank_1", "3"), ("rank_2", "1")], [2, 0, 1]),
        ("ranking", [("rank_0", "1"), ("rank_1", "1"), ("rank_2", "2")], ["?"]),
        ("ranking", [("rank_0", "1"), ("rank_1", "2")], ["?"]),
        ("budget", [("amount_0", "5"), ("amount_1", " "), ("amount_2", "x")], {"0": 5, "2": "x"}),
        ("budget", [], {}),
        ("wordcloud", [("choice", "sun rain")], "sun rain"),
        ("open", [("choice", "More parks"), ("text", "ignored")], "More parks"),
        ("open", [], None),
    ],
)
def test_each_kind_reads_its_ballot(
    room: tuple[Room, dict[str, int]], kind: str, pairs: list[tuple[str, str]], choice: Any
) -> None:
    assert vote(room, kind, *pairs) == choice


def test_an_unknown_poll_passes_the_choice_on(room: tuple[Room, dict[str, int]]) -> None:
    r, _ids = room
    form = FormData([("poll_id", "999"), ("choice", "1")])
    assert op_fields("vote", form, r.state)["choice"] == "1"


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("single", ["A", "B", "C"]),
        ("multiple", ["A", "B", "C"]),
        ("ranking", ["A", "B", "C"]),
        ("budget", ["A", "B", "C"]),
        ("rating", None),
        ("wordcloud", None),
        ("open", None),
        ("nope", None),
    ],
)
def test_options_are_read_where_the_kind_has_them(kind: str, options: list[str] | None) -> None:
    form = FormData(
        [("kind", kind), ("question", "Q?"), ("options", "A\r\n B \n\n C"), ("allow_changes", "no")]
    )
    fields = op_fields("poll.create", form, Room().state)
    assert fields.get("options") == options
    assert fields["kind"] == kind and fields["allow_changes"] is False
