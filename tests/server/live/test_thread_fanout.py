"""The tick's worker-thread writes (server/live/thread_fanout.py, server/live/_fanout.c) on
real loopback sockets: every socket gets the frame once, what the loop writes meanwhile
follows it, a socket whose kernel queue holds unsent bytes is given back to the loop in
order, a close waits for the send, and a descriptor closed during the send cannot pass its
number on to a new socket."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
from array import array
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from moderation.filters import DEFAULT_FILTERS
from moderation.roles import Role
from server.broker import open_broker
from server.config import load_settings
from server.live.audience import Delivery
from server.live.codec import Encoding
from server.live.connection import Connection
from server.live.hub import Hub
from server.live.ratelimit import Bucket
from server.live.thread_fanout import BATCH, WORKER_FROM, ThreadFanout, native, ready
from server.store import open_store

FANOUT = native()
pytestmark = pytest.mark.skipif(
    FANOUT is None and not os.environ.get("CI"), reason="server/live/_fanout.c is not built"
)

FRAME = b"\x81\x05hello"


class _Outbox:
    """A transport's two fan-out calls and its descriptor, as RawOutbox gives them."""

    def __init__(self, transport: asyncio.WriteTransport) -> None:
        self.transport = transport

    def write(self, frame: bytes, text: bool) -> bool:
        self.transport.write(frame)
        return True

    def fan_out(self, text: bool) -> tuple[Callable[[bytes], object], Callable[[], int]]:
        return self.transport.write, self.transport.get_write_buffer_size

    def backlog(self) -> int:
        return self.transport.get_write_buffer_size()

    def close(self) -> None:
        pass

    def fileno(self) -> int:
        return int(self.transport.get_extra_info("socket").fileno())


@contextmanager
def _worker() -> Iterator[ThreadFanout]:
    fanout = ThreadFanout.start(worker_from=1)  # the worker writes even to a few sockets
    assert fanout is not None
    try:
        yield fanout
    finally:
        fanout.stop()


class _Quiet(asyncio.Protocol):
    pass


