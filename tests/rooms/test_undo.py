"""Undo in the engine: a deleted poll restored (`poll.restore`), a rejected question back in
the queue (`question.restore`), a rejected open answer back to review (`answer.restore`).
All are events in the log, so replay and the public recount
agree with the live room; the lifecycle tables say what can be restored."""

from __future__ import annotations

from moderation.filters import TextFilters
from moderation.roles import Role
from rooms import Change, to_snapshot, view_frames
from rooms.events import AnswerRestored, PollDeleted, PollRestored, QuestionRestored
from rooms.lifecycles import ANSWER, DELETED, QUESTION
from rooms.recount import recount
from rooms.render import poll_results
from rooms.transcript import replay
from rooms.views import moderation_queue
from tests.rooms.harness import ORG, Room
from tests.rooms.test_privacy import _public
from tests.server.tools.test_quiz_recount import _node


def test_the_tables_say_what_can_be_restored() -> None:
    assert DELETED.next(False, PollDeleted) is True
    assert DELETED.next(True, PollRestored) is False
    assert DELETED.refusal(False, PollRestored) == "poll.not_deleted"
    assert QUESTION.next("rejected", QuestionRestored) == "pending"
    for state in QUESTION.states:
        if state != "rejected":
            assert QUESTION.refusal(state, QuestionRestored) == "question.not_rejected"


def test_a_deleted_poll_comes_back_as_it_was() -> None:
    room = Room()
    room.join("alice", "bob", "carol")
    poll_id = room.poll("single")
    for who, choice in (("alice", 0), ("bob", 1), ("carol", 1)):
        room.do(who, "vote", poll_id=poll_id, choice=choice)
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    before = poll_results(room.state, room.state.polls[poll_id])
    room.do(ORG, "poll.delete", poll_id=poll_id)
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=2) == "poll.not_found"
    assert room.do(ORG, "poll.restore", poll_id=poll_id) == {"poll_id": poll_id}
    poll = room.state.polls[poll_id]
    assert not poll.deleted and poll.state == "open" and poll.revealed
    assert poll_results(room.state, poll) == before
    room.do("alice", "vote", poll_id=poll_id, choice=2)  # it takes ballots again
    assert room.state.audit[-2].target == f"poll:{poll_id}"  # the undo is audited


def test_only_a_deleted_poll_can_be_restored() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll()
    assert room.refuse(ORG, "poll.restore", poll_id=poll_id) == "poll.not_deleted"
    assert room.refuse(ORG, "poll.restore", poll_id=999) == "poll.not_found"
    room.do(ORG, "poll.delete", poll_id=poll_id)
    assert room.refuse("alice", "poll.restore", poll_id=poll_id) == "auth.forbidden"
    room.do(ORG, "poll.restore", poll_id=poll_id)
    assert room.refuse(ORG, "poll.restore", poll_id=poll_id) == "poll.not_deleted"


def test_a_restore_that_lost_a_race_changes_nothing() -> None:
    room = Room()
    poll_id = room.poll()
    room.do(ORG, "poll.delete", poll_id=poll_id)
    first = room.decide(ORG, "poll.restore", poll_id=poll_id)
    second = room.decide(ORG, "poll.restore", poll_id=poll_id)  # a second moderator, at once
    assert room.commit(ORG, first).error is None
    audited = len(room.state.audit)
    applied = room.commit(ORG, second)
    assert applied.error is not None and applied.error.code == "poll.not_deleted"
    assert applied.changes == () and len(room.state.audit) == audited
    assert not room.state.polls[poll_id].deleted


def test_the_transcript_recounts_a_restored_poll() -> None:
    room = Room()
    room.join("alice", "bob")
    kept, gone = room.poll("single"), room.poll("rating")
    for who in ("alice", "bob"):
        room.do(who, "vote", poll_id=kept, choice=1)
        room.do(who, "vote", poll_id=gone, choice=4)
    for poll_id in (kept, gone):
        room.do(ORG, "poll.delete", poll_id=poll_id)
    room.do(ORG, "poll.restore", poll_id=kept)
    tally = recount(_public(room))
    assert set(tally.results) == {kept}  # the one still deleted is not counted
    ours, theirs = tally.results[kept], poll_results(room.state, room.state.polls[kept])
    assert ours == {k: theirs[k] for k in ours}
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)


def test_everyone_who_saw_the_poll_gets_it_back() -> None:
    room = Room()
    poll_id = room.poll()
    room.do(ORG, "poll.delete", poll_id=poll_id)
    event = room.decide(ORG, "poll.restore", poll_id=poll_id)
    changes: list[Change] = list(room.commit(ORG, event).changes)
    for role in (Role.ATTENDEE, Role.MODERATOR):
        frames = [f for f in view_frames(room.state, role, changes) if "poll" in f]
        assert [(f["type"], f["poll"]["poll_id"]) for f in frames] == [("poll.restored", poll_id)]


