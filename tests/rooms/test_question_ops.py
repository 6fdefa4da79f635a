"""Q&A: asking, voting, withdrawing; approval, rejection, hiding, answers, pins, labels."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.filters import TextFilters
from rooms.events import QuestionAsked
from tests.rooms.harness import ORG, Room


@pytest.fixture
def room() -> Room:
    r = Room()
    r.join("alice", "bob", "carol")
    return r


def test_ask_in_pre_moderation_waits(room: Room) -> None:
    result = room.do("alice", "question.ask", text="  Why the potholes?  ", anonymous=True)
    q = room.state.questions[result["question_id"]]
    assert result == {"question_id": q.id, "state": "pending"}
    assert (q.text, q.anonymous, q.author) == ("Why the potholes?", True, "alice")


def test_ask_in_post_moderation_publishes_unless_flagged() -> None:
    room = Room(moderation="post", filters=TextFilters(profanity={"en": frozenset({"darn"})}))
    room.join("alice")
    assert room.do("alice", "question.ask", text="Parks?")["state"] == "approved"
    assert room.do("alice", "question.ask", text="Darn buses")["state"] == "pending"
    assert room.state.questions[room.state.seq].flags == ("profanity",)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, "field.missing"),
        ({"text": 5}, "field.invalid"),
        ({"text": "   "}, "text.empty"),
        ({"text": "x" * 281}, "text.too_long"),
        ({"text": "Q?", "anonymous": "yes"}, "field.invalid"),
    ],
)
def test_ask_refusals(room: Room, fields: dict[str, Any], code: str) -> None:
    assert room.refuse("alice", "question.ask", **fields) == code


def test_anonymous_can_be_disabled() -> None:
    room = Room(anonymous_questions=False)
    room.join("alice")
    assert room.refuse("alice", "question.ask", text="Q?", anonymous=True) == (
        "question.anonymous_disabled"
    )
    ask = QuestionAsked(text="Q?", anonymous=True)
    applied = room.commit("alice", ask)
    assert applied.error is not None and applied.error.code == "question.anonymous_disabled"


def test_repeated_text_is_refused_also_in_a_race(room: Room) -> None:
    room.do("alice", "question.ask", text="Why the potholes?")
    assert room.refuse("alice", "question.ask", text="why the POTHOLES") == "text.repeated"
    room.do("bob", "question.ask", text="Why the potholes?")  # someone else may
    first = room.decide("carol", "question.ask", text="Parks?")
    second = room.decide("carol", "question.ask", text="parks")
    room.commit("carol", first)
    applied = room.commit("carol", second)
    assert applied.error is not None and applied.error.code == "text.repeated"


def test_emoji_only_questions_are_not_all_the_same_question(room: Room) -> None:
    room.do("alice", "question.ask", text="🚲🚲")
    room.do("alice", "question.ask", text="🌳")  # another one, not a repeat
    assert room.refuse("alice", "question.ask", text="🚲🚲") == "text.repeated"


def test_upvote_unvote_downvote() -> None:
    room = Room(downvotes=True)
    room.join("alice", "bob", "carol")
    qid = room.ask("alice")
    assert room.do("bob", "question.upvote", question_id=qid) == {
        "question_id": qid,
        "upvotes": 1,
        "score": 1,
    }
    assert room.refuse("bob", "question.upvote", question_id=qid) == "upvote.duplicate"
    assert room.refuse("alice", "question.upvote", question_id=qid) == "upvote.own"
    assert room.refuse("alice", "question.downvote", question_id=qid) == "upvote.own"
    room.do("carol", "question.downvote", question_id=qid)
    assert room.refuse("carol", "question.downvote", question_id=qid) == "downvote.duplicate"
    room.do("bob", "question.downvote", question_id=qid)  # changes bob's mind: up -> down
    q = room.state.questions[qid]
    assert (len(q.upvoters), len(q.downvoters), q.score) == (0, 2, -2)
    room.do("carol", "question.upvote", question_id=qid)
    room.do("bob", "question.unvote", question_id=qid)
    assert room.refuse("bob", "question.unvote", question_id=qid) == "upvote.not_found"
    assert (q.upvoters, q.downvoters) == ({"carol"}, set())


def test_downvotes_off_by_default_and_rechecked(room: Room) -> None:
    qid = room.ask("alice")
    assert room.refuse("bob", "question.downvote", question_id=qid) == "downvote.disabled"
    room.do(ORG, "room.update", settings={"downvotes": True})
    down = room.decide("bob", "question.downvote", question_id=qid)
    room.do(ORG, "room.update", settings={"downvotes": False})
    applied = room.commit("bob", down)
    assert applied.error is not None and applied.error.code == "downvote.disabled"


def test_votes_need_a_published_question(room: Room) -> None:
    qid = room.ask("alice", approve=False)
    assert room.refuse("bob", "question.upvote", question_id=qid) == "question.not_visible"
    assert room.refuse("bob", "question.upvote", question_id=999) == "question.not_found"
    assert room.refuse("bob", "question.upvote") == "field.missing"
    assert room.refuse("bob", "question.upvote", question_id=True) == "field.invalid"


def test_upvote_race_counts_once(room: Room) -> None:
    qid = room.ask("alice")
    up = room.decide("bob", "question.upvote", question_id=qid)
    room.commit("bob", up)
    applied = room.commit("bob", up, op_id="another")
    assert applied.error is not None and applied.error.code == "upvote.duplicate"
    assert room.state.questions[qid].upvoters == {"bob"}


def test_withdraw(room: Room) -> None:
    qid = room.ask("alice")
    room.do(ORG, "question.pin", question_id=qid)
    assert room.refuse("bob", "question.withdraw", question_id=qid) == "auth.forbidden"
    room.do("alice", "question.withdraw", question_id=qid)
    assert room.state.questions[qid].state == "withdrawn" and room.state.pinned is None
    assert room.refuse("alice", "question.withdraw", question_id=qid) == "question.not_found"
    rejected = room.ask("alice", "Other?", approve=False)
    room.do(ORG, "question.reject", question_id=rejected, reason="off_topic")
    assert room.refuse("alice", "question.withdraw", question_id=rejected) == (
        "question.not_visible"
    )


def test_approve_with_an_edit_keeps_the_original(room: Room) -> None:
    qid = room.ask("alice", "why potholes", approve=False)
    room.do(ORG, "question.approve", question_id=qid, text="Why are there potholes?")
    q = room.state.questions[qid]
    assert (q.state, q.text, q.original_text) == (
        "approved",
        "Why are there potholes?",
        "why potholes",
    )
    entry = room.state.audit[-1]
    assert (entry.action, entry.target, entry.before, entry.after) == (
        "question.approved",
        f"question:{qid}",
        "why potholes",
        "Why are there potholes?",
    )
    assert room.refuse(ORG, "question.approve", question_id=qid) == "question.not_pending"
    other = room.ask("bob", "Same?", approve=False)
    room.do(ORG, "question.approve", question_id=other, text="Same?")  # no real edit
    assert room.state.questions[other].original_text is None
    assert (
        room.refuse(ORG, "question.approve", question_id=other, text=" ") == "question.not_pending"
    )


def test_approve_race(room: Room) -> None:
    qid = room.ask("alice", approve=False)
    approve = room.decide(ORG, "question.approve", question_id=qid)
    room.do(ORG, "question.reject", question_id=qid, reason="duplicate")
    applied = room.commit(ORG, approve)
    assert applied.error is not None and applied.error.code == "question.not_pending"


def test_reject_needs_a_fixed_reason(room: Room) -> None:
    qid = room.ask("alice", approve=False)
    assert room.refuse(ORG, "question.reject", question_id=qid) == "field.missing"
    assert room.refuse(ORG, "question.reject", question_id=qid, reason="boring") == "reason.invalid"
    room.do(ORG, "question.reject", question_id=qid, reason="spam")
    q = room.state.questions[qid]
    assert (q.state, q.reason) == ("rejected", "spam")
    assert room.refuse(ORG, "question.reject", question_id=qid, reason="spam") == (
        "question.not_pending"
    )
    assert room.refuse("alice", "question.reject", question_id=qid, reason="spam") == (
        "auth.forbidden"
    )


def test_hide_and_restore(room: Room) -> None:
    qid = room.ask("alice")
    room.do(ORG, "question.pin", question_id=qid)
    room.do(ORG, "question.hide", question_id=qid, reason="abusive")
    q = room.state.questions[qid]
    assert (q.state, q.reason, room.state.pinned) == ("hidden", "abusive", None)
    assert room.refuse(ORG, "question.hide", question_id=qid) == "question.not_visible"
    room.do(ORG, "question.approve", question_id=qid)
    assert (q.state, q.reason) == ("approved", None)
    assert room.refuse(ORG, "question.hide", question_id=qid, reason="ugly") == "reason.invalid"


def test_answer_pin_unpin_archive_label(room: Room) -> None:
    q1, q2 = room.ask("alice", "One?"), room.ask("bob", "Two?")
    room.do(ORG, "question.pin", question_id=q1)
    room.do(ORG, "question.pin", question_id=q2)  # one pinned at a time
    assert room.state.pinned == q2
    room.do(ORG, "question.pin", question_id=q2)  # pinning again is harmless
    assert room.refuse(ORG, "question.unpin", question_id=q1) == "question.not_pinned"
    room.do(ORG, "question.unpin", question_id=q2)
    assert room.state.pinned is None
    room.do(ORG, "question.pin", question_id=q1)
    room.do(ORG, "question.answer", question_id=q1, text="Next year.")
    q = room.state.questions[q1]
    assert (q.state, q.answer, room.state.pinned) == ("answered", "Next year.", None)
    room.do(ORG, "question.answer", question_id=q2)  # answered aloud
    assert room.state.questions[q2].answer == ""
    assert room.refuse(ORG, "question.answer", question_id=q2, text="x" * 2001) == "text.too_long"
    assert room.refuse(ORG, "question.answer", question_id=q2, text=" " * 2001) == "text.too_long"
    room.do(ORG, "question.label", question_id=q1, labels=["roads", " roads ", "budget"])
    assert room.state.questions[q1].labels == ("roads", "budget")
    assert room.refuse(ORG, "question.label", question_id=q1) == "field.missing"
    assert room.refuse(ORG, "question.label", question_id=q1, labels=["x" * 31]) == "text.too_long"
    assert room.refuse(ORG, "question.label", question_id=q1, labels="a") == "field.invalid"
    room.do(ORG, "question.pin", question_id=q2)
    room.do(ORG, "question.archive", question_id=q2)
    assert room.state.questions[q2].state == "archived" and room.state.pinned is None
    for op in ("question.pin", "question.archive", "question.answer"):
        assert room.refuse(ORG, op, question_id=q2) == "question.not_visible"


def test_pin_and_unpin_races(room: Room) -> None:
    qid = room.ask("alice")
    pin = room.decide(ORG, "question.pin", question_id=qid)
    room.do(ORG, "question.archive", question_id=qid)
    assert room.commit(ORG, pin).error is not None
    other = room.ask("bob", "B?")
    room.do(ORG, "question.pin", question_id=other)
    unpin = room.decide(ORG, "question.unpin", question_id=other)
    room.commit(ORG, unpin)
    applied = room.commit(ORG, unpin)
    assert applied.error is not None and applied.error.code == "question.not_pinned"


def test_withdraw_race(room: Room) -> None:
    qid = room.ask("alice")
    withdraw = room.decide("alice", "question.withdraw", question_id=qid)
    room.commit("alice", withdraw)
    applied = room.commit("alice", withdraw)
    assert applied.error is not None and applied.error.code == "question.not_found"
    unvote = room.decide("bob", "question.upvote", question_id=room.ask("carol", "C?"))
    room.commit("bob", unvote)