@asynccontextmanager
async def _pairs(n: int) -> AsyncIterator[list[tuple[Connection, socket.socket, list[Any]]]]:
    """n server-side Connections on real loopback transports, each with its peer socket
    (blocking, read by the test) and the closes it was asked for."""
    loop = asyncio.get_running_loop()
    accepted: asyncio.Queue[asyncio.Transport] = asyncio.Queue()

    class _Accept(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            assert isinstance(transport, asyncio.Transport)
            accepted.put_nowait(transport)

    server = await loop.create_server(_Accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    out = []
    peers = []
    try:
        for _ in range(n):
            peer = socket.create_connection(("127.0.0.1", port))
            peers.append(peer)
            transport = await accepted.get()
            closes: list[Any] = []
            conn = Connection(
                room="R",
                role=Role.ATTENDEE,
                participant_id="p",
                encoding=Encoding.JSON,
                outbox=_Outbox(transport),
                ip="127.0.0.1",
                bucket=Bucket(10, 10, 0.0),
                close=lambda code, reason, closes=closes: closes.append((code, reason)),
            )
            out.append((conn, peer, closes))
        yield out
    finally:
        for peer in peers:
            peer.close()
        server.close()


def _read(peer: socket.socket, size: int) -> bytes:
    peer.settimeout(5)
    got = b""
    while len(got) < size:
        chunk = peer.recv(size - len(got))
        assert chunk, f"closed after {len(got)} of {size} bytes"
        got += chunk
    return got


def _nothing_more(peer: socket.socket) -> None:
    peer.settimeout(0.05)
    with pytest.raises(TimeoutError):
        peer.recv(1)


def test_every_socket_gets_the_frame_once() -> None:
    async def scenario() -> None:
        with _worker() as fanout:
            async with _pairs(40) as pairs:
                given = await fanout.send(FRAME, [conn for conn, _, _ in pairs])
                assert given == 40
                assert fanout.sends == 40 and fanout.written_by_loop == 0
                for conn, peer, _ in pairs:
                    assert _read(peer, len(FRAME)) == FRAME
                    _nothing_more(peer)
                    assert conn.held is None and conn.put == conn.outbox.fan_out(True)[0]

    asyncio.run(scenario())


def test_a_send_is_freed_without_the_cyclic_collector() -> None:
    """The live server freezes its young objects instead of collecting them
    (server/live/gc_tuning.py): what a tick's send made (its batches, its closures, the
    delivery they hold) must go by reference counting alone, or it waits for the full
    collection half an hour later."""

    async def scenario() -> int:
        with _worker() as fanout:
            async with _pairs(BATCH + 3) as pairs:
                conns = [conn for conn, _, _ in pairs]
                await fanout.send(FRAME, conns)  # the pool's thread and its queue are made
                gc.collect()
                gc.disable()
                try:
                    assert await fanout.send(FRAME, conns) == len(conns)
                    return gc.collect()
                finally:
                    gc.enable()

    assert asyncio.run(scenario()) == 0


def test_a_frame_for_a_few_sockets_is_written_on_the_loop() -> None:
    async def scenario() -> None:
        fanout = ThreadFanout.start()
        assert fanout is not None and fanout.worker_from == WORKER_FROM
        try:
            async with _pairs(40) as pairs:
                stuck, *rest = [conn for conn, _, _ in pairs]
                stuck.lag_started = 1.0  # what a pick is given decides, here as in the worker
                assert await fanout.send(FRAME, [stuck, *rest], _open) == 39
                assert fanout.sends == 0 and fanout.loop_s > 0
                _nothing_more(pairs[0][1])
                for _, peer, _ in pairs[1:]:
                    assert _read(peer, len(FRAME)) == FRAME
        finally:
            fanout.stop()

    asyncio.run(scenario())


def _open(frame: bytes, conns: list[Connection]) -> tuple[list[Connection], int]:
    return ready(frame, [conn for conn in conns if conn.lag_started is None])


def test_a_frame_for_more_sockets_than_a_batch_reaches_each_once() -> None:
    async def scenario() -> None:
        with _worker() as fanout:
            n = BATCH * 2 + 7
            async with _pairs(n) as pairs:
                assert await fanout.send(FRAME, [conn for conn, _, _ in pairs]) == n
                for conn, peer, _ in pairs:
                    assert _read(peer, len(FRAME)) == FRAME
                    assert conn.held is None
                _nothing_more(pairs[-1][1])

    asyncio.run(scenario())


def test_a_batch_whose_pick_fails_is_skipped_and_the_rest_still_sent() -> None:
    picked: list[int] = []

    def pick(frame: bytes, conns: list[Connection]) -> tuple[list[Connection], int]:
        picked.append(len(conns))
        if len(picked) == 1:
            raise RuntimeError("a bug in the tick's pick")
        return ready(frame, conns)

    async def scenario() -> None:
        with _worker() as fanout:
            async with _pairs(BATCH + 3) as pairs:
                given = await asyncio.wait_for(
                    fanout.send(FRAME, [conn for conn, _, _ in pairs], pick), 10
                )
                assert given == 3 and picked == [BATCH, 3]
                for conn, peer, _ in pairs[:BATCH]:
                    _nothing_more(peer)
                    assert conn.held is None
                for _, peer, _ in pairs[BATCH:]:
                    assert _read(peer, len(FRAME)) == FRAME

    asyncio.run(scenario())


def test_a_ticks_sends_count_in_its_cost_on_either_thread(tmp_path: Path) -> None:
    """The hub's adaptive period reads a tick's cost from what `_deliver` returns: with the
    worker writing, the sends must be in it, or ticks come as fast as the minimum allows
    and their writes crowd out handshakes (docs/PERFORMANCE.md, `reconnect_storm`)."""

    async def scenario() -> None:
        settings = load_settings(
            {"TOWNHALL_DATA_DIR": str(tmp_path), "TOWNHALL_SECRET": "fanout-test-secret-0123456"}
        )
        hub = Hub(settings, open_store(f"sqlite:///{tmp_path}/t.db"), open_broker("memory://"),
                  DEFAULT_FILTERS)  # fmt: skip
        await hub.start()
        try:
            assert hub.fanout is not None
            assert (await hub.create_room("COST", {"title": "Cost"}, "o1")).error is None
            host = hub.rooms["COST"]
            async with _pairs(BATCH + 3) as pairs:
                delivery = Delivery(host.audience, host.state.seq, 0.0)
                delivery.shared.append((FRAME, [conn for conn, _, _ in pairs]))
                worker, on_loop = hub.fanout.worker_s, hub.fanout.loop_s
                spent = await hub._deliver([(host, delivery)])
                assert hub.fanout.worker_s > worker and hub.fanout.loop_s > on_loop
                counted = hub.fanout.worker_s - worker + hub.fanout.loop_s - on_loop
                assert spent >= counted
                for _, peer, _ in pairs:
                    assert _read(peer, len(FRAME)) == FRAME
        finally:
            await hub.stop()

    asyncio.run(scenario())


def test_after_stopping_the_loop_writes_the_frame_itself() -> None:
    async def scenario() -> None:
        with _worker() as fanout:
            pass  # stopped at once
        async with _pairs(2) as pairs:
            assert await fanout.send(FRAME, [conn for conn, _, _ in pairs]) == 2
            for conn, peer, _ in pairs:
                assert _read(peer, len(FRAME)) == FRAME
                assert conn.held is None

    asyncio.run(scenario())


def test_what_the_loop_writes_during_the_send_follows_it() -> None:
    """An ack written while the worker has the socket waits, then goes after the frame."""

    async def scenario() -> None:
        with _worker() as fanout:
            async with _pairs(3) as pairs:
                conns = [conn for conn, _, _ in pairs]
                loop = asyncio.get_running_loop()
                seen_held: list[bool] = []

                def ack() -> None:
                    seen_held.append(conns[1].held is not None)
                    conns[1].put(b"ACK")

                loop.call_soon(ack)  # runs while the send is out
                await fanout.send(FRAME, conns)
                assert seen_held == [True]
                assert _read(pairs[1][1], len(FRAME) + 3) == FRAME + b"ACK"
                for _, peer, _ in (pairs[0], pairs[2]):
                    assert _read(peer, len(FRAME)) == FRAME
                    _nothing_more(peer)

    asyncio.run(scenario())


def test_a_close_asked_for_during_the_send_comes_after_it() -> None:
    async def scenario() -> None:
        with _worker() as fanout:
            async with _pairs(2) as pairs:
                (conn, peer, closes), _ = pairs
                loop = asyncio.get_running_loop()
                loop.call_soon(lambda: conn.close(4003, "banned"))
                await fanout.send(FRAME, [conn, pairs[1][0]])
                assert closes == [(4003, "banned")]  # once the send was back, not before
                assert conn.closed
                assert _read(peer, len(FRAME)) == FRAME

    asyncio.run(scenario())


def test_a_close_before_the_send_is_not_held() -> None:
    async def scenario() -> None:
        async with _pairs(1) as pairs:
            conn, _, closes = pairs[0]
            conn.close(1012, "restarting")
            assert closes == [(1012, "restarting")]

    asyncio.run(scenario())


def test_a_socket_with_unsent_bytes_is_given_back_to_the_loop_in_order() -> None:
    """Its peer reads nothing, so the kernel holds unsent bytes: the worker must not send
    (it could take a part), the loop's transport writes the frame after what is there."""

    async def scenario() -> None:
        with _worker() as fanout:
            async with _pairs(2) as pairs:
                (stuck, peer, _), (fine, fine_peer, _) = pairs
                filler = _fill(stuck.fd)
                assert stuck.buffered() == 0  # the transport holds nothing: the kernel does
                loop = asyncio.get_running_loop()
                loop.call_soon(lambda: stuck.put(b"ACK"))
                await fanout.send(FRAME, [stuck, fine])
                assert fanout.written_by_loop == 1 and fanout.sends == 1
                assert _read(fine_peer, len(FRAME)) == FRAME
                reader = loop.run_in_executor(None, _read, peer, len(filler) + len(FRAME) + 3)
                got = await reader  # the loop must run meanwhile: its transport writes the rest
                assert got == filler + FRAME + b"ACK"

    asyncio.run(scenario())


def test_a_frame_follows_what_waits_in_the_transport_though_the_kernel_drained() -> None:
    """An ack the transport still holds (the kernel was full when it was written) must go
    out before the frame, even once the kernel's queue has drained and the worker could
    send straight to it."""

    async def scenario() -> None:
        with _worker() as fanout:
            async with _pairs(1) as pairs:
                stuck, peer, _ = pairs[0]
                filler = _fill(stuck.fd)
                stuck.put(b"ACK")  # the kernel is full: the transport keeps it
                assert stuck.buffered() == 3
                assert _read(peer, len(filler)) == filler  # drained; the loop has not run since
                await fanout.send(FRAME, [stuck])
                got = await asyncio.get_running_loop().run_in_executor(
                    None, _read, peer, 3 + len(FRAME)
                )
                assert got == b"ACK" + FRAME

    asyncio.run(scenario())


def _fill(fd: int) -> bytes:
    """Write to the socket behind `fd` until its kernel buffers are full; what was taken."""
    raw = socket.socket(fileno=os.dup(fd))
    raw.setblocking(False)
    filler = b""
    chunk = b"x" * 65536
    try:
        while len(filler) < 64 * 1024 * 1024:
            filler += chunk[: raw.send(chunk)]
    except BlockingIOError:
        pass
    finally:
        raw.close()
    return filler


def test_a_descriptor_closed_during_the_send_does_not_pass_its_number_on() -> None:
    """The worker writes through dups: the socket stays open until its send is done, so a
    socket opened meanwhile (which may take the old number) never gets the room's frame."""
    assert FANOUT is not None
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    a = socket.create_connection(("127.0.0.1", port))
    a_server, _ = listener.accept()
    fd = a_server.detach()
    dups = array("i", [0])
    FANOUT.hold(array("i", [fd]), dups)
    os.close(fd)  # the loop closed it while the send is out
    b = socket.create_connection(("127.0.0.1", port))
    b_server, _ = listener.accept()  # likely given `fd` again
    missed = FANOUT.send_all(dups, FRAME)
    assert missed == []
    assert _read(a, len(FRAME)) == FRAME
    assert a.recv(1) == b""  # and then closed: the dup was the last reference
    _nothing_more(b_server)
    _nothing_more(b)
    for s in (a, b, b_server, listener):
        s.close()


def test_a_descriptor_that_cannot_be_held_is_reported() -> None:
    assert FANOUT is not None
    dups = array("i", [0, 0])
    FANOUT.hold(array("i", [-1, 2**30]), dups)
    assert list(dups) == [-9, -9]  # EBADF for both: nothing to send to
    assert FANOUT.send_all(dups, FRAME) == [(0, -9), (1, -9)]
    with pytest.raises(TypeError):
        FANOUT.hold([1, 2], dups)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        FANOUT.hold(array("i", [1, 2, 3]), dups)
