"""Quiz polls: correct options sealed until revealed, points for right and quick, a leaderboard."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.roles import Role
from rooms import (
    Change,
    apply,
    from_snapshot,
    new_room,
    personal_frames,
    snapshot_view,
    to_snapshot,
    view_frames,
)
from rooms.poll_kinds import KINDS
from rooms.quiz import MAX_POINTS, MIN_POINTS, leaderboard, points, pseudonym
from rooms.transcript import replay
from tests.rooms.harness import ORG, Room


def quiz_room(*people: str, **fields: object) -> tuple[Room, int]:
    room = Room()
    room.join(*people)
    fields.setdefault("options", ["Oak", "Elm", "Ash"])
    fields.setdefault("correct", [1])
    poll_id = room.poll("quiz", **fields)
    return room, poll_id


def test_the_quiz_row_is_scored_and_linkable_across_the_room_only() -> None:
    row = KINDS["quiz"]
    assert row.scored and row.options and row.ballot_scope == "room"
    assert {k for k, r in KINDS.items() if r.ballot_scope != "poll"} == {"quiz"}


@pytest.mark.parametrize(
    ("correct", "code"),
    [
        (None, "field.missing"),
        ([], "poll.invalid"),
        ([3], "poll.invalid"),
        ([0, 0], "poll.invalid"),
        ([0, 1, 2], "poll.invalid"),  # nothing would be wrong
        (["1"], "poll.invalid"),
        ([True], "poll.invalid"),
    ],
)
def test_a_quiz_needs_some_right_and_some_wrong_options(correct: object, code: str) -> None:
    room = Room()
    fields = {"kind": "quiz", "question": "Tree?", "options": ["Oak", "Elm", "Ash"]}
    if correct is not None:
        fields["correct"] = correct
    assert room.refuse(ORG, "poll.create", **fields) == code


def test_one_index_or_several_are_accepted_and_kept_sorted() -> None:
    room, poll_id = quiz_room(correct=2)
    assert room.state.polls[poll_id].defn.correct == (2,)
    room, poll_id = quiz_room(correct=[2, 0], window_s=60)
    assert room.state.polls[poll_id].defn.correct == (0, 2)
    assert room.state.polls[poll_id].defn.window_s == 60


def test_the_correct_options_are_sealed_until_revealed() -> None:
    room, poll_id = quiz_room("alice")
    room.do("alice", "vote", poll_id=poll_id, choice=1)
    for role in (Role.ATTENDEE, Role.SCREEN, Role.EMBED):
        text = json.dumps(snapshot_view(room.state, role, "alice"))
        assert "correct" not in text and '"right"' not in text
        frames = view_frames(room.state, role, replay_changes(room, 0))
        assert "correct" not in json.dumps(frames)
    mod = snapshot_view(room.state, Role.MODERATOR, ORG)["room"]["polls"][0]
    assert mod["results"]["correct"] == [1] and mod["results"]["right"] == 1
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    seen = snapshot_view(room.state, Role.ATTENDEE, "alice")["room"]["polls"][0]
    assert seen["results"]["correct"] == [1]
    assert "correct" not in {k for k in seen if k != "results"}


def test_points_fall_linearly_over_the_window_from_the_first_opening() -> None:
    room, poll_id = quiz_room("alice", "bob", "cyd", "dan", window_s=10)
    poll = room.state.polls[poll_id]
    opened = poll.opened_at
    assert opened is not None and poll.window_ms == 10_000
    # The harness's clock moves 1 s per op: alice votes 1 s after opening, bob 2 s, ...
    room.do("alice", "vote", poll_id=poll_id, choice=1)
    room.do("bob", "vote", poll_id=poll_id, choice=1)
    room.do("cyd", "vote", poll_id=poll_id, choice=0)  # wrong
    room.now += 60_000
    room.do("dan", "vote", poll_id=poll_id, choice=1)  # right, long after the window
    assert points(poll, "alice") == MIN_POINTS + (MAX_POINTS - MIN_POINTS) * 9 // 10
    assert points(poll, "bob") == MIN_POINTS + (MAX_POINTS - MIN_POINTS) * 8 // 10
    assert points(poll, "cyd") == 0
    assert points(poll, "dan") == MIN_POINTS
    assert points(poll, "nobody") == 0
    room.do(ORG, "poll.close", poll_id=poll_id)
    room.do(ORG, "poll.open", poll_id=poll_id)  # reopening gives nobody more time
    assert poll.opened_at == opened


def test_a_timed_quiz_scores_over_its_own_timer() -> None:
    room = Room()
    room.join("alice")
    poll_id = int(
        room.do(ORG, "poll.create", kind="quiz", question="Q?", options=["a", "b"], correct=[0])[
            "poll_id"
        ]
    )
    room.do(ORG, "poll.open", poll_id=poll_id, duration_s=4)
    assert room.state.polls[poll_id].window_ms == 4000
    room.do("alice", "vote", poll_id=poll_id, choice=0)  # 1 s of 4
    assert points(room.state.polls[poll_id], "alice") == 500 + 500 * 3 // 4


def test_no_vote_once_the_answers_are_out() -> None:
    room, poll_id = quiz_room("alice")
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    assert room.refuse("alice", "vote", poll_id=poll_id, choice=1) == "poll.closed"


def test_a_vote_decided_before_the_reveal_loses_the_race() -> None:
    room, poll_id = quiz_room("alice")
    late = room.decide("alice", "vote", poll_id=poll_id, choice=1)
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    applied = room.commit("alice", late)
    assert applied.error is not None and applied.error.code == "poll.closed"
    assert "alice" not in room.state.polls[poll_id].ballots


def test_the_leaderboard_adds_revealed_quizzes_and_hides_ids() -> None:
    room = Room()
    room.join("alice", "bob")
    room.do("anon-7", "participant.join", name=None)
    first = room.poll("quiz", options=["a", "b", "c"], correct=[0])
    second = room.poll("quiz", options=["a", "b"], correct=[1])
    for who, c1, c2 in (("alice", 0, 0), ("bob", 1, 1), ("anon-7", 0, 1)):
        room.do(who, "vote", poll_id=first, choice=c1)
        room.do(who, "vote", poll_id=second, choice=c2)
    assert leaderboard(room.state) == []  # nothing revealed yet
    room.do(ORG, "poll.reveal", poll_id=first)
    board = leaderboard(room.state)
    assert [row["name"] for row in board[:2]] == ["Alice", None]
    assert board[-1] == {
        "rank": 3,
        "name": "Bob",
        "tag": None,
        "points": 0,
        "right": 0,
        "answered": 1,
    }
    room.do(ORG, "poll.reveal", poll_id=second)
    board = leaderboard(room.state)
    anon = next(row for row in board if row["name"] is None)
    assert anon["tag"] == pseudonym("TOWN", "anon-7") and anon["right"] == 2
    assert board[0] is anon and anon["rank"] == 1
    assert "anon-7" not in json.dumps(snapshot_view(room.state, Role.SCREEN, None))
    room.do(ORG, "poll.delete", poll_id=second)
    assert leaderboard(room.state)[0]["name"] == "Alice"


def test_equal_points_share_a_rank() -> None:
    room, poll_id = quiz_room("alice", "bob")
    room.do("alice", "vote", poll_id=poll_id, choice=0)
    room.do("bob", "vote", poll_id=poll_id, choice=2)
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    assert [row["rank"] for row in leaderboard(room.state)] == [1, 1]


def test_reveal_tells_each_player_their_score_and_the_screen_the_board() -> None:
    room, poll_id = quiz_room("alice", "bob")
    room.do("alice", "vote", poll_id=poll_id, choice=1)
    room.do("bob", "vote", poll_id=poll_id, choice=0)
    state = room.state
    before = len(room.records)
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    changes = replay_changes(room, before)
    mine = dict(personal_frames(state, changes))
    assert mine["bob"] == {"type": "quiz.scored", "poll_id": poll_id, "points": 0, "total": 0}
    assert mine["alice"]["points"] == points(state.polls[poll_id], "alice") > MIN_POINTS
    frames = view_frames(state, Role.SCREEN, changes)
    board = next(f for f in frames if f["type"] == "quiz.leaderboard")
    assert board["leaderboard"][0]["name"] == "Alice"
    you = snapshot_view(state, Role.ATTENDEE, "alice")["you"]
    assert you["quiz"] == {
        "points": mine["alice"]["total"],
        "polls": {str(poll_id): mine["alice"]["points"]},
    }
    assert snapshot_view(state, Role.ATTENDEE, "bob")["you"]["quiz"]["points"] == 0


def replay_changes(room: Room, start: int) -> list[Change]:
    """The changes of the records from index `start` on, replayed from scratch."""
    state = new_room()
    out: list[Change] = []
    for i, rec in enumerate(room.records):
        applied = apply(state, rec)
        if i >= start:
            out.extend(applied.changes)
    return out


def test_scores_survive_a_snapshot_and_a_replay() -> None:
    room, poll_id = quiz_room("alice", "bob")
    room.do("alice", "vote", poll_id=poll_id, choice=1)
    room.do("bob", "vote", poll_id=poll_id, choice=1)
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    restored = from_snapshot(json.loads(json.dumps(to_snapshot(room.state))))
    assert leaderboard(restored) == leaderboard(room.state) == leaderboard(replay(room.records))


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(2, 6),
    correct=st.sets(st.integers(0, 5), min_size=1, max_size=5),
    votes=st.lists(
        st.tuples(st.sampled_from(["p1", "p2", "p3"]), st.integers(0, 5), st.integers(0, 40000)),
        max_size=12,
    ),
    window_s=st.integers(5, 30),
)
def test_points_stay_in_range_and_follow_speed(
    n: int, correct: set[int], votes: list[tuple[str, int, int]], window_s: int
) -> None:
    right = sorted(i for i in correct if i < n)
    if not right or len(right) == n:
        return
    room = Room(vote_changes=True)
    room.join("p1", "p2", "p3")
    options = [f"o{i}" for i in range(n)]
    poll_id = room.poll("quiz", options=options, correct=right, window_s=window_s)
    poll = room.state.polls[poll_id]
    for who, choice, wait in votes:
        room.now += wait
        room.do(who, "vote", poll_id=poll_id, choice=choice % n)
        earned = points(poll, who)
        if choice % n in right:
            assert MIN_POINTS <= earned <= MAX_POINTS
        else:
            assert earned == 0
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    board = leaderboard(room.state)
    assert sum(row["points"] for row in board) == sum(points(poll, k) for k in poll.ballots)
    assert [r["points"] for r in board] == sorted((r["points"] for r in board), reverse=True)


def test_the_cached_ranking_follows_every_change_that_moves_it() -> None:
    room, poll_id = quiz_room("alice", "bob", vote_changes=True)
    room.do("alice", "vote", poll_id=poll_id, choice=0)
    room.do("bob", "vote", poll_id=poll_id, choice=1)
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    assert [r["name"] for r in leaderboard(room.state)] == ["Bob", "Alice"]
    room.ask("alice", "Unrelated?")  # the seq moves on, the ranking is the same
    assert leaderboard(room.state)[0]["name"] == "Bob"
    room.do(ORG, "poll.hide", poll_id=poll_id)
    assert leaderboard(room.state) == []
    room.do("alice", "vote", poll_id=poll_id, choice=1)  # changed while hidden: now right
    room.do(ORG, "poll.reveal", poll_id=poll_id)
    board = leaderboard(room.state)
    assert {r["name"] for r in board if r["points"]} == {"Alice", "Bob"}
    room.do("bob", "participant.join", name="Robert")  # a new name shows at once
    assert "Robert" in {r["name"] for r in leaderboard(room.state)}
    board[0]["name"] = "changed"  # rows are the caller's own
    assert "changed" not in {r["name"] for r in leaderboard(room.state)}
