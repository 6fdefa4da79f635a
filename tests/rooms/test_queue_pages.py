"""The moderator queue is paged: snapshots, frames and panel pages carry one page of it."""

from __future__ import annotations

from moderation.roles import Role
from rooms.changes import Change
from rooms.views import QUEUE_PAGE, moderation_queue, snapshot_view, view_frames
from tests.rooms.harness import ORG, Room
from tests.rooms.test_views import run

FLOOD = QUEUE_PAGE * 2 + 7


def _flooded() -> Room:
    room = Room(questions_pending_max=100, questions_per_minute=60)
    people = [f"p{i}" for i in range(3)]
    room.join(*people)
    for i in range(FLOOD):
        room.do(people[i % 3], "question.ask", text=f"Question {i}?", lang="es" if i % 2 else "fr")
    return room


def test_a_moderator_snapshot_lists_one_page_of_the_queue_and_counts_the_rest() -> None:
    room = _flooded()
    qid = room.ask("p0", "Published?", approve=True)
    room_view = snapshot_view(room.state, Role.MODERATOR, ORG)["room"]
    pending = [q for q in room_view["questions"] if q["state"] == "pending"]
    assert len(pending) == QUEUE_PAGE and room_view["pending_total"] == FLOOD
    assert [q["question_id"] for q in pending] == sorted(q["question_id"] for q in pending)
    assert qid in {q["question_id"] for q in room_view["questions"]}  # published ones all stay


def test_queue_pages_cover_every_pending_question_once() -> None:
    room = _flooded()
    seen: list[int] = []
    first = moderation_queue(room.state)
    for page in range(first["pages"]):
        view = moderation_queue(room.state, page)
        assert len(view["questions"]) <= QUEUE_PAGE and view["first"] == page * QUEUE_PAGE + 1
        seen += [q["question_id"] for q in view["questions"]]
    assert len(seen) == len(set(seen)) == FLOOD == first["pending_total"]
    assert moderation_queue(room.state, 999)["page"] == first["pages"] - 1  # clamped
    spanish = moderation_queue(room.state, 0, "es")
    assert spanish["pending_total"] == FLOOD // 2 and spanish["langs"] == ["es", "fr"]
    assert {q["lang"] for q in spanish["questions"]} == {"es"}


def test_frames_for_a_flood_carry_the_first_page_and_a_count() -> None:
    room = Room(questions_pending_max=100, questions_per_minute=60)
    room.join("p0", "p1")
    log: list[Change] = []
    for i in range(FLOOD):
        run(room, log, f"p{i % 2}", "question.ask", text=f"Question {i}?")
    frames = view_frames(room.state, Role.MODERATOR, log)
    asked = [f for f in frames if f["type"] == "question.asked"]
    (queue,) = [f for f in frames if f["type"] == "moderation.queue"]
    assert len(asked) == QUEUE_PAGE
    assert len(queue["questions"]) == QUEUE_PAGE and queue["pending_total"] == FLOOD
    # approving the head brings the next one into the page, and the queue frame says so
    log.clear()
    head = queue["questions"][0]["question_id"]
    run(room, log, ORG, "question.approve", question_id=head)
    frames = view_frames(room.state, Role.MODERATOR, log)
    (queue,) = [f for f in frames if f["type"] == "moderation.queue"]
    assert queue["pending_total"] == FLOOD - 1
    assert head not in {q["question_id"] for q in queue["questions"]}
    assert len(queue["questions"]) == QUEUE_PAGE
    # attendees never see the queue
    assert not [f for f in view_frames(room.state, Role.ATTENDEE, log) if "pending_total" in f]
