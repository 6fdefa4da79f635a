"""What a room's quizzes cost the views: the leaderboard over every quiz ballot, once when a
quiz is revealed and then from the cache, and an attendee's snapshot, which carries it.

    .venv/bin/python -m loadtests.quiz_bench --players 5000 --quizzes 10

The room is built in memory through the reducer (decide, apply), as the server folds its log.
"""

from __future__ import annotations

import argparse
import time

from moderation.roles import Role
from rooms import snapshot_view
from rooms.quiz import leaderboard
from tests.rooms.harness import ORG, Room


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=5000)
    parser.add_argument("--quizzes", type=int, default=10)
    args = parser.parse_args()
    room = Room()
    people = [f"p{i}" for i in range(args.players)]
    room.join(*people)
    for q in range(args.quizzes):
        poll_id = room.poll("quiz", options=["a", "b", "c", "d"], correct=[q % 4])
        for i, who in enumerate(people):
            room.do(who, "vote", poll_id=poll_id, choice=(i + q) % 4)
        room.do(ORG, "poll.reveal", poll_id=poll_id)
    state = room.state
    start = time.perf_counter()
    leaderboard(state)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(100):
        leaderboard(state)
    warm = (time.perf_counter() - start) / 100
    room.ask(people[0], "Where is the bus?")  # the seq moves on; the ranking stays cached
    start = time.perf_counter()
    for _ in range(100):
        snapshot_view(state, Role.ATTENDEE, people[1])
    snap = (time.perf_counter() - start) / 100
    ballots = args.players * args.quizzes
    print(f"{ballots:,} quiz ballots: leaderboard at a reveal {_ms(cold)}, "
          f"cached {_ms(warm)}; an attendee's snapshot {_ms(snap)}")


if __name__ == "__main__":
    main()
