"""The engine's text rules at work: every field of every op, whatever the way in."""

from __future__ import annotations

from typing import Any

import pytest

from rooms.reducer import DECIDERS
from tests.rooms.harness import ORG, Room

BAD = ["\ud800", "ok\x00", "\x1b[2J", "a\udc80b"]


def _room() -> Room:
    room = Room(moderation="post")
    room.join("ana", "ben")
    room.poll("wordcloud")
    room.ask("ana", "Why is the bus late?")
    return room


# (actor, op, fields with one string field to spoil): a string in each of them goes to the log.
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("ana", "question.ask", {"text": "Hello?"}, "text"),
    ("ana", "speaker.request", {"topic": "Buses"}, "topic"),
    ("ana", "vote", {"poll_id": 1, "choice": "trees"}, "choice"),
    ("ana", "react", {"emoji": "👍"}, "emoji"),
    ("ana", "participant.join", {"name": "Ana"}, "name"),
    ("ana", "participant.join", {"district": "North"}, "district"),
    (ORG, "poll.create", {"kind": "single", "question": "Q?", "options": ["a", "b"]}, "question"),
    (ORG, "room.update", {"title": "Council"}, "title"),
    (ORG, "moderator.add", {"name": "Deputy"}, "name"),
    (ORG, "question.answer", {"question_id": 6, "text": "Soon."}, "text"),
    (ORG, "question.label", {"question_id": 6, "labels": ["transport"]}, "labels"),
    (ORG, "participant.ban", {"participant_id": "ben", "reason": "spam"}, "reason"),
]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize(("actor", "op", "fields", "name"), CASES, ids=lambda c: str(c))
def test_malformed_text_in_any_field_is_text_invalid(
    actor: str, op: str, fields: dict[str, Any], name: str, bad: str
) -> None:
    room = _room()
    value = fields[name]
    spoilt = [value[0] + bad] if isinstance(value, list) else f"{value}{bad}"
    assert room.refuse(actor, op, **{**fields, name: spoilt}) == "text.invalid"


@pytest.mark.parametrize("bad", BAD)
def test_a_malformed_key_or_nested_string_or_op_id_is_text_invalid(bad: str) -> None:
    room = _room()
    assert room.refuse("ana", "question.ask", text="Fine?", **{f"x{bad}": 1}) == "text.invalid"
    assert room.refuse(ORG, "room.update", settings={"districts": [bad]}) == "text.invalid"
    # The op_id goes to the log (and the store's unique index) as well.
    with pytest.raises(Exception) as err:
        room.do("ana", "react", op_id=f"r{bad}", emoji="👍")
    assert getattr(err.value, "code", None) == "text.invalid"


def test_every_op_checks_its_fields_before_anything_else() -> None:
    room = _room()
    for op in DECIDERS:
        if op == "room.create":
            continue
        assert room.refuse(ORG, op, junk="\x00") == "text.invalid", op


def test_names_titles_options_and_labels_are_one_line() -> None:
    room = _room()
    room.do("cy", "participant.join", name="  Cy\n\t Doe \u202e")
    assert room.state.participants["cy"].name == "Cy Doe"
    room.do(ORG, "room.update", title="Council\nmeeting")
    assert room.state.title == "Council meeting"
    poll = room.poll("single", options=["Red\nline", "Green  belt"])
    assert room.state.polls[poll].defn.options == ("Red line", "Green belt")


def test_question_text_keeps_its_lines_and_loses_its_tricks() -> None:
    room = _room()
    qid = room.ask("ben", "First line\r\nsecond \u202eline\u202c" + "\u0334" * 50)
    assert room.state.questions[qid].text == "First line\nsecond line" + "\u0334" * 4


@pytest.mark.parametrize("invisible", ["\u200b", "\u3164\u3164", "\u2066\u2069", "\u0301" * 3])
def test_invisible_only_texts_are_empty(invisible: str) -> None:
    room = _room()
    assert room.refuse("ben", "question.ask", text=invisible) == "text.empty"
    assert room.refuse("cy", "participant.join", name=invisible) == "text.empty"
    assert room.refuse(ORG, "moderator.add", name=invisible) == "text.empty"
