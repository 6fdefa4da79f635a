"""The tick's shared frames written by a worker thread, with the GIL released.

At 5,000 sockets a tick's writes hold the event loop for about 45 ms, nearly all of it in
the kernel (a loopback send costs ~9 us). Votes, commits and acks waited for those writes,
slice by slice, while the second core sat partly idle. Here the event loop only picks the
sockets and the worker thread makes the sends in C (`server/live/_fanout.c`), so the loop
runs on meanwhile:

    fanout = ThreadFanout.start()         # None without the C module: the loop writes
    written = await fanout.send(frame, conns, pick)

`pick` chooses, batch by batch as each is queued, which sockets the worker writes (one
with nothing waiting in its transport, and a descriptor) and writes the others on the loop:
`ready` below, or the tick's own (`Delivery.pick`, which also sets laggers aside).

Ordering is kept per socket. A socket goes to the worker only with nothing waiting in its
transport; while its send is out, whatever the loop writes to it (an ack, a personal frame,
a close) waits on the Connection (`Connection.hold`) and follows once the send is back: a
part the kernel did not take first, then what waited. Each socket is written through a dup
of its descriptor, closed by the worker, so a socket the loop closes meanwhile cannot pass
its number to a new connection before the send is done.

Only the protocol's own frames (the answer to a client's ping) go straight to a socket; a
client that pings while its kernel buffer is full can garble its own stream, nobody else's.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import time
from array import array
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from types import ModuleType

from server.live.connection import Connection

__all__ = ["BATCH", "WORKER_FROM", "Pick", "ThreadFanout", "native", "ready"]

log = logging.getLogger("townhall.fanout")

# Sockets per send handed to the worker (~5 ms of sends), and batches queued at once: what
# the loop writes to a socket waits for two batches at most, and the dups add at most
# BATCH * AHEAD open descriptors.
BATCH = 500
AHEAD = 2
# Below this many sockets a frame is written on the loop (server/config.py
# `fanout_worker_from`): a round trip through the worker costs a turn of a busy loop.
WORKER_FROM = 250

Missed = list[tuple[int, int]]  # (index, bytes written or minus errno) of each not sent whole
# (frame, a batch's sockets) -> (the ones the worker may write it to, how many were written
# here instead): called on the loop as the batch is queued.
Pick = Callable[[bytes, list[Connection]], tuple[list[Connection], int]]

# Nothing was written and the socket is alive: the loop writes the frame itself (the
# transport keeps what the kernel does not take). EBADF, EPIPE, ECONNRESET: it is going.
_WRITE_AGAIN = frozenset({errno.EAGAIN, errno.EWOULDBLOCK, errno.EMFILE, errno.ENFILE})


def ready(frame: bytes, conns: list[Connection]) -> tuple[list[Connection], int]:
    """The worker's share of `conns` now: each open socket with a descriptor and nothing
    waiting in its transport. Any other open one is written here, after what waits."""
    picked: list[Connection] = []
    written = 0
    for conn in conns:
        if conn.closed:
            continue
        if conn.buffered() or conn.fd < 0 or conn.held is not None:
            conn.put(frame)
            written += 1
        else:
            picked.append(conn)
    return picked, written


def native() -> ModuleType | None:
    """The C module, or None where it was not built (no compiler at install)."""
    try:
        from server.live import _fanout
    except ImportError:
        return None
    return _fanout


class ThreadFanout:
    __slots__ = (
        "_native",
        "_pool",
        "loop_s",
        "sends",
        "worker_from",
        "worker_s",
        "written_by_loop",
    )

    def __init__(self, module: ModuleType, worker_from: int = WORKER_FROM) -> None:
        self._native = module
        self.worker_from = worker_from
        # One worker: sends to one socket must never overlap, and one core is all the
        # loop leaves free.
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="townhall-fanout")
        self.sends = 0  # frames the worker wrote whole (the path in use: tests, /metrics)
        self.written_by_loop = 0  # frames it gave back to the loop (a full kernel buffer)
        # Seconds spent sending (the worker's) and picking and releasing sockets as batches
        # are queued and come back (the loop's), each written by its own thread alone.
        self.worker_s = 0.0
        self.loop_s = 0.0

    @classmethod
    def start(cls, worker_from: int = WORKER_FROM) -> ThreadFanout | None:
        module = native()
        if module is None:
            log.warning("server.live._fanout is not built: the event loop writes every tick")
            return None
        return cls(module, worker_from)

    def stop(self) -> None:
        self._pool.shutdown(wait=True)

    @property
    def busy_s(self) -> float:
        """Seconds the sends have taken, both threads together: the tick's cost that the hub
        does not see while it awaits `send`. Its adaptive period counts it, or ticks come as
        fast as the minimum allows and their writes take the core that handshakes and the
        phones' own votes need (`reconnect_storm`, docs/PERFORMANCE.md)."""
        return self.worker_s + self.loop_s

    async def send(self, frame: bytes, conns: Sequence[Connection], pick: Pick = ready) -> int:
        """`frame` to each of `conns`; returns how many were given it. The loop runs
        meanwhile.

        The worker sends BATCH sockets at a time, with the next batch already queued
        (`AHEAD`), so it never waits for the loop; each batch comes back in one loop turn,
        which releases its sockets and queues the batch after the next. `pick` chooses a
        batch's sockets as it is queued, not before: what the loop wrote to one meanwhile
        may still wait in its transport, and the frame must follow it. A socket is held, its
        own writes waiting, from its batch's queueing to its return: a few ms."""
        if not conns:
            return 0
        if len(conns) < self.worker_from:
            return self._write_here(frame, list(conns), pick)
        sending = _Sending(self, frame, conns, pick)
        began = time.perf_counter()
        for index in range(min(AHEAD, len(sending.parts))):
            sending.queue(index)
        self.loop_s += time.perf_counter() - began
        # Cancelled (stopping), the batches still come back and release their sockets.
        return await sending.done

    def _write_here(self, frame: bytes, conns: list[Connection], pick: Pick) -> int:
        """A frame for a few sockets, written on the loop: those `pick` would hand the
        worker too, so laggers and what waits in a transport are treated the same."""
        began = time.perf_counter()
        picked, here = pick(frame, conns)
        for conn in picked:
            conn.put(frame)
        self.loop_s += time.perf_counter() - began
        return here + len(picked)

    def _after(self, frame: bytes, conns: Sequence[Connection], missed: Missed) -> int:
        """Each socket released, what the kernel did not take first; how many got it."""
        rest: dict[int, bytes] = {}
        gone = 0
        for index, result in missed:
            if result >= 0:
                rest[index] = frame[result:]  # the kernel took a part
            elif -result in _WRITE_AGAIN:
                rest[index] = frame
            else:
                gone += 1
        self.sends += len(conns) - len(missed)
        self.written_by_loop += len(rest)
        for index, conn in enumerate(conns):
            conn.release(rest.get(index))
        return len(conns) - gone


