"""What one tick's render costs against the number of questions in the room: the frames of
every view (`rooms.view_frames`) and the personal ones (`rooms.personal_frames`) for the
same small change set, in rooms of growing size.

    .venv/bin/python -m loadtests.render_bench --questions 1000 4000 8000 --ticks 200

Each room is built in memory through the reducer (decide, apply), as the server folds its
log: a pre-moderated room whose questions stand in every state (a tenth still pending, the
rest approved, answered, archived, hidden, rejected for each reason, or withdrawn), one open
poll with live results. Then one tick's worth of ops is applied, as in the `slow_readers`
scenario: two new questions, one approval, eight votes and an upvote. The render of that
tick's changes is timed, view by view (a render reads the state and changes nothing), and
the median of `repeats` runs of `ticks` renders is printed as one JSON object, in
microseconds per tick. A render whose cost follows the tick's changes, not the room, gives
the same figure at every size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from moderation.audit import REJECT_REASONS
from moderation.roles import Role
from rooms import Change, RoomState, personal_frames, view_frames
from tests.rooms.harness import ORG, Room

__all__ = ["build", "main", "measure", "tick"]

VIEWS = {
    "moderator": Role.MODERATOR,
    "attendee": Role.ATTENDEE,
    "screen": Role.SCREEN,
    "embed": Role.EMBED,
}
LANGS = ("en", "fr", "es", "de")
ASKERS = 400  # people who ask; as many more only vote and upvote
VOTERS = 400


def _settle(room: Room, qid: int, author: str, n: int) -> None:
    """Where the n-th question ends up: its share of each state is fixed by n % 20."""
    slot = n % 20
    if slot < 2:
        return  # pending
    if slot == 2:
        room.do(ORG, "question.reject", question_id=qid, reason=REJECT_REASONS[n // 20 % 6])
        return
    if slot == 3:
        room.do(author, "question.withdraw", question_id=qid)
        return
    room.do(ORG, "question.approve", question_id=qid)
    if slot == 4:
        room.do(ORG, "question.hide", question_id=qid, reason="off_topic")
    elif slot == 5:
        room.do(ORG, "question.answer", question_id=qid, text="Next spring.")
    elif slot == 6:
        room.do(ORG, "question.archive", question_id=qid)


def build(questions: int) -> tuple[Room, int]:
    """A room holding `questions` questions in mixed states, and its open poll's id."""
    room = Room(questions_pending_max=10_000, questions_per_minute=1_000)
    askers = [f"a{i}" for i in range(ASKERS)]
    voters = [f"v{i}" for i in range(VOTERS)]
    room.join(*askers, *voters)
    poll_id = room.poll("single")
    room.do(ORG, "poll.reveal", poll_id=poll_id)  # live results: every view hears the votes
    for i, who in enumerate(voters):
        room.do(who, "vote", poll_id=poll_id, choice=i % 3)
    for n in range(questions):
        author = askers[n % ASKERS]
        qid = int(
            room.do(author, "question.ask", text=f"What of item {n}?", lang=LANGS[n % 4])[
                "question_id"
            ]
        )
        _settle(room, qid, author, n)
        if n % 7 == 0 and (n % 20 == 5 or n % 20 > 6):  # some published ones are upvoted
            room.do(voters[n % VOTERS], "question.upvote", question_id=qid)
    return room, poll_id


def tick(room: Room, poll_id: int) -> list[Change]:
    """Apply one tick's ops and return the changes they made, as the hub collects them."""
    state = room.state
    changes: list[Change] = []

    def do(actor: str, op: str, **fields: Any) -> None:
        applied = room.commit(actor, room.decide(actor, op, **fields))
        assert applied.error is None, applied.error
        changes.extend(applied.changes)

    for n in range(2):
        do(f"a{n}", "question.ask", text=f"One more thing, number {state.seq}?", lang="en")
    first_pending = next(q.id for q in state.questions.values() if q.state == "pending")
    do(ORG, "question.approve", question_id=first_pending)
    for i in range(8):
        do(f"v{i}", "vote", poll_id=poll_id, choice=(i + 1) % 3)
    voter = f"v{VOTERS - 1}"
    upvoted = next(
        q.id
        for q in reversed(state.questions.values())
        if q.state == "approved" and voter not in q.upvoters
    )
    do(voter, "question.upvote", question_id=upvoted)
    return changes


def _time(render: Callable[[], object], ticks: int, repeats: int) -> float:
    """Median over `repeats` runs of the microseconds one render takes."""
    runs = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(ticks):
            render()
        runs.append((time.perf_counter_ns() - start) / ticks / 1000)
    return round(statistics.median(runs), 1)


def _renders(state: RoomState, changes: Sequence[Change]) -> dict[str, Callable[[], object]]:
    def frames_of(role: Role) -> Callable[[], object]:
        return lambda: view_frames(state, role, changes)

    renders = {name: frames_of(role) for name, role in VIEWS.items()}
    renders["personal"] = lambda: personal_frames(state, changes)
    return renders


def measure(sizes: Sequence[int], ticks: int = 200, repeats: int = 5) -> dict[str, Any]:
    rows = []
    for size in sizes:
        room, poll_id = build(size)
        changes = tick(room, poll_id)
        state = room.state
        renders = _renders(state, changes)
        us = {name: _time(render, ticks, repeats) for name, render in renders.items()}
        us["total"] = round(sum(us.values()), 1)
        frames = {name: len(view_frames(state, role, changes)) for name, role in VIEWS.items()}
        frames["personal"] = len(personal_frames(state, changes))
        rows.append(
            {
                "questions": len(state.questions),
                "pending": sum(1 for q in state.questions.values() if q.state == "pending"),
                "changes": len(changes),
                "frames": frames,
                "us_per_tick": us,
            }
        )
    return {"ticks": ticks, "repeats": repeats, "rooms": rows}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, nargs="+", default=[1000, 4000, 8000])
    parser.add_argument("--ticks", type=int, default=200, help="renders per timed run")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs; the median is kept")
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.questions, args.ticks, args.repeats)))


if __name__ == "__main__":
    main()
