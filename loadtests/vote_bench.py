"""What a durable vote costs the server's CPU, without sockets: a room host on SQLite, every
attendee changing their vote once a round, decided, group-committed, applied and settled.

    .venv/bin/python -m loadtests.vote_bench --attendees 4000 --rounds 3

Prints the loop thread's CPU per vote (what holds the event loop) and the whole process's
(the SQLite writer thread included). The intake (parsing, budgets) and the ack's write are
not in it: `loadtests.bench` measures those with everything else.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

from moderation.filters import DEFAULT_FILTERS
from moderation.roles import Role
from rooms import Context, new_room
from server.config import Limits
from server.live.room_host import HostDeps, Outcome, RoomHost
from server.store.sqlite import SqliteStore

AT = 1_800_000_000_000
YIELD_EVERY = 200  # votes submitted between two turns of the loop, as sockets would


async def run(attendees: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "votes.db")
        await store.open()
        deps = HostDeps(
            store=store,
            limits=Limits(),
            filters=DEFAULT_FILTERS,
            publish=lambda code, committed: None,
            mark_dirty=lambda host: None,
        )
        host = RoomHost("BENCH", new_room(), deps)

        async def do(op: str, actor: str, role: Role, op_id: str, **fields: Any) -> Outcome:
            outcome = await host.submit(op, dict(fields), Context(actor, role, AT, op_id))
            assert outcome.error is None, outcome.error
            return outcome

        await do("room.create", "org", Role.ORGANISER, "create", code="BENCH", title="Bench")
        poll = await do(
            "poll.create", "org", Role.ORGANISER, "poll", kind="single", question="Which?",
            options=["a", "b", "c"],
        )  # fmt: skip
        poll_id = poll.result["poll_id"]
        await do("poll.open", "org", Role.ORGANISER, "open", poll_id=poll_id)
        people = [f"p{i}" for i in range(attendees)]
        await asyncio.gather(
            *(do("participant.join", p, Role.ATTENDEE, f"join-{p}", name=p) for p in people)
        )
        for n in range(rounds):
            loop_cpu, process_cpu, wall = (
                time.thread_time(),
                time.process_time(),
                time.perf_counter(),
            )
            waiting = []
            for i, person in enumerate(people):
                ctx = Context(person, Role.ATTENDEE, AT, f"vote-{n}-{person}")
                waiting.append(
                    host.submit("vote", {"poll_id": poll_id, "choice": (i + n) % 3}, ctx)
                )
                if i % YIELD_EVERY == YIELD_EVERY - 1:
                    await asyncio.sleep(0)
            outcomes = await asyncio.gather(*waiting)
            assert all(outcome.error is None for outcome in outcomes)
            print(
                f"round {n}: loop thread {1e6 * (time.thread_time() - loop_cpu) / attendees:.1f}"
                f" us/vote, process {1e6 * (time.process_time() - process_cpu) / attendees:.1f}"
                f" us/vote, wall {1e6 * (time.perf_counter() - wall) / attendees:.1f} us/vote"
            )
        await host.stop()
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.attendees, args.rounds))


if __name__ == "__main__":
    main()
