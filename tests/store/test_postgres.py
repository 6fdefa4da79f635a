"""PostgreSQL-only behaviour: many processes on one room, the server going away, raw rows."""

from __future__ import annotations

import asyncio
import uuid

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from rooms.chain import canonical_json
from server.store import StoreUnavailable
from server.store.postgres import PostgresStore
from tests.support.tcp_proxy import TcpProxy

from .helpers import entry, opened, verify_chain

pytestmark = pytest.mark.postgres


def test_two_processes_appending_to_one_room_never_share_or_skip_a_seq(pg_url: str) -> None:
    async def body() -> None:
        # Two instances = two writer connections = what two server processes do.
        async with (
            opened(lambda: PostgresStore(pg_url)) as one,
            opened(lambda: PostgresStore(pg_url)) as two,
        ):

            async def burst(store: PostgresStore, tag: str) -> list[int]:
                results = await asyncio.gather(
                    *(
                        store.append(room, [entry(n, data={"by": tag}, op_id=f"{tag}-{n}")])
                        for n in range(150)
                        for room in ("SAME", f"OWN-{tag}")
                    )
                )
                return [c.seq for r in results for c in r if c.room == "SAME"]

            seqs_one, seqs_two = await asyncio.gather(burst(one, "one"), burst(two, "two"))
            assert not set(seqs_one) & set(seqs_two)
            assert sorted(seqs_one + seqs_two) == list(range(1, 301))
            stored = await one.read("SAME")
            verify_chain("SAME", stored)
            assert {c.data["by"] for c in stored} == {"one", "two"}
            assert one.transactions < 300 and two.transactions < 300

    asyncio.run(body())


def test_the_same_ops_through_two_processes_are_stored_once(pg_url: str) -> None:
    """A client retrying through another process, racing its first copy: one entry per op."""

    async def body() -> None:
        async with (
            opened(lambda: PostgresStore(pg_url)) as one,
            opened(lambda: PostgresStore(pg_url)) as two,
        ):

            async def send(store: PostgresStore) -> list[tuple[int, bool]]:
                results = await asyncio.gather(
                    *(store.append("SAME", [entry(n, data={"n": n})]) for n in range(100))
                )
                return [(r[0].seq, r[0].earlier) for r in results]

            got_one, got_two = await asyncio.gather(send(one), send(two))
            stored = await one.read("SAME")
            assert len(stored) == 100
            verify_chain("SAME", stored)
            assert sorted(c.op_id for c in stored) == sorted(f"op-{n}" for n in range(100))
            # Each op: both callers were told the same seq, exactly one of them as new.
            for (seq_one, earlier_one), (seq_two, earlier_two) in zip(
                got_one, got_two, strict=True
            ):
                assert seq_one == seq_two and earlier_one != earlier_two

    asyncio.run(body())


def test_reconnects_after_the_server_drops_its_connections(pg_url: str, pg_server: str) -> None:
    name = f"townhall-test-{uuid.uuid4().hex[:8]}"  # kill only this test's connections

    async def body() -> None:
        async with opened(lambda: PostgresStore(f"{pg_url}&application_name={name}")) as store:
            await store.append("ROOM", [entry(1)])
            assert await store.read("ROOM")
            with psycopg.connect(pg_server, autocommit=True) as admin:
                killed = admin.execute(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = %s",
                    (name,),
                ).fetchone()
            assert killed is not None and killed[0] >= 2
            # The dead writer is noticed before COMMIT, so the batch is retried on a new one.
            [second] = await store.append("ROOM", [entry(2)])
            assert second.seq == 2
            assert await store.healthy()
            verify_chain("ROOM", await store.read("ROOM"))

    asyncio.run(body())


def test_an_unreachable_server_is_unavailable_not_a_crash() -> None:
    async def body() -> None:
        store = PostgresStore("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2")
        with pytest.raises(StoreUnavailable):
            await store.open()
        assert not await store.healthy()
        await store.close()

    asyncio.run(body())


def test_rows_hold_canonical_json_and_refuse_rewrites(pg_url: str) -> None:
    async def body() -> None:
        async with opened(lambda: PostgresStore(pg_url)) as store:
            await store.append("ROOM", [entry(data={"b": "é", "a": [1, {"y": 2, "x": 1}]})])
        with psycopg.connect(pg_url, autocommit=True) as conn:
            row = conn.execute("SELECT data FROM entries WHERE room = 'ROOM'").fetchone()
            assert row is not None
            assert row[0].encode() == canonical_json({"a": [1, {"x": 1, "y": 2}], "b": "é"})
            for statement in (
                "UPDATE entries SET at = 0",
                "DELETE FROM entries",
                "TRUNCATE entries",
            ):
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    conn.execute(statement)

    asyncio.run(body())


