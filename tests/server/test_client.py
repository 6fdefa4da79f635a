"""server/client.py against a real server: join, typed frames, ops with their own op_id,
resume with `since`, and an op resent by itself across a crash and restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from server.client import AsyncClient, OpRefused, Session, SyncClient, create_room, join_room
from server.edge.wire_frames import FRAME_TYPES
from tests.support.live_server import LiveServer


def test_the_session_keeps_seq_from_view_frames_and_pending_ops() -> None:
    session = Session(prefix="t")
    first, second = session.op("vote", poll_id=1, choice=0), session.op("react", emoji="👍")
    assert (first["op_id"], second["op_id"]) == ("t-1", "t-2")
    _, typed = session.receive('{"type": "poll.tally", "seq": 7, "poll_id": 1, "results": {}}')
    assert isinstance(typed, FRAME_TYPES["poll.tally"]) and session.seq == 7
    ack, _ = session.receive('{"type": "ack", "op_id": "t-1", "seq": 9}')
    assert session.seq == 7  # an ack can run ahead of the frames that show its effect
    assert session.answered(ack) == first and list(session.pending) == ["t-2"]
    busy, _ = session.receive(
        '{"type": "error", "op_id": "t-2", "code": "server.busy", "message": "later"}'
    )
    assert session.answered(busy) is None and "t-2" in session.pending  # not now: kept
    with pytest.raises(Exception, match="Expected"):
        session.receive('{"type": "poll.tally", "seq": "seven", "poll_id": 1, "results": {}}')


def test_join_vote_and_resume_with_since(server: LiveServer) -> None:
    room = create_room(server.http, "Budget", moderation="post")
    me = join_room(server.http, room["code"], name="Ana")

    async def run() -> None:
        async with AsyncClient(server.http, room["code"], room["moderator_token"]) as mod:
            created = await mod.op("poll.create", kind="single", question="?", options=["a", "b"])
            await mod.op("poll.open", poll_id=created["poll_id"])
            async with AsyncClient(server.http, room["code"], me["participant_token"]) as ana:
                snapshot = await ana.wait_for(lambda f: f["type"] == "snapshot")
                assert snapshot["you"]["role"] == "attendee" and ana.snapshot == snapshot
                ack = await ana.op("vote", poll_id=created["poll_id"], choice=1)
                assert ack["type"] == "ack" and ack["op_id"].startswith(ana.session.prefix)
                with pytest.raises(OpRefused) as refused:
                    await ana.op("vote", poll_id=999, choice=0)
                assert refused.value.code == "poll.not_found"
                seen = ana.session.seq
            await mod.op("poll.close", poll_id=created["poll_id"])
            # Back with since: exactly what was missed, not a snapshot.
            again = AsyncClient(server.http, room["code"], me["participant_token"])
            again.session.seq = seen
            await again.connect()
            closed = await again.wait_for(lambda f: f["type"] == "poll.closed")
            assert closed["seq"] > seen
            assert not any(f["type"] == "snapshot" for f in again.frames)
            await again.close()

    asyncio.run(run())


def test_the_sync_client_reads_typed_frames(server: LiveServer) -> None:
    room = create_room(server.http, "Screen")
    client = SyncClient(server.http, room["code"], room["screen_token"])
    try:
        frame, typed = client.recv(10)
        assert frame["type"] == "snapshot" and isinstance(typed, FRAME_TYPES["snapshot"])
        op_id = client.send_op("ping")
        assert op_id in client.session.pending
    finally:
        client.close()


@pytest.mark.slow
def test_an_op_unanswered_at_a_crash_is_resent_after_the_restart(tmp_path: Path) -> None:
    live = LiveServer(tmp_path / "data").start()
    try:
        room = create_room(live.http, "Crash")
        me = join_room(live.http, room["code"])

        async def run() -> dict[str, object]:
            client = AsyncClient(live.http, room["code"], me["participant_token"])
            await client.connect()
            await client.wait_for(lambda f: f["type"] == "snapshot")
            # A reaction waits for its window (up to 500 ms): kill -9 lands before its ack.
            pending = asyncio.create_task(client.op("react", emoji="👍", within=60))
            await asyncio.sleep(0.05)
            await asyncio.to_thread(live.kill)
            await asyncio.to_thread(live.start)  # same port, same store
            ack = await pending
            assert client.reconnects >= 1
            await client.close()
            return ack

        ack = asyncio.run(run())
        assert ack["type"] == "ack" and ack.get("counted") is True
    finally:
        live.stop()
