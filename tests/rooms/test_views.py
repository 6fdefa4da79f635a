"""What each role sees: snapshots, coalesced frames, personal frames."""

from __future__ import annotations

from typing import Any

from moderation.roles import Role
from rooms import Change, personal_frames, snapshot_view, view_frames
from tests.rooms.harness import ORG, Room


def by_type(frames: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["type"]: f for f in frames}


def track(room: Room) -> list[Change]:
    return []


def run(room: Room, log: list[Change], actor: str, op: str, **fields: Any) -> dict[str, Any]:
    event = room.decide(actor, op, **fields)
    applied = room.commit(actor, event)
    assert applied.error is None, applied.error
    log.extend(applied.changes)
    return applied.result


def test_attendee_snapshot_hides_pending_anonymous_and_unrevealed() -> None:
    room = Room()
    room.join("alice", "bob")
    draft = room.poll(open_=False)
    live = room.poll()
    room.do("alice", "vote", poll_id=live, choice=1)
    pending = room.ask("alice", "Pending?", approve=False)
    anon = room.ask("alice", "Anon?", anonymous=True)
    named = room.ask("bob", "Named?")
    room.do("bob", "question.upvote", question_id=anon)
    view = snapshot_view(room.state, Role.ATTENDEE, "alice")
    polls = {p["poll_id"]: p for p in view["room"]["polls"]}
    assert draft not in polls and "results" not in polls[live]
    questions = {q["question_id"]: q for q in view["room"]["questions"]}
    assert pending not in questions
    assert "author" not in questions[anon] and "author_id" not in questions[anon]
    assert questions[named]["author"] == "Bob" and questions[anon]["upvotes"] == 1
    assert "access_code" not in view["room"]["settings"] and "audit" not in view["room"]
    you = view["you"]
    assert you["participant_id"] == "alice" and you["role"] == "attendee"
    assert you["ballots"] == {str(live): 1}
    assert [q["question_id"] for q in you["questions"]] == [pending, anon]
    assert snapshot_view(room.state, Role.ATTENDEE, "bob")["you"]["upvotes"] == [anon]
    room.do(ORG, "poll.reveal", poll_id=live)
    polls = snapshot_view(room.state, Role.ATTENDEE, "alice")["room"]["polls"]
    assert polls[0]["results"] == {"voters": 1, "counts": [0, 1, 0]}


def test_moderator_snapshot_sees_everything() -> None:
    room = Room(access_code="abc")
    room.join("alice", access_code="abc")
    room.poll(open_=False)
    qid = room.ask("alice", "Anon?", anonymous=True, approve=False)
    room.do(ORG, "participant.ban", participant_id="alice", reason="spam")
    room.do(ORG, "moderator.add", name="Mo")
    view = snapshot_view(room.state, Role.MODERATOR, "m9")
    r = view["room"]
    assert r["settings"]["access_code"] == "abc"
    # Staff see who asked a named question, never an anonymous one.
    assert "author_id" not in r["questions"][0] and r["questions"][0]["question_id"] == qid
    assert len(r["polls"]) == 1 and "results" in r["polls"][0]
    assert r["banned"][0]["participant_id"] == "alice"
    assert r["moderators"] == [{"moderator_id": f"m{room.state.seq}", "name": "Mo", "active": True}]
    assert r["audit"][-1]["action"] == "moderator.added"
    assert view["you"] == {"participant_id": "m9", "role": "moderator"}


def test_staff_see_named_askers_but_never_who_voted_what() -> None:
    room = Room(moderation="pre")
    room.join("alice")
    open_poll = room.poll("open")
    room.do("alice", "vote", poll_id=open_poll, choice="More benches")
    named = room.ask("alice", "Named?", anonymous=False, approve=False)
    for role in (Role.ORGANISER, Role.MODERATOR):
        r = snapshot_view(room.state, role, "m1")["room"]
        assert {q["question_id"]: q.get("author_id") for q in r["questions"]} == {named: "alice"}
        assert r["answers"] and all("author_id" not in a for a in r["answers"])
        assert "alice" not in str(r["polls"]) and "alice" not in str(r["answers"])


def test_screen_and_embed() -> None:
    room = Room()
    room.join(*[f"p{i}" for i in range(25)])
    ids = [room.ask(f"p{i}", f"Q{i}?") for i in range(25)]
    room.do("p1", "question.upvote", question_id=ids[24])
    room.poll("rating")
    screen = snapshot_view(room.state, Role.SCREEN, None)["room"]
    assert len(screen["questions"]) == 20 and screen["questions"][-1]["question_id"] == ids[24]
    assert screen["code"] == "TOWN"
    embed = snapshot_view(room.state, Role.EMBED, None)["room"]
    assert "questions" not in embed and "speaker" not in embed and len(embed["polls"]) == 1


