"""Polls: lifecycle, every kind's ballots and results, open answers through moderation."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.filters import TextFilters
from rooms.events import PollClosed
from tests.rooms.harness import ORG, Room


def results(room: Room, poll_id: int) -> dict[str, Any]:
    from rooms.render import poll_results

    return poll_results(room.state, room.state.polls[poll_id])


def test_create_edit_open_close_reveal_hide_delete() -> None:
    room = Room()
    poll_id = room.poll("single", open_=False)
    assert room.state.polls[poll_id].state == "draft"
    room.do(ORG, "poll.edit", poll_id=poll_id, question="Colour?", options=["A", "B"])
    assert room.state.polls[poll_id].defn.options == ("A", "B")
    assert room.state.audit[-1].before["options"] == ["Red", "Green", "Blue"]
    room.do(ORG, "poll.open", poll_id=poll_id)
    assert room.refuse(ORG, "poll.open", poll_id=poll_id) == "poll.already_open"
    assert room.refuse(ORG, "poll.edit", poll_id=poll_id, question="Q") == "poll.not_draft"
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    assert room.state.polls[poll_id].revealed
    room.do(ORG, "poll.hide", poll_id=poll_id)
    assert not room.state.polls[poll_id].revealed
    room.do(ORG, "poll.close", poll_id=poll_id)
    assert room.refuse(ORG, "poll.close", poll_id=poll_id) == "poll.closed"
    room.do(ORG, "poll.open", poll_id=poll_id)  # a closed poll may be reopened
    assert room.state.polls[poll_id].state == "open"
    room.do(ORG, "poll.delete", poll_id=poll_id)
    assert room.refuse(ORG, "poll.open", poll_id=poll_id) == "poll.not_found"


def test_close_a_draft_is_refused() -> None:
    room = Room()
    poll_id = room.poll(open_=False)
    assert room.refuse(ORG, "poll.close", poll_id=poll_id) == "poll.not_open"


def test_system_closes_timed_polls() -> None:
    room = Room()
    poll_id = room.poll(closes_at=room.now + 60_000, open_=False)
    room.do(ORG, "poll.open", poll_id=poll_id)
    assert room.state.open_polls_closing() == [(poll_id, room.state.polls[poll_id].closes_at)]
    room.do("system", "poll.close", poll_id=poll_id)
    assert room.state.open_polls_closing() == []
    assert room.refuse("system", "poll.open", poll_id=poll_id) == "auth.forbidden"


def test_open_with_duration_and_votes_after_the_deadline() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll(open_=False)
    room.do(ORG, "poll.open", poll_id=poll_id, duration_s=2)
    assert room.state.polls[poll_id].closes_at is not None
    room.now += 5000
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=0) == "poll.closed"
    room.do(ORG, "poll.close", poll_id=poll_id)
    room.do(ORG, "poll.open", poll_id=poll_id)  # reopened past its deadline: no deadline
    assert room.state.polls[poll_id].closes_at is None


def test_vote_on_a_draft_or_closed_poll() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll(open_=False)
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=0) == "poll.not_open"
    room.do(ORG, "poll.open", poll_id=poll_id)
    vote = room.decide("alice", "vote", poll_id=poll_id, choice=0)
    room.do(ORG, "poll.close", poll_id=poll_id)
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=0) == "poll.closed"
    applied = room.commit("alice", vote)
    assert applied.error is not None and applied.error.code == "poll.closed"
    assert room.state.polls[poll_id].ballots == {}


def test_a_second_vote_replaces_the_first() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll()
    assert room.do("alice", "vote", poll_id=poll_id, choice=0) == {
        "poll_id": poll_id,
        "replaced": False,
    }
    assert room.do("alice", "vote", poll_id=poll_id, choice=2)["replaced"]
    assert results(room, poll_id) == {"voters": 1, "counts": [0, 0, 1]}


def test_no_changes_means_duplicate_even_in_a_race() -> None:
    room = Room(vote_changes=False)
    room.join("alice")
    poll_id = room.poll()
    first = room.decide("alice", "vote", poll_id=poll_id, choice=0)
    second = room.decide("alice", "vote", poll_id=poll_id, choice=1)
    room.commit("alice", first)
    applied = room.commit("alice", second)
    assert applied.error is not None and applied.error.code == "vote.duplicate"
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=1) == "vote.duplicate"
    assert results(room, poll_id)["counts"] == [1, 0, 0]


def test_per_poll_override_of_vote_changes() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll(allow_changes=False)
    room.do("alice", "vote", poll_id=poll_id, choice=0)
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=1) == "vote.duplicate"


@pytest.mark.parametrize(
    ("kind", "extra", "ballots", "expected"),
    [
        ("single", {}, [1, 1, 2], {"voters": 3, "counts": [0, 2, 1]}),
        ("multiple", {"max_selections": 2}, [[0, 2], [2]], {"voters": 2, "counts": [1, 0, 2]}),
        ("rating", {}, [5, 4, 4], {"voters": 3, "counts": [0, 0, 0, 2, 1], "average": 4.33}),
        ("ranking", {}, [[2, 0, 1], [2, 1, 0]], {"voters": 2, "points": [1, 1, 4]}),
        (
            "budget",
            {"total": 10, "caps": [5, 10, 10]},
            [{"0": 5, "2": 5}, {1: 10}],
            {"voters": 2, "points": [5, 10, 5]},
        ),
        (
            "wordcloud",
            {},
            ["Sun rain", ["sun!", "Wind"], "RAIN"],
            {"voters": 3, "words": {"sun": 2, "rain": 2, "wind": 1}},
        ),
    ],
)
def test_results_by_kind(
    kind: str, extra: dict[str, Any], ballots: list[Any], expected: dict[str, Any]
) -> None:
    room = Room()
    people = ["a", "b", "c"][: len(ballots)]
    room.join(*people)
    poll_id = room.poll(kind, **extra)
    for who, choice in zip(people, ballots, strict=True):
        room.do(who, "vote", poll_id=poll_id, choice=choice)
    assert results(room, poll_id) == expected


def test_rating_average_without_voters_is_none() -> None:
    room = Room()
    assert results(room, room.poll("rating", scale=3)) == {
        "voters": 0,
        "counts": [0, 0, 0],
        "average": None,
    }


@pytest.mark.parametrize(
    ("kind", "extra", "choice", "code"),
    [
        ("single", {}, 3, "vote.invalid_choice"),
        ("single", {}, True, "vote.invalid_choice"),
        ("single", {}, "1", "vote.invalid_choice"),
        ("single", {}, None, "field.missing"),
        ("multiple", {"max_selections": 2}, [0, 1, 2], "vote.invalid_choice"),
        ("multiple", {}, [], "vote.invalid_choice"),
        ("multiple", {}, [0, 0], "vote.invalid_choice"),
        ("multiple", {}, 1, "vote.invalid_choice"),
        ("rating", {}, 6, "vote.invalid_choice"),
        ("rating", {}, 0, "vote.invalid_choice"),
        ("ranking", {}, [0, 1], "vote.invalid_choice"),
        ("ranking", {}, [0, 1, 1], "vote.invalid_choice"),
        ("budget", {"total": 10}, {"0": 6, "1": 5}, "vote.invalid_choice"),
        ("budget", {"total": 10, "caps": [2, 10, 10]}, {"0": 3}, "vote.invalid_choice"),
        ("budget", {"total": 10}, {"0": -1}, "vote.invalid_choice"),
        ("budget", {"total": 10}, {"9": 1}, "vote.invalid_choice"),
        ("budget", {"total": 10}, {"x": 1}, "vote.invalid_choice"),
        ("budget", {"total": 10}, {"0": 1.5}, "vote.invalid_choice"),
        ("budget", {"total": 10}, [1, 2], "vote.invalid_choice"),
        ("wordcloud", {"max_words": 2}, "one two three", "vote.invalid_choice"),
        ("wordcloud", {}, "!!!", "text.empty"),
        ("wordcloud", {}, "x" * 41, "text.too_long"),
        ("wordcloud", {}, 5, "field.invalid"),
        ("open", {}, 5, "vote.invalid_choice"),
        ("open", {}, "   ", "text.empty"),
        ("open", {}, "x" * 281, "text.too_long"),
    ],
)
def test_choice_refusals(kind: str, extra: dict[str, Any], choice: Any, code: str) -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll(kind, **extra)
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=choice) == code


def test_wordcloud_holds_profanity_for_review_and_flags_it() -> None:
    room = Room(filters=TextFilters(profanity={"en": frozenset({"darn"})}))
    room.join("alice", "bob")
    poll_id = room.poll("wordcloud")
    room.do("alice", "vote", poll_id=poll_id, choice="darn sun")
    room.do("bob", "vote", poll_id=poll_id, choice="DARN")
    assert results(room, poll_id) == {"voters": 2, "words": {"sun": 1}}
    assert room.records[-1].event.flags == ("profanity",)  # type: ignore[attr-defined]
    assert room.records[-1].event.held == ("darn",)  # type: ignore[attr-defined]
    assert [a.text for a in room.state.answers.values()] == ["darn", "darn"]  # for review


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"question": "Q?"}, "field.missing"),
        ({"kind": "poker", "question": "Q?"}, "poll.invalid"),
        ({"kind": "single"}, "field.missing"),
        ({"kind": "single", "question": 5}, "field.invalid"),
        ({"kind": "single", "question": "Q?"}, "field.missing"),
        ({"kind": "single", "question": "Q?", "options": ["A"]}, "poll.invalid"),
        ({"kind": "single", "question": "Q?", "options": ["A", "A"]}, "poll.invalid"),
        ({"kind": "single", "question": "Q?", "options": "A,B"}, "field.invalid"),
        ({"kind": "single", "question": "Q?", "options": ["A", 2]}, "field.invalid"),
        ({"kind": "single", "question": "Q?", "options": ["A", ""]}, "text.empty"),
        (
            {"kind": "multiple", "question": "Q?", "options": ["A", "B"], "max_selections": 3},
            "poll.invalid",
        ),
        ({"kind": "rating", "question": "Q?", "scale": 11}, "poll.invalid"),
        ({"kind": "rating", "question": "Q?", "scale": True}, "poll.invalid"),
        ({"kind": "wordcloud", "question": "Q?", "max_words": 0}, "poll.invalid"),
        ({"kind": "budget", "question": "Q?", "options": ["A", "B"], "total": 0}, "poll.invalid"),
        ({"kind": "budget", "question": "Q?", "options": ["A", "B"], "caps": [1]}, "poll.invalid"),
        ({"kind": "budget", "question": "Q?", "options": ["A", "B"], "caps": 5}, "poll.invalid"),
        ({"kind": "open", "question": "Q?", "allow_changes": "yes"}, "field.invalid"),
        ({"kind": "open", "question": "Q?", "closes_at": -5}, "field.invalid"),
        ({"kind": "open", "question": "Q?", "closes_at": 2**60}, "field.invalid"),
    ],
)
def test_definition_refusals(fields: dict[str, Any], code: str) -> None:
    assert Room().refuse(ORG, "poll.create", **fields) == code


def test_edit_keeps_settings_of_the_same_kind_and_resets_on_kind_change() -> None:
    room = Room()
    poll_id = room.poll("budget", total=50, caps=[10, 20, 30], open_=False)
    room.do(ORG, "poll.edit", poll_id=poll_id, question="Split 50?")
    assert room.state.polls[poll_id].defn.caps == (10, 20, 30)
    room.do(ORG, "poll.edit", poll_id=poll_id, kind="rating")
    defn = room.state.polls[poll_id].defn
    assert (defn.kind, defn.scale, defn.options, defn.caps) == ("rating", 5, (), None)


def test_edit_race_with_open() -> None:
    room = Room()
    poll_id = room.poll(open_=False)
    edit = room.decide(ORG, "poll.edit", poll_id=poll_id, question="Later?")
    room.do(ORG, "poll.open", poll_id=poll_id)
    applied = room.commit(ORG, edit)
    assert applied.error is not None and applied.error.code == "poll.not_draft"
    opened = room.decide(ORG, "poll.close", poll_id=poll_id)
    room.commit(ORG, opened)
    again = room.commit(ORG, PollClosed(poll_id=poll_id))
    assert again.error is not None and again.error.code == "poll.closed"


def test_open_race() -> None:
    room = Room()
    poll_id = room.poll(open_=False)
    opening = room.decide(ORG, "poll.open", poll_id=poll_id)
    room.commit(ORG, opening)
    applied = room.commit(ORG, opening)
    assert applied.error is not None and applied.error.code == "poll.already_open"


def test_vote_on_a_poll_deleted_meanwhile() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll()
    vote = room.decide("alice", "vote", poll_id=poll_id, choice=1)
    room.do(ORG, "poll.delete", poll_id=poll_id)
    applied = room.commit("alice", vote)
    assert applied.error is not None and applied.error.code == "poll.not_found"
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=1) == "poll.not_found"
    assert room.refuse("alice", "vote", poll_id="1", choice=1) == "field.invalid"
    assert room.refuse("alice", "vote", choice=1) == "field.missing"


def test_open_answers_are_moderated() -> None:
    room = Room()
    room.join("alice", "bob", "carol")
    poll_id = room.poll("open")
    a1 = room.do("alice", "vote", poll_id=poll_id, choice=" More parks ")
    assert a1["state"] == "pending"
    a2 = room.do("bob", "vote", poll_id=poll_id, choice="Buses")
    a3 = room.do("carol", "vote", poll_id=poll_id, choice="Rubbish")
    room.do(ORG, "answer.approve", answer_id=a1["answer_id"], text="More parks!")
    room.do(ORG, "answer.approve", answer_id=a2["answer_id"], text="Buses")  # unchanged text
    room.do(ORG, "answer.reject", answer_id=a3["answer_id"], reason="off_topic")
    assert results(room, poll_id) == {
        "voters": 3,
        "answers": [
            {"answer_id": a1["answer_id"], "text": "More parks!"},
            {"answer_id": a2["answer_id"], "text": "Buses"},
        ],
    }
    answer = room.state.answers[a1["answer_id"]]
    assert answer.original_text == "More parks"
    assert room.refuse(ORG, "answer.approve", answer_id=a1["answer_id"]) == "answer.not_pending"
    assert room.refuse(ORG, "answer.reject", answer_id=a3["answer_id"], reason="spam") == (
        "answer.not_pending"
    )
    assert room.refuse(ORG, "answer.approve", answer_id=999) == "answer.not_found"
    assert room.refuse(ORG, "answer.reject", answer_id=a2["answer_id"]) == "field.missing"
    assert room.refuse(ORG, "answer.reject", answer_id=a2["answer_id"], reason="x") == (
        "reason.invalid"
    )


def test_open_answer_replaced_and_race() -> None:
    room = Room(moderation="post")
    room.join("alice")
    poll_id = room.poll("open")
    first = room.do("alice", "vote", poll_id=poll_id, choice="Parks")
    assert first["state"] == "approved"
    takedown = room.decide(ORG, "answer.reject", answer_id=first["answer_id"], reason="spam")
    second = room.do("alice", "vote", poll_id=poll_id, choice="Trees")
    assert first["answer_id"] not in room.state.answers
    applied = room.commit(ORG, takedown)
    assert applied.error is not None and applied.error.code == "answer.not_found"
    assert results(room, poll_id)["answers"] == [
        {"answer_id": second["answer_id"], "text": "Trees"}
    ]
    room.do(ORG, "answer.reject", answer_id=second["answer_id"], reason="spam")  # take-down
    assert results(room, poll_id)["answers"] == []


def test_flagged_open_answer_waits_in_post_moderation() -> None:
    room = Room(moderation="post")
    room.join("alice")
    poll_id = room.poll("open")
    assert (
        room.do("alice", "vote", poll_id=poll_id, choice="see www.spam.com")["state"] == "pending"
    )


def test_answer_approve_race() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll("open")
    answer_id = room.do("alice", "vote", poll_id=poll_id, choice="Parks")["answer_id"]
    approve = room.decide(ORG, "answer.approve", answer_id=answer_id)
    room.commit(ORG, approve)
    applied = room.commit(ORG, approve)
    assert applied.error is not None and applied.error.code == "answer.not_pending"
