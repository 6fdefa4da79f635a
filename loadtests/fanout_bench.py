"""What the tick's fan-out costs per socket, above the transport itself: no server, no votes.

    .venv/bin/python -m loadtests.fanout_bench --sockets 3000 --rounds 20 --repeats 5

One process opens `sockets` loopback connections on uvloop; a second one reads and discards
(`loadtests.write_floor`'s reader). Every 100 ms one 102-byte frame goes to every socket, by
turns through:

- `delivery`: the town hall's own path (`server.live.audience.Delivery.write` over lean
  Connections, 500 sockets a slice, as the hub writes a tick);
- `worker`: the same ticks through the worker thread (`server.live.thread_fanout`, as the hub
  does with `TOWNHALL_FANOUT_WRITER=thread`), when the C module is built;
- `transport`: a bare loop of `transport.write(frame)`, the least any asyncio server can do.

The process's user and system CPU per frame (getrusage) for each, and the event loop
thread's alone (`loop_us_per_frame`: what the worker takes off it), median of `repeats`, as
one JSON line. System time is the kernel's loopback TCP work and is the same for both; the
difference in user time is what our Python costs per socket per tick. Loopback only; stops
by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import resource
import statistics
import time
from collections.abc import Callable
from typing import Any, cast

from moderation.roles import Role
from rooms import new_room
from server.config import Limits
from server.live.audience import Audience, Delivery
from server.live.codec import Encoding
from server.live.connection import Connection
from server.live.outbox import RawOutbox
from server.live.ratelimit import Bucket
from server.live.thread_fanout import ThreadFanout

from .write_floor import _reader

__all__ = ["main", "measure"]

SLICE = 500  # sockets written between two turns of the loop, as server/live/hub.py does


class _Sink(asyncio.Protocol):
    """The server side of one socket: what RawOutbox reads off uvicorn's protocol."""

    close_sent = False
    disconnected = False

    def __init__(self, accepted: list[_Sink], wanted: int, all_in: asyncio.Event) -> None:
        self._accepted, self._wanted, self._all_in = accepted, wanted, all_in
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self._accepted.append(self)
        if len(self._accepted) >= self._wanted:
            self._all_in.set()


def _cpu() -> tuple[float, float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime, time.thread_time()


def _connection(sink: _Sink, n: int) -> Connection:
    return Connection(
        room="BENCH",
        role=Role.ATTENDEE,
        participant_id=f"p{n}",
        encoding=Encoding.JSON,
        outbox=RawOutbox(sink, closes_reported=True),  # as a lean socket's is
        ip="127.0.0.1",
        bucket=Bucket(10, 10, 0.0),
        close=lambda code, reason: None,
    )


async def _run(sockets: int, rounds: int, repeats: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    accepted: list[_Sink] = []
    all_in = asyncio.Event()
    server = await loop.create_server(
        lambda: _Sink(accepted, sockets, all_in), "127.0.0.1", 0, backlog=8192
    )
    port = server.sockets[0].getsockname()[1]
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    reader = ctx.Process(target=_reader, args=(port, sockets, child), daemon=True)
    reader.start()
    await all_in.wait()
    assert await loop.run_in_executor(None, parent.recv) == "connected"

    payload = b'{"type":"poll.tally","seq":1}'.ljust(100, b" ")
    frame = bytes((0x81, len(payload))) + payload
    conns = [_connection(sink, n) for n, sink in enumerate(accepted)]
    transports = [sink.transport for sink in accepted if sink.transport is not None]
    audience = Audience(new_room(), Limits())  # the Delivery reads its limits and laggers

    written = {"delivery": 0, "worker": 0, "transport": 0}
    fanout = ThreadFanout.start()

    async def delivery() -> None:
        tick = Delivery(audience, 1, 0.0)
        tick.shared.append((frame, conns))
        while True:
            finished, frames = tick.write(SLICE)
            written["delivery"] += frames
            if finished:
                return
            await asyncio.sleep(0)  # the loop runs between slices, as in the hub

    async def transport() -> None:
        for start in range(0, len(transports), SLICE):
            for each in transports[start : start + SLICE]:
                each.write(frame)
            written["transport"] += len(transports[start : start + SLICE])
            await asyncio.sleep(0)

    async def worker() -> None:
        assert fanout is not None
        tick = Delivery(audience, 1, 0.0)
        tick.shared.append((frame, conns))
        while (step := tick.next_shared()) is not None:
            written["worker"] += await fanout.send(*step, tick.pick)

    ways: dict[str, Callable[[], Any]] = {"delivery": delivery, "transport": transport}
    if fanout is not None:
        ways["worker"] = worker
    samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ways}
    for _ in range(repeats):
        for name, write_all in ways.items():
            user0, sys0, loop0 = _cpu()
            for _ in range(rounds):
                await write_all()
                await asyncio.sleep(0.1)
            user1, sys1, loop1 = _cpu()
            frames = rounds * sockets
            samples[name].append(
                ((user1 - user0) / frames, (sys1 - sys0) / frames, (loop1 - loop0) / frames)
            )
    if fanout is not None:
        fanout.stop()
    server.close()
    for each in transports:
        each.close()
    reader.join(10)
    result: dict[str, Any] = {"scenario": "fanout_bench", "sockets": sockets, "rounds": rounds}
    for name, triples in samples.items():
        user = statistics.median(u for u, _, _ in triples) * 1e6
        system = statistics.median(s for _, s, _ in triples) * 1e6
        on_loop = statistics.median(t for _, _, t in triples) * 1e6
        result[name] = {
            "frames": written[name],
            "user_us_per_frame": round(user, 2),
            "sys_us_per_frame": round(system, 2),
            "loop_us_per_frame": round(on_loop, 2),
        }
    result["python_us_per_frame"] = round(
        result["delivery"]["user_us_per_frame"] - result["transport"]["user_us_per_frame"], 2
    )
    return result


def measure(sockets: int, rounds: int, repeats: int) -> dict[str, Any]:
    try:
        import uvloop
    except ImportError:  # the same comparison on asyncio's own loop
        return asyncio.run(_run(sockets, rounds, repeats))
    return uvloop.run(_run(sockets, rounds, repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sockets", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(measure(args.sockets, args.rounds, args.repeats)))


if __name__ == "__main__":
    main()
