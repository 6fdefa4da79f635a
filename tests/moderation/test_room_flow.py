"""The filters inside a room: what holds, what moderators see, word clouds, the room's lists."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.filters import TextFilters
from moderation.roles import Role
from rooms import from_snapshot, snapshot_view, to_snapshot
from rooms.polls import recount
from tests.rooms.harness import ORG, Room

FILTERS = TextFilters(
    profanity={"en": frozenset({"shit"}), "es": frozenset({"mierda", "pendejo"})},
    mild={"en": frozenset({"crap"})},
)


def room(**settings: Any) -> Room:
    r = Room(filters=FILTERS, **settings)
    r.join("alice", "bob")
    return r


def moderator_question(r: Room, qid: int) -> dict[str, Any]:
    view = snapshot_view(r.state, Role.ORGANISER, ORG)["room"]
    return next(q for q in view["questions"] if q["question_id"] == qid)


def test_post_moderation_holds_severe_and_publishes_mild_with_its_flag() -> None:
    r = room(moderation="post")
    severe = r.do("alice", "question.ask", text="Why is the bus 5h1t?")
    mild = r.do("alice", "question.ask", text="Why is the bus crap?")
    clean = r.do("alice", "question.ask", text="Why is the bus late on Hancock Street?")
    assert [severe["state"], mild["state"], clean["state"]] == ["pending", "approved", "approved"]
    seen = moderator_question(r, mild["question_id"])
    assert (seen["flags"], seen["terms"], seen["lang"]) == (["profanity.mild"], ["crap"], "en")


def test_pre_moderation_shows_the_flag_and_its_reason() -> None:
    r = room()
    qid = r.do("alice", "question.ask", text="Eres un pendejo, alcalde")["question_id"]
    seen = moderator_question(r, qid)
    assert (seen["state"], seen["flags"], seen["terms"]) == ("pending", ["profanity"], ["pendejo"])
    assert seen["lang"] == "es"
    public = snapshot_view(r.state, Role.ATTENDEE, "alice")["you"]["questions"][0]
    assert "terms" not in public and "flags" not in public


def test_language_declared_or_detected() -> None:
    r = room()
    declared = r.do("alice", "question.ask", text="Mierda!", lang="es-MX")["question_id"]
    detected = r.do("alice", "question.ask", text="Où est la mairie ?")["question_id"]
    unknown = r.do("alice", "question.ask", text="42?")["question_id"]
    assert [r.state.questions[q].lang for q in (declared, detected, unknown)] == ["es", "fr", None]
    assert r.refuse("alice", "question.ask", text="Hi", lang="español!") == "field.invalid"
    assert r.refuse("alice", "question.ask", text="Hi", lang=7) == "field.invalid"


def test_open_answers_record_language_and_hold_like_questions() -> None:
    r = room(moderation="post")
    poll_id = r.poll("open")
    clean = r.do("alice", "vote", poll_id=poll_id, choice="Más árboles en la plaza, por favor")
    rude = r.do("bob", "vote", poll_id=poll_id, choice="Qué mierda", lang="es")
    assert (clean["state"], rude["state"]) == ("approved", "pending")
    answers = {a.author: a for a in r.state.answers.values()}
    assert (answers["alice"].lang, answers["bob"].terms) == ("es", ("mierda",))


def test_wordcloud_words_that_trip_wait_for_review_instead_of_vanishing() -> None:
    r = room()
    poll_id = r.poll("wordcloud")
    held = r.do("alice", "vote", poll_id=poll_id, choice=["parks", "sh1t"])
    assert held["held"] == ["sh1t"] and held["state"] == "pending"  # as typed, for review
    assert r.state.polls[poll_id].tally.words == {"parks": 1}
    item = r.state.answers[held["answer_id"]]
    view = snapshot_view(r.state, Role.ORGANISER, ORG)["room"]["answers"]
    assert view[0]["kind"] == "wordcloud" and view[0]["text"] == "sh1t"
    # the moderator approves: the word joins alice's ballot and the count
    r.do(ORG, "answer.approve", answer_id=item.id)
    poll = r.state.polls[poll_id]
    assert poll.tally.words == {"parks": 1, "sh1t": 1}
    assert poll.ballots["alice"] == ("parks", "sh1t")
    # ... and a take-down removes it again
    r.do(ORG, "answer.reject", answer_id=item.id, reason="abusive")
    assert poll.tally.words == {"parks": 1}
    assert recount(poll) == poll.tally


def test_a_rejected_held_word_never_counts_and_a_new_ballot_replaces_the_item() -> None:
    r = room()
    poll_id = r.poll("wordcloud")
    first = r.do("bob", "vote", poll_id=poll_id, choice="pendejo")
    r.do(ORG, "answer.reject", answer_id=first["answer_id"], reason="abusive")
    assert r.state.polls[poll_id].tally.words == {}
    second = r.do("bob", "vote", poll_id=poll_id, choice="mierda")
    assert first["answer_id"] not in r.state.answers
    third = r.do("bob", "vote", poll_id=poll_id, choice="trees")  # nothing held: no item
    assert second["answer_id"] not in r.state.answers and "answer_id" not in third
    assert r.refuse(ORG, "answer.approve", answer_id=second["answer_id"]) == "answer.not_found"


def test_room_allow_and_deny_lists() -> None:
    r = room(moderation="post", filter_allow=["Shit Creek"], filter_deny=["Potato head"])
    creek = r.do("alice", "question.ask", text="When will Shit Creek be cleaned?")
    rude = r.do("alice", "question.ask", text="The mayor is a potato-head")
    assert (creek["state"], rude["state"]) == ("approved", "pending")
    assert r.state.questions[rude["question_id"]].flags == ("deny",)
    # attendees do not get the lists; moderators do, and can change them
    public = snapshot_view(r.state, Role.ATTENDEE, "alice")["room"]["settings"]
    assert "filter_deny" not in public and "filter_allow" not in public
    r.do(ORG, "room.update", settings={"filter_deny": []})
    again = r.do("alice", "question.ask", text="The mayor is a potato head!")
    assert again["state"] == "approved"


@pytest.mark.parametrize(
    "settings",
    [
        {"filter_deny": "darn"},
        {"filter_deny": ["ok", 5]},
        {"filter_deny": [""]},
        {"filter_deny": ["..."]},
        {"filter_deny": ["x" * 61]},
        {"filter_deny": ["Darn", "DARN"]},
        {"filter_deny": [f"w{i}" for i in range(201)]},
        {"filter_allow": ["darn"], "filter_deny": ["Darn"]},
    ],
)
def test_bad_room_lists_are_refused(settings: dict[str, Any]) -> None:
    assert Room(create=False).refuse(ORG, "room.create", code="TOWN", title="T", **settings) == (
        "field.invalid"
    )


def test_snapshots_keep_language_terms_and_held_words() -> None:
    r = room(moderation="post")
    r.do("alice", "question.ask", text="Qué mierda", lang="es")
    r.do("bob", "vote", poll_id=r.poll("wordcloud"), choice="shit")
    snap = to_snapshot(r.state)
    assert to_snapshot(from_snapshot(snap)) == snap
