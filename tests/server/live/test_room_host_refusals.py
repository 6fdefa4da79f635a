"""A room commits its ops in one append; an op the store refuses must fail alone.

The room's writer takes everything decided since its last commit as one batch. Here two
ops pass `decide` yet cannot be stored, beside thirty honest votes decided at the same
moment: a join whose actor holds a NUL (the store's own checks refuse it, and say which
entry), and a reaction stamped beyond a 64-bit integer (the database itself refuses the
batch without saying which row). Every vote is acked and counted; the two get
`op.unstorable`; nothing is logged as an error. Real SQLite throughout.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from moderation.filters import DEFAULT_FILTERS
from moderation.roles import Role
from rooms import Context, new_room
from server.config import Limits
from server.live.room_host import HostDeps, Outcome, RoomHost
from server.store.sqlite import SqliteStore

AT = 1_700_000_000_000
ORG = "org"


def test_ops_the_store_refuses_fail_alone_and_every_vote_beside_them_counts(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    people = [f"u{n}" for n in range(30)]

    async def body() -> tuple[list[Outcome], list[Outcome], dict[str, object]]:
        store = SqliteStore(tmp_path / "t.db")
        await store.open()
        deps = HostDeps(
            store=store,
            limits=Limits(),
            filters=DEFAULT_FILTERS,
            publish=lambda code, committed: None,
            mark_dirty=lambda host: None,
        )
        host = RoomHost("ROOM", new_room(), deps)
        try:

            async def do(op: str, actor: str, role: Role, **fields: object) -> Outcome:
                outcome = await host.submit(op, dict(fields), Context(actor, role, AT, op + actor))
                assert outcome.error is None, outcome.error
                return outcome

            await do("room.create", ORG, Role.ORGANISER, code="ROOM", title="Council")
            poll = await do(
                "poll.create", ORG, Role.ORGANISER, kind="single", question="Q?", options=["a", "b"]
            )
            await do("poll.open", ORG, Role.ORGANISER, poll_id=poll.result["poll_id"])
            for person in [*people, "mallory"]:
                await do("participant.join", person, Role.ATTENDEE)

            # No await between these submits: all of them are decided now and share one batch.
            votes = [
                host.submit(
                    "vote",
                    {"poll_id": poll.result["poll_id"], "choice": n % 2},
                    Context(person, Role.ATTENDEE, AT + 1, f"v-{person}"),
                )
                for n, person in enumerate(people)
            ]
            bad = [
                host.submit("participant.join", {}, Context("a\x00b", Role.ATTENDEE, AT, "j")),
                host.submit(
                    # (not a reaction: those wait for their window's entry, never this batch)
                    "speaker.request",
                    {},
                    Context("mallory", Role.ATTENDEE, 2**63, "r"),
                ),
            ]
            assert len(host.room_log.inbox) == 32  # one batch for the writer
            answered = await asyncio.gather(*votes)
            refused = await asyncio.gather(*bad)
            results = host.snapshot_frame(Role.ORGANISER, ORG)["room"]["polls"][0]["results"]
            return answered, refused, results
        finally:
            await host.stop()
            await store.close()

    with caplog.at_level(logging.WARNING):
        acked, refused, results = asyncio.run(body())
    assert [o.error for o in acked] == [None] * 30
    assert all(o.receipt for o in acked)
    assert [o.error.code if o.error else None for o in refused] == ["op.unstorable"] * 2
    assert results == {"voters": 30, "counts": [15, 15]}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