def test_a_rejected_question_goes_back_to_the_queue() -> None:
    room = Room(moderation="pre")
    room.join("alice")
    question_id = room.ask("alice", "Why is the pool closed?", approve=False)
    room.do(ORG, "question.reject", question_id=question_id, reason="off_topic")
    assert moderation_queue(room.state)["pending_total"] == 0
    assert room.do(ORG, "question.restore", question_id=question_id) == {
        "question_id": question_id,
        "state": "pending",
    }
    q = room.state.questions[question_id]
    assert q.state == "pending" and q.reason is None
    queue = moderation_queue(room.state)
    assert [item["question_id"] for item in queue["questions"]] == [question_id]
    assert room.state.audit[-1].before == "off_topic"  # why it had been rejected, kept
    room.do(ORG, "question.approve", question_id=question_id)  # and it is decided anew
    assert room.refuse(ORG, "question.restore", question_id=question_id) == (
        "question.not_rejected"
    )
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)


def test_only_a_rejected_question_can_be_restored() -> None:
    room = Room(moderation="pre")
    room.join("alice")
    question_id = room.ask("alice", approve=False)
    assert room.refuse(ORG, "question.restore", question_id=question_id) == (
        "question.not_rejected"
    )
    assert room.refuse(ORG, "question.restore", question_id=404) == "question.not_found"


def test_the_table_sends_a_rejected_answer_back_to_review() -> None:
    assert ANSWER.next("rejected", AnswerRestored) == "pending"
    for state in ANSWER.states:
        if state != "rejected":
            assert ANSWER.refusal(state, AnswerRestored) == "answer.not_rejected"


def test_a_rejected_open_answer_goes_back_to_review_and_the_recount_agrees() -> None:
    room = Room(moderation="pre")
    room.join("alice", "bob")
    poll_id = room.poll("open")
    first = room.do("alice", "vote", poll_id=poll_id, choice="More benches")["answer_id"]
    room.do("bob", "vote", poll_id=poll_id, choice="Longer hours")
    room.do(ORG, "answer.reject", answer_id=first, reason="off_topic")
    assert room.do(ORG, "answer.restore", answer_id=first) == {
        "answer_id": first,
        "state": "pending",
    }
    found = room.state.answers[first]
    assert found.state == "pending" and found.reason is None
    assert room.state.audit[-1].before == "off_topic"  # why it had been rejected, kept
    assert room.refuse(ORG, "answer.restore", answer_id=first) == "answer.not_rejected"
    room.do(ORG, "answer.approve", answer_id=first)  # decided anew
    assert room.state.answers[first].state == "approved"
    assert room.refuse(ORG, "answer.restore", answer_id=first) == "answer.not_rejected"
    entries = _public(room)
    tally = recount(entries)
    assert tally.results[poll_id]["voters"] == room.state.polls[poll_id].tally.voters == 2
    # the browser's recount (static/js/verify.js) reads the same entries the same way
    assert _node({"entries": entries})["results"] == {str(k): v for k, v in tally.results.items()}
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)


def test_a_word_clouds_words_taken_down_come_back_only_when_approved_again() -> None:
    room = Room(filters=TextFilters(profanity={"en": frozenset({"darn"})}))
    room.join("alice")
    poll_id = room.poll("wordcloud", max_words=2)
    held = room.do("alice", "vote", poll_id=poll_id, choice="sunny darn")["answer_id"]
    room.do(ORG, "answer.approve", answer_id=held)
    counted = room.state.polls[poll_id].ballots["alice"]
    room.do(ORG, "answer.reject", answer_id=held, reason="abusive")
    room.do(ORG, "answer.restore", answer_id=held)
    assert room.state.answers[held].state == "pending"
    assert "darn" not in room.state.polls[poll_id].ballots["alice"]  # out until approved
    room.do(ORG, "answer.approve", answer_id=held)
    assert room.state.polls[poll_id].ballots["alice"] == counted
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)


def test_restoring_an_answer_is_for_moderators_and_known_answers() -> None:
    room = Room(moderation="pre")
    room.join("alice")
    poll_id = room.poll("open")
    answer = room.do("alice", "vote", poll_id=poll_id, choice="Shade")["answer_id"]
    assert room.refuse(ORG, "answer.restore", answer_id=answer) == "answer.not_rejected"
    room.do(ORG, "answer.reject", answer_id=answer, reason="spam")
    assert room.refuse("alice", "answer.restore", answer_id=answer) == "auth.forbidden"
    assert room.refuse(ORG, "answer.restore", answer_id=404) == "answer.not_found"
