"""What a durable vote costs the server's CPU, without sockets: a room host on SQLite, every
attendee changing their vote once a round, decided, group-committed, applied and settled.

    .venv/bin/python -m loadtests.vote_bench --attendees 4000 --rounds 3
    .venv/bin/python -m loadtests.vote_bench --attendees 4000 --rounds 75 --json

Prints, a line a round, the loop thread's CPU per vote (what holds the event loop), the
SQLite writer thread's (the inserts and the commit) and the whole process's. Over many
rounds the writer's line shows what a vote costs as the transcript grows (`--json`: one
object with the first and the last tenth of the rounds). The intake (parsing, budgets) and
the ack's write are not in it: `loadtests.bench` measures those with everything else.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moderation.filters import DEFAULT_FILTERS
from moderation.roles import Role
from rooms import Context, new_room
from server.config import Limits
from server.live.room_host import HostDeps, Outcome, RoomHost
from server.store.sqlite import SqliteStore

__all__ = ["measure"]

AT = 1_800_000_000_000
YIELD_EVERY = 200  # votes submitted between two turns of the loop, as sockets would
WRITER = "townhall-store-writer"  # the SQLite store's writer thread (server/store/sqlite.py)


def _thread_clock(prefix: str) -> Callable[[], float]:
    """The CPU seconds the running thread named `prefix`* has used, read from its own clock."""
    for thread in threading.enumerate():
        if thread.name.startswith(prefix) and thread.ident is not None:
            clock = time.pthread_getcpuclockid(thread.ident)
            return lambda: time.clock_gettime(clock)
    raise RuntimeError(f"no thread named {prefix}*")


async def _rounds(attendees: int, rounds: int, report: Callable[[dict[str, float]], None]) -> None:
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
        writer_cpu = _thread_clock(WRITER)  # the writer has run by now: it appended the joins
        for n in range(rounds):
            before = (time.thread_time(), writer_cpu(), time.process_time(), time.perf_counter())
            transcript = host.state.seq
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
            after = (time.thread_time(), writer_cpu(), time.process_time(), time.perf_counter())
            # What the hub's tick does with the round's changes, outside the measured window:
            # left to pile up, they would be the collector's to walk (a vote's Change each).
            host.render(time.monotonic())
            loop, writer, process, wall = (
                1e6 * (b - a) / attendees for a, b in zip(before, after, strict=True)
            )
            report(
                {"round": n, "transcript": transcript, "loop_us": loop, "writer_us": writer,
                 "process_us": process, "wall_us": wall}
            )  # fmt: skip
        await host.stop()
        await store.close()


def measure(attendees: int, rounds: int) -> dict[str, Any]:
    """The first and the last tenth of the rounds, medians: what growth does to a vote."""
    seen: list[dict[str, float]] = []
    asyncio.run(_rounds(attendees, rounds, seen.append))
    tenth = max(1, rounds // 10)

    def part(rows: list[dict[str, float]]) -> dict[str, Any]:
        keys = ("loop_us", "writer_us", "process_us", "wall_us")
        out: dict[str, Any] = {
            "transcript": [int(rows[0]["transcript"]), int(rows[-1]["transcript"])]
        }
        out.update({key: round(statistics.median(r[key] for r in rows), 1) for key in keys})
        return out

    return {"attendees": attendees, "rounds": rounds, "first": part(seen[:tenth]),
            "last": part(seen[-tenth:])}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attendees", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="one JSON object, nothing else")
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.attendees, args.rounds)))
        return

    def line(row: dict[str, float]) -> None:
        print(
            f"round {row['round']:.0f} (transcript {row['transcript']:.0f}): loop thread"
            f" {row['loop_us']:.1f} us/vote, writer {row['writer_us']:.1f},"
            f" process {row['process_us']:.1f}, wall {row['wall_us']:.1f}"
        )

    asyncio.run(_rounds(args.attendees, args.rounds, line))


if __name__ == "__main__":
    main()