def test_ballots_coalesce_into_one_tally_frame() -> None:
    room = Room()
    room.join("alice", "bob")
    poll_id = room.poll()
    log: list[Change] = []
    run(room, log, "alice", "vote", poll_id=poll_id, choice=0)
    run(room, log, "bob", "vote", poll_id=poll_id, choice=2)
    run(room, log, "bob", "vote", poll_id=poll_id, choice=1)
    assert view_frames(room.state, Role.MODERATOR, log) == [
        {"type": "poll.tally", "poll_id": poll_id, "results": {"voters": 2, "counts": [1, 1, 0]}}
    ]
    assert view_frames(room.state, Role.ATTENDEE, log) == []  # results not revealed
    run(room, log, ORG, "poll.reveal", poll_id=poll_id)
    frames = by_type(view_frames(room.state, Role.ATTENDEE, log))
    assert frames["poll.revealed"]["poll"]["results"]["voters"] == 2
    assert "poll.tally" not in frames


def test_draft_polls_and_deletions() -> None:
    room = Room()
    log: list[Change] = []
    draft = run(room, log, ORG, "poll.create", kind="rating", question="Q?")["poll_id"]
    assert view_frames(room.state, Role.ATTENDEE, log) == []
    assert (
        by_type(view_frames(room.state, Role.MODERATOR, log))["poll.created"]["poll"]["kind"]
        == "rating"
    )
    run(room, log, ORG, "poll.delete", poll_id=draft)
    assert view_frames(room.state, Role.ATTENDEE, log) == []  # never seen, nothing to remove
    live = room.poll("rating")
    log2: list[Change] = []
    run(room, log2, ORG, "poll.delete", poll_id=live)
    assert view_frames(room.state, Role.ATTENDEE, log2) == [
        {"type": "poll.removed", "poll_id": live}
    ]


def test_question_frames_and_removal() -> None:
    room = Room()
    room.join("alice", "bob")
    log: list[Change] = []
    qid = run(room, log, "alice", "question.ask", text="Why?")["question_id"]
    assert [f["type"] for f in view_frames(room.state, Role.ATTENDEE, log)] == ["moderation.ledger"]
    mod = by_type(view_frames(room.state, Role.MODERATOR, log))
    assert mod["question.asked"]["question"]["author_id"] == "alice"
    log.clear()
    run(room, log, ORG, "question.approve", question_id=qid)
    run(room, log, "bob", "question.upvote", question_id=qid)
    frames = by_type(view_frames(room.state, Role.ATTENDEE, log))
    assert frames["question.upvoted"]["question"]["upvotes"] == 1
    assert frames["moderation.ledger"]["ledger"]["questions"]["approved"] == 1
    assert "audit.entry" not in frames
    assert by_type(view_frames(room.state, Role.MODERATOR, log))["audit.entry"]["entry"][
        "action"
    ] == ("question.approved")
    log.clear()
    run(room, log, ORG, "question.hide", question_id=qid)
    assert {"type": "question.removed", "question_id": qid} in view_frames(
        room.state, Role.ATTENDEE, log
    )
    assert view_frames(room.state, Role.EMBED, log) == []
    personal = personal_frames(room.state, log)
    assert personal[0][0] == "alice" and personal[0][1]["type"] == "question.hidden"


def test_rejection_reaches_only_the_author() -> None:
    room = Room()
    room.join("alice")
    qid = room.ask("alice", approve=False)
    log: list[Change] = []
    run(room, log, ORG, "question.reject", question_id=qid, reason="off_topic")
    assert [f["type"] for f in view_frames(room.state, Role.ATTENDEE, log)] == ["moderation.ledger"]
    assert personal_frames(room.state, log) == [
        (
            "alice",
            {
                "type": "question.rejected",
                "question_id": qid,
                "state": "rejected",
                "text": "Why?",
                "reason": "off_topic",
            },
        )
    ]
    ledger = snapshot_view(room.state, Role.ATTENDEE, "alice")["room"]["ledger"]
    assert ledger["questions"]["rejected"] == {"off_topic": 1}