@pytest.mark.parametrize("commit_lands", [False, True], ids=["server-hangs", "answer-lost"])
def test_a_server_that_stops_answering_fails_the_append_in_time_and_retries_count_once(
    pg_url: str, commit_lands: bool
) -> None:
    """A stopped server keeps its sockets open, so keepalives never fire. The append must
    fail within the answer timeout, and the client's retry (same op_id) must end as one entry
    whether the lost commit landed (answer lost) or not (server hung)."""

    async def body() -> None:
        params = conninfo_to_dict(pg_url)
        async with TcpProxy(
            str(params.get("host", "127.0.0.1")), int(params.get("port", 5432))
        ) as proxy:
            url = make_conninfo(pg_url, host=proxy.host, port=proxy.port)
            store = PostgresStore(url, answer_timeout=1.0)
            await store.open()
            try:
                await store.append("ROOM", [entry(1)])
                if commit_lands:
                    proxy.lose_answers_after(b"COMMIT")
                else:
                    proxy.freeze()
                loop = asyncio.get_running_loop()
                began = loop.time()
                with pytest.raises(StoreUnavailable, match="no answer"):
                    # Without an answer timeout this would hang: fail instead.
                    await asyncio.wait_for(store.append("ROOM", [entry(2)]), 10)
                assert loop.time() - began < 3
                proxy.thaw()
                [retry] = await store.append("ROOM", [entry(2)])
                assert retry.seq == 2 and retry.earlier is commit_lands
                stored = await store.read("ROOM")
                assert [c.op_id for c in stored] == ["op-1", "op-2"]
                verify_chain("ROOM", stored)
            finally:
                await store.close()

    asyncio.run(body())


def test_a_connection_given_up_on_is_not_closed_under_another_task_still_waiting_on_it(
    pg_url: str,
) -> None:
    """Two side reads share a connection; the server stops answering. The first read's
    answer timeout gives the connection up, and the second read (queued behind the first)
    times out too. The connection must stay open until the first read is really done:
    psycopg is still waiting on its socket through the event loop, and closing a socket
    uvloop watches aborts the process (libuv's epoll_ctl check). Once both are done it is
    closed, and the store answers again on a new connection. Run on uvloop, as served."""
    import uvloop

    async def body() -> None:
        params = conninfo_to_dict(pg_url)
        async with TcpProxy(
            str(params.get("host", "127.0.0.1")), int(params.get("port", 5432))
        ) as proxy:
            url = make_conninfo(pg_url, host=proxy.host, port=proxy.port)
            store = PostgresStore(url, answer_timeout=0.5)
            await store.open()
            try:
                await store.append("ROOM", [entry(1)])
                await store.read("ROOM")  # the side connection is open
                conn = store._side._conn
                assert conn is not None and not conn.closed
                proxy.freeze()
                first = asyncio.ensure_future(store.read("ROOM"))
                await asyncio.sleep(0.2)
                second = asyncio.ensure_future(store.read("ROOM"))
                await asyncio.sleep(0.05)
                with pytest.raises(StoreUnavailable, match="no answer"):
                    await second
                await asyncio.sleep(0.2)  # the second read's work has wound down by now
                # The first read timed out as well, but psycopg is still inside it: cancelling
                # a query waits for the server's word, and the server is not talking.
                assert first.done()
                assert store._side.in_use(conn), "the first read's work is still on it"
                assert not conn.closed, "closed under a task still waiting on its socket"
                proxy.thaw()
                with pytest.raises(StoreUnavailable):
                    await first
                for _ in range(100):
                    if conn.closed:
                        break
                    await asyncio.sleep(0.05)
                assert conn.closed, "a connection given up on is closed once nobody uses it"
                assert [c.op_id for c in await store.read("ROOM")] == ["op-1"]
                assert store._side._conn is not conn
            finally:
                await store.close()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(body())


def test_a_task_that_finds_an_old_connection_broken_leaves_the_new_one_alone(pg_url: str) -> None:
    """`drop(conn)` of a connection that is no longer the current one closes nothing: the
    current one is in use by others."""

    async def body() -> None:
        store = PostgresStore(pg_url)
        await store.open()
        try:
            link = store._side
            old = await link.get()
            link.forget(old)
            assert old.closed, "nobody was using it: closed at once"
            new = await link.get()
            assert new is not old
            await link.drop(old)
            assert not new.closed and await link.get() is new
            await store.read("ROOM")
        finally:
            await store.close()

    asyncio.run(body())