class _Sending:
    """One frame's batches on their way through the worker. An object of its own, not
    closures that call one another: those made a cycle, holding the tick's batches and its
    delivery, that only the cyclic collector frees, and the live server freezes its young
    objects rather than collect them (server/live/gc_tuning.py)."""

    __slots__ = ("done", "fanout", "frame", "given", "left", "loop", "parts", "pick")

    def __init__(
        self, fanout: ThreadFanout, frame: bytes, conns: Sequence[Connection], pick: Pick
    ) -> None:
        self.fanout = fanout
        self.frame = frame
        self.pick = pick
        self.loop = asyncio.get_running_loop()
        self.parts = [list(conns[at : at + BATCH]) for at in range(0, len(conns), BATCH)]
        self.done: asyncio.Future[int] = self.loop.create_future()
        self.given = 0
        self.left = len(self.parts)

    def settle(self, count: int) -> None:
        self.given += count
        self.left -= 1
        if self.left == 0 and not self.done.done():
            self.done.set_result(self.given)

    def work(self, index: int, dups: array[int]) -> None:  # in the worker
        fanout = self.fanout
        began = time.perf_counter()
        missed = fanout._native.send_all(dups, self.frame)
        fanout.worker_s += time.perf_counter() - began
        self.loop.call_soon_threadsafe(self.back, index, missed)

    def back(self, index: int, missed: Missed) -> None:  # on the loop
        fanout = self.fanout
        began = time.perf_counter()
        self.settle(fanout._after(self.frame, self.parts[index], missed))
        if index + AHEAD < len(self.parts):
            self.queue(index + AHEAD)
        fanout.loop_s += time.perf_counter() - began

    def queue(self, index: int) -> None:
        fanout, frame, parts = self.fanout, self.frame, self.parts
        try:
            part, here = self.pick(frame, parts[index])
        except Exception:  # a bug, but the tick must not wait for a batch never sent
            log.exception("picking a batch's sockets failed; the batch is skipped")
            part, here = [], 0
        self.given += here
        parts[index] = part
        if not part:
            self.settle(0)
            if index + AHEAD < len(parts):
                self.queue(index + AHEAD)
            return
        fds = array("i", [conn.fd for conn in part])
        dups = array("i", bytes(4 * len(fds)))
        fanout._native.hold(fds, dups)
        for conn in part:
            conn.hold()
        try:
            fanout._pool.submit(self.work, index, dups)
        except RuntimeError:  # the pool is shut down (stopping): the loop writes them
            for dup in dups:
                if dup >= 0:
                    os.close(dup)
            for conn in part:
                conn.release(frame)
            self.settle(len(part))
            if index + AHEAD < len(parts):
                self.queue(index + AHEAD)