def test_open_answers_frames() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll("open")
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    log: list[Change] = []
    first = run(room, log, "alice", "vote", poll_id=poll_id, choice="Parks")["answer_id"]
    second = run(room, log, "alice", "vote", poll_id=poll_id, choice="Trees")["answer_id"]
    mod = view_frames(room.state, Role.MODERATOR, log)
    assert {"type": "answer.removed", "answer_id": first} in mod
    assert by_type(mod)["ballot.cast"]["answer"]["answer_id"] == second
    log.clear()
    run(room, log, ORG, "answer.approve", answer_id=second)
    tally = by_type(view_frames(room.state, Role.ATTENDEE, log))["poll.tally"]
    assert tally["results"]["answers"] == [{"answer_id": second, "text": "Trees"}]
    assert personal_frames(room.state, log)[0][1]["type"] == "answer.approved"


def test_speaker_frames_and_positions() -> None:
    room = Room()
    room.join("alice", "bob", "carol")
    log: list[Change] = []
    for who in ("alice", "bob", "carol"):
        run(room, log, who, "speaker.request", topic=f"{who} topic")
    log.clear()
    run(room, log, ORG, "speaker.next")
    run(room, log, ORG, "speaker.skip")
    frames = view_frames(room.state, Role.ATTENDEE, log)
    assert frames == [
        {
            "type": "speaker.queue",
            "current": {
                "name": "Alice",
                "topic": "alice topic",
                "since": room.state.floor.since,  # type: ignore[union-attr]
                "time_limit_s": 120,
            },
            "queue": [{"name": "Carol", "topic": "carol topic"}],
            "length": 1,
        }
    ]
    mod = view_frames(room.state, Role.MODERATOR, log)[0]
    assert mod["queue"][0]["participant_id"] == "carol"
    personal = personal_frames(room.state, log)
    assert (
        "alice",
        {
            "type": "speaker.called",
            "topic": "alice topic",
            "since": room.state.floor.since,
            "time_limit_s": 120,
        },
    ) in personal  # type: ignore[union-attr]
    assert ("bob", {"type": "speaker.skipped"}) in personal
    assert ("carol", {"type": "speaker.position", "position": 1}) in personal
    you = snapshot_view(room.state, Role.ATTENDEE, "carol")["you"]
    assert you["speaker"] == {"position": 1, "speaking": False}


def test_reactions_participants_room_moderator_frames() -> None:
    room = Room()
    log: list[Change] = []
    room.join("alice")
    run(room, log, "bob", "participant.join", name="Bob")
    run(room, log, "alice", "react", emoji="👍")
    run(room, log, "bob", "react", emoji="👍")
    run(room, log, ORG, "participant.ban", participant_id="bob", reason="spam")
    run(room, log, ORG, "room.update", title="Renamed")
    run(room, log, ORG, "moderator.add", name="Mo")
    attendee = by_type(view_frames(room.state, Role.ATTENDEE, log))
    assert attendee["reaction.counts"]["counts"]["👍"] == 2
    assert attendee["room.participants"] == {"type": "room.participants", "count": 2}
    assert attendee["room.updated"]["room"]["title"] == "Renamed"
    assert "participant.banned" not in attendee and "moderator.added" not in attendee
    mod = by_type(view_frames(room.state, Role.MODERATOR, log))
    assert mod["participant.banned"]["participant"]["ban_reason"] == "spam"
    assert mod["moderator.added"]["moderator"]["name"] == "Mo"
    assert [f["type"] for f in view_frames(room.state, Role.EMBED, log)] == ["reaction.counts"]
    assert ("bob", {"type": "participant.banned", "reason": "spam"}) in personal_frames(
        room.state, log
    )


def test_frames_skip_items_that_no_longer_exist() -> None:
    room = Room()
    stale = [
        Change("poll", 99, "poll.opened"),
        Change("question", 99, "question.upvoted"),
        Change("moderator", "m99", "moderator.added"),
        Change("answer", 99, "answer.approved"),
    ]
    assert view_frames(room.state, Role.ATTENDEE, stale) == [
        {
            "type": "moderation.ledger",
            "ledger": snapshot_view(room.state, Role.ATTENDEE, None)["room"]["ledger"],
        }
    ]
    assert personal_frames(room.state, stale) == []


def test_views_are_json_safe_for_every_kind() -> None:
    import json

    room = Room()
    room.join("alice")
    for kind in ("single", "multiple", "rating", "wordcloud", "open", "ranking", "budget"):
        pid = room.poll(kind)
        room.do(ORG, "poll.reveal", poll_id=pid)
    for role in Role:
        json.dumps(snapshot_view(room.state, role, "alice"))
