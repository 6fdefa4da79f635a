"""What the big screen shows: op screen.show, its refusals, and the meeting's default."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.roles import Role
from rooms import CommandError, from_snapshot, snapshot_view, to_snapshot, view_frames
from rooms.events import PollDeleted, ScreenShown
from rooms.presenting import TARGETS, Shown, shown
from rooms.transcript import replay
from tests.rooms.harness import ORG, Room


def test_until_someone_chooses_the_screen_follows_the_meeting() -> None:
    room = Room()
    assert shown(room.state) == Shown("welcome", None, chosen=False)  # nothing to show yet
    draft = room.poll(open_=False)
    assert shown(room.state).target == "welcome"  # a draft is never on screen
    first = room.poll()
    second = room.poll()
    assert shown(room.state) == Shown("poll", second, chosen=False)  # the newest open poll
    room.do(ORG, "poll.close", poll_id=second)
    assert shown(room.state).target_id == first
    room.do(ORG, "poll.close", poll_id=first)
    assert shown(room.state).target == "welcome"  # closed and not revealed: not shown
    room.do(ORG, "poll.reveal", poll_id=first)
    assert shown(room.state) == Shown("poll", first, chosen=False)  # else the newest revealed
    assert draft not in {shown(room.state).target_id}


def test_following_the_meeting_a_vote_comes_first_then_the_question_then_the_speaker() -> None:
    room = Room(speaker_time_limit_s=60)
    room.join("ana", "bo")
    revealed = room.poll()
    room.do(ORG, "poll.close", poll_id=revealed)
    room.do(ORG, "poll.reveal", poll_id=revealed)
    room.do("bo", "speaker.request")
    room.do(ORG, "speaker.next")
    qid = room.ask("ana")
    room.do(ORG, "question.pin", question_id=qid)
    running = room.poll()
    assert shown(room.state) == Shown("poll", running, chosen=False)
    room.do(ORG, "poll.close", poll_id=running)
    assert shown(room.state) == Shown("question", qid, chosen=False)
    room.do(ORG, "question.unpin", question_id=qid)
    assert shown(room.state) == Shown("speaker", None, chosen=False)
    room.do(ORG, "speaker.finish")
    assert shown(room.state) == Shown("poll", revealed, chosen=False)


def test_a_moderator_puts_each_kind_of_thing_on_screen() -> None:
    room = Room()
    room.join("ana")
    poll = room.poll()
    later = room.poll()
    qid = room.ask("ana", "Will the park be lit?")
    assert room.do(ORG, "screen.show", target="poll", target_id=poll) == {
        "target": "poll",
        "target_id": poll,
    }
    assert shown(room.state) == Shown("poll", poll, chosen=True)  # not the newest: the chosen
    room.do(ORG, "screen.show", target="question", target_id=qid)
    assert shown(room.state) == Shown("question", qid, chosen=True)
    for target in ("welcome", "speaker", "nothing"):
        # An id given with a target that names nothing is not kept.
        room.do(ORG, "screen.show", target=target, target_id=later)
        assert shown(room.state) == Shown(target, None, chosen=True)
    room.do(ORG, "screen.show", target="auto")
    assert shown(room.state) == Shown("poll", later, chosen=False)
    header = snapshot_view(room.state, Role.SCREEN, None)["room"]["presenting"]
    assert header["target"] == "auto" and header["target_id"] is None
    assert isinstance(header["since"], int)


def test_what_cannot_be_shown_is_refused() -> None:
    room = Room()
    room.join("ana", "bo")
    draft = room.poll(open_=False)
    room.do(ORG, "room.update", settings={"moderation": "pre"})
    pending = room.ask("bo", "Still waiting?", approve=False)
    assert room.refuse(ORG, "screen.show", target="slides") == "field.invalid"
    assert room.refuse(ORG, "screen.show", target=3) == "field.invalid"
    assert room.refuse(ORG, "screen.show") == "field.missing"
    assert room.refuse(ORG, "screen.show", target="poll") == "field.missing"
    assert room.refuse(ORG, "screen.show", target="poll", target_id="1") == "field.invalid"
    assert room.refuse(ORG, "screen.show", target="poll", target_id=99) == "poll.not_found"
    assert room.refuse(ORG, "screen.show", target="poll", target_id=draft) == "poll.not_open"
    assert room.refuse(ORG, "screen.show", target="question", target_id=99) == (
        "question.not_found"
    )
    assert room.refuse(ORG, "screen.show", target="question", target_id=pending) == (
        "question.not_visible"
    )
    # Attendees, the screen itself and the overlay may not choose.
    for actor, role in (("ana", None), ("screen", Role.SCREEN), ("embed", Role.EMBED)):
        assert room.refuse(actor, "screen.show", role=role, target="welcome") == "auth.forbidden"


def test_a_choice_that_can_no_longer_be_shown_falls_back_to_the_meeting() -> None:
    room = Room()
    room.join("ana")
    poll = room.poll()
    other = room.poll()
    qid = room.ask("ana")
    room.do(ORG, "screen.show", target="poll", target_id=poll)
    room.do(ORG, "poll.delete", poll_id=poll)
    assert shown(room.state) == Shown("poll", other, chosen=False)
    room.do(ORG, "screen.show", target="question", target_id=qid)
    room.do(ORG, "question.hide", question_id=qid)
    assert shown(room.state) == Shown("poll", other, chosen=False)
    # An answered question stays on screen: it is still published.
    qid2 = room.ask("ana", "Another?")
    room.do(ORG, "screen.show", target="question", target_id=qid2)
    room.do(ORG, "question.answer", question_id=qid2, text="Yes")
    assert shown(room.state) == Shown("question", qid2, chosen=True)


def test_a_race_lost_at_apply_changes_nothing_but_seq() -> None:
    room = Room()
    poll = room.poll()
    event = room.decide(ORG, "screen.show", target="poll", target_id=poll)
    room.commit(ORG, PollDeleted(poll_id=poll))  # another moderator deleted it first
    before = to_snapshot(room.state)
    applied = room.commit(ORG, event)
    assert applied.error is not None and applied.error.code == "poll.not_found"
    after = to_snapshot(room.state)
    assert {**after, "seq": 0, "ops": None} == {**before, "seq": 0, "ops": None}
    assert room.state.presenting is None


def test_audited_replayed_snapshotted_and_sent_to_every_view() -> None:
    room = Room()
    poll = room.poll()
    room.do(ORG, "screen.show", target="poll", target_id=poll)
    result = room.commit(ORG, ScreenShown(target="welcome"))
    entry = room.state.audit[-1]
    assert (entry.action, entry.target, entry.after["target"]) == (
        "screen.shown",
        "screen:welcome",
        "welcome",
    )
    assert entry.before["target"] == "poll" and entry.before["target_id"] == poll
    assert to_snapshot(from_snapshot(to_snapshot(room.state))) == to_snapshot(room.state)
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)
    for role in Role:
        frames = view_frames(room.state, role, result.changes)
        shown_frames = [f for f in frames if f["type"] == "screen.shown"]
        assert len(shown_frames) == 1, role
        assert shown_frames[0]["room"]["presenting"]["target"] == "welcome"


def test_old_snapshots_without_a_choice_still_load() -> None:
    room = Room()
    snap = to_snapshot(room.state)
    del snap["presenting"]
    assert from_snapshot(snap).presenting is None


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_whatever_happens_the_screen_shows_something_it_may_show(data: st.DataObject) -> None:
    room = Room()
    room.join("ana")
    moves = st.sampled_from(["show", "show", "poll", "open", "close", "reveal", "delete", "ask"])
    for _ in range(data.draw(st.integers(1, 25))):
        move = data.draw(moves)
        polls = list(room.state.polls) or [1]
        questions = list(room.state.questions) or [1]
        fields: dict[str, Any]
        if move == "show":
            target = data.draw(st.sampled_from([*TARGETS, "bogus"]))
            ident = data.draw(st.sampled_from([*polls, *questions, 99, None, "2"]))
            op, fields = "screen.show", {"target": target, "target_id": ident}
        elif move == "poll":
            op, fields = "poll.create", {"kind": "single", "question": "Q?", "options": ["a", "b"]}
        elif move == "ask":
            op, fields = "question.ask", {"text": f"Why {len(questions)}?", "anonymous": False}
        else:
            op, fields = f"poll.{move}", {"poll_id": data.draw(st.sampled_from(polls))}
        actor = "ana" if move == "ask" else ORG
        before = to_snapshot(room.state)
        try:
            room.do(actor, op, **fields)
        except CommandError:  # a refusal: nothing changed but seq and op memory
            after = to_snapshot(room.state)
            assert {**after, "seq": 0, "ops": None} == {**before, "seq": 0, "ops": None}
        now = shown(room.state)
        assert now.target in TARGETS and now.target != "auto"
        if now.target == "poll":
            assert now.target_id is not None
            poll = room.state.polls[now.target_id]
            assert not poll.deleted and poll.state != "draft"
        if now.target == "question":
            assert now.target_id is not None
            assert room.state.questions[now.target_id].state in ("approved", "answered")
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)


def test_the_overlay_hears_when_what_it_follows_changes_and_nothing_more() -> None:
    room = Room(speaker_time_limit_s=60)
    room.join("ana", "bo")
    qid = room.ask("ana", "Lit at night?")
    other = room.ask("bo", "Sundays?")
    room.do(ORG, "screen.show", target="question", target_id=qid)

    def embed_frames(actor: str, op: str, **fields: Any) -> list[dict[str, Any]]:
        event = room.decide(actor, op, **fields)
        applied = room.commit(actor, event)
        return view_frames(room.state, Role.EMBED, applied.changes)

    shown_qid = embed_frames(ORG, "question.answer", question_id=qid, text="From May.")
    assert [f["type"] for f in shown_qid] == ["screen.shown"]
    assert "question" not in shown_qid[0] and "questions" not in shown_qid[0]["room"]
    assert embed_frames("ana", "question.upvote", question_id=other) == []  # not on screen
    room.do(ORG, "screen.show", target="poll", target_id=room.poll())
    assert embed_frames("bo", "speaker.request") == []  # the screen shows a poll
    assert [f["type"] for f in embed_frames(ORG, "speaker.next")] == ["screen.shown"]
