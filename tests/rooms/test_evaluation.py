"""The evaluation report of one scripted meeting, every figure written out by hand.

Times are seconds after the room's creation; the comments give the arithmetic.
"""

from __future__ import annotations

from typing import Any

import pytest

from rooms.evaluation import evaluate
from rooms.events import ReactionSent
from tests.rooms.harness import ORG, T0, Room


def meeting() -> tuple[Room, dict[str, int]]:
    room = Room(create=False)
    ids: dict[str, int] = {}

    def at(t: int, actor: str, op: str, **fields: Any) -> dict[str, Any]:
        room.now = T0 + t * 1000 - 1000  # the harness adds 1 s per op
        return room.do(actor, op, **fields)

    at(0, ORG, "room.create", code="TOWN", title="Town hall",
       settings={"districts": ["North", "South"]})
    at(10, "alice", "participant.join", name="Alice", district="North")
    at(20, "bob", "participant.join", name="Bob", district="South")
    at(30, "carol", "participant.join", name="Carol")
    at(40, "dave", "participant.join", name="Dave", district="North")
    ids["poll"] = at(50, ORG, "poll.create", kind="single", question="Bus lane?",
                     options=["Yes", "No"])["poll_id"]
    at(60, ORG, "poll.open", poll_id=ids["poll"])
    at(70, "alice", "vote", poll_id=ids["poll"], choice=0)
    at(80, "bob", "vote", poll_id=ids["poll"], choice=1)
    at(90, "carol", "vote", poll_id=ids["poll"], choice=0)
    at(100, "alice", "vote", poll_id=ids["poll"], choice=1)  # changes her vote
    at(130, ORG, "poll.close", poll_id=ids["poll"])
    at(140, "erin", "participant.join", name="Erin", district="South")  # after the close
    at(145, "gina", "participant.join")  # joins, never does anything
    ids["q_alice"] = at(150, "alice", "question.ask", text="When will the library reopen?",
                        anonymous=False)["question_id"]
    ids["q_bob"] = at(160, "bob", "question.ask", text="<script>alert(1)</script> Why?",
                      anonymous=False)["question_id"]
    ids["q_carol"] = at(170, "carol", "question.ask", text="Potholes?",
                        anonymous=True)["question_id"]
    at(200, ORG, "question.approve", question_id=ids["q_alice"])  # 50 s after asking
    at(230, ORG, "question.reject", question_id=ids["q_bob"], reason="abusive")  # 70 s
    at(260, ORG, "question.approve", question_id=ids["q_carol"])  # 90 s
    at(270, "bob", "question.upvote", question_id=ids["q_alice"])
    at(280, "dave", "question.upvote", question_id=ids["q_alice"])
    at(290, "alice", "question.upvote", question_id=ids["q_carol"])
    at(300, ORG, "question.answer", question_id=ids["q_alice"], text="In March.")  # 150 s
    at(310, "dave", "speaker.request", topic="Parking")
    at(320, "carol", "speaker.request", topic="Trees")
    at(330, "erin", "speaker.request", topic="Noise")
    at(340, "erin", "speaker.withdraw")
    at(345, "erin", "speaker.request", topic="Noise")
    at(400, ORG, "speaker.next")  # dave, after waiting 90 s
    at(460, ORG, "speaker.next")  # carol, after 140 s; dave spoke 60 s
    at(470, ORG, "speaker.skip")  # erin
    at(520, ORG, "speaker.finish")  # carol spoke 60 s
    at(530, "alice", "react", emoji="👏")
    at(540, "bob", "react", emoji="👏")
    at(600, "dave", "react", emoji="👍")
    at(610, ORG, "participant.ban", participant_id="bob", reason="abusive")
    # decided before the ban, committed after it: in the log, but it changed nothing
    room.now = T0 + 619_000
    assert room.commit("bob", ReactionSent(emoji="👍")).error is not None
    at(700, ORG, "room.close")
    return room, ids


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    room, _ids = meeting()
    return evaluate(room.records)


def test_room_and_log(report: dict[str, Any]) -> None:
    assert report["room"]["code"] == "TOWN"
    assert report["room"]["created_at"] == T0
    assert report["room"]["closed_at"] == T0 + 700_000
    assert report["room"]["duration_s"] == 700.0
    # 1 create + 7 joins + 7 poll ops/votes + 3 asks + 3 moderations + 3 upvotes + 1 answer
    # + 5 speaker requests/withdrawals + 4 calls/skip/finish + 3 reactions + ban + refused + close
    assert report["log"] == {"entries": 39, "head_seq": 39, "ineffective": 1}


def test_participants(report: dict[str, Any]) -> None:
    p = report["participants"]
    assert p["joined"] == 6  # alice bob carol dave erin gina
    assert p["active"] == 5  # all but gina
    assert p["banned"] == 1
    # 70 s .. 369 s holds actions of alice, bob, carol, dave and erin (erin at 330 s)
    assert p["peak_active"] == 5 and p["peak_window_s"] == 300
    assert p["peak_window_from"] == T0 + 70_000
    # Two people per district (and two who gave none): each under the minimum cell size of 5,
    # so no breakdown at all (tests/rooms/test_districts.py has the rules).
    assert p["by_district"] is None


def test_peak_with_a_one_minute_window() -> None:
    room, _ids = meeting()
    p = evaluate(room.records, window_ms=60_000)["participants"]
    # 270 s bob, 280 dave, 290 alice, 310 dave, 320 carol: four people within 60 s
    assert (p["peak_active"], p["peak_window_from"]) == (4, T0 + 270_000)


def test_poll(report: dict[str, Any]) -> None:
    (poll,) = report["polls"]
    assert poll["question"] == "Bus lane?" and poll["state"] == "closed"
    assert poll["voters"] == 3 and poll["ballots_cast"] == 4
    assert poll["results"] == {"voters": 3, "counts": [1, 2]}  # carol yes; alice, bob no
    assert poll["eligible"] == 4  # erin and gina joined after the close
    assert poll["participation_rate"] == 0.75
    assert poll["by_district"] is None  # three voters, one per group: it would show each ballot


def test_timeline(report: dict[str, Any]) -> None:
    t = report["timeline"]
    assert t["start"] == T0 and t["bucket_s"] == 60
    assert t["votes"] == [0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # 70-100 s; 700 s is bucket 11
    assert t["questions"] == [0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # 150-170 s
    assert t["reactions"] == [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0]  # 530 | 540 | 600 s


def test_questions(report: dict[str, Any]) -> None:
    _room, ids = meeting()
    q = report["questions"]
    assert q["asked"] == 3 and q["published_at_once"] == 0
    assert q["approved"] == 2 and q["answered"] == 1
    assert q["rejected"] == 1 and q["rejected_by_reason"] == {"abusive": 1}
    assert q["hidden"] == 0
    assert q["final_states"] == {"answered": 1, "approved": 1, "rejected": 1}
    assert q["median_moderation_s"] == 70.0  # median of 50, 70, 90
    assert q["median_answer_s"] == 150.0
    assert [(t["question_id"], t["upvotes"], t["answered"]) for t in q["top_upvoted"]] == [
        (ids["q_alice"], 2, True),
        (ids["q_carol"], 1, False),
    ]
    assert q["top_answered_share"] == 0.5


def test_speakers_reactions_moderation(report: dict[str, Any]) -> None:
    assert report["speakers"] == {
        "requests": 4,
        "called": 2,
        "skipped": 1,
        "withdrawn": 1,
        "speakers": 2,
        "median_wait_s": 115.0,  # (90 + 140) / 2
        "speaking_time_s": 120.0,
    }
    assert report["reactions"] == {"total": 3, "by_emoji": {"👍": 1, "👏": 2}}
    assert report["moderation"]["bans"] == 1
    assert report["moderation"]["actions"] == {
        "participant.banned": 1,
        "poll.closed": 1,
        "poll.created": 1,
        "poll.opened": 1,
        "question.answered": 1,
        "question.approved": 2,
        "question.rejected": 1,
        "room.closed": 1,
        "room.created": 1,
        "speaker.called": 2,
        "speaker.finished": 1,
        "speaker.skipped": 1,
    }


def test_a_floor_held_at_the_end_counts_until_the_last_record() -> None:
    room = Room()
    room.join("alice")
    room.do("alice", "speaker.request", topic="x")
    room.now = T0 + 99_000
    room.do(ORG, "speaker.next")  # at T0 + 100 s
    room.now = T0 + 129_000
    room.do("alice", "react", emoji="👍")  # at T0 + 130 s
    assert evaluate(room.records)["speakers"]["speaking_time_s"] == 30.0


def test_post_moderation_and_no_districts() -> None:
    room = Room(moderation="post")
    room.join("alice")
    room.ask("alice", "Hello?")
    report = evaluate(room.records)
    assert report["questions"]["published_at_once"] == 1
    assert report["questions"]["median_moderation_s"] is None
    assert report["participants"]["by_district"] is None
    assert "by_district" not in (report["polls"] or [{}])[0]


def test_empty_log_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        evaluate([])


def test_the_same_log_gives_the_same_report() -> None:
    first, _ = meeting()
    second, _ = meeting()
    assert evaluate(first.records) == evaluate(second.records)
