"""The floor under `server_cpu_us_per_frame`: the CPU one small frame to one loopback socket
costs on this machine, with no server at all.

    python -m loadtests.write_floor --sockets 5000 --rounds 30 --size 100

One process accepts `sockets` loopback TCP connections and, every 100 ms, `send()`s one
`size`-byte WebSocket text frame to each (a plain non-blocking syscall: no event loop, no
framing, no Python above the call); a second process reads and discards everything. Its
own CPU (user + system, from getrusage) over the rounds divided by the sends is the price
of the syscall and of the kernel's loopback TCP work, which the sender pays. No server
can deliver a frame for less; prints one JSON line. Loopback only; stops by itself.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import selectors
import socket
import sys
import time
from multiprocessing.connection import Connection as PipeEnd

__all__ = ["main", "measure"]


def _reader(port: int, sockets: int, ready: PipeEnd) -> None:
    selector = selectors.DefaultSelector()
    conns = []
    for _ in range(sockets):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        conns.append(sock)
    ready.send("connected")
    idle_since = time.monotonic()
    while time.monotonic() - idle_since < 2.0:  # the sender stopped: so do we
        events = selector.select(0.5)
        if events:
            idle_since = time.monotonic()
        for key, _ in events:
            readable = key.fileobj
            assert isinstance(readable, socket.socket)
            try:
                if not readable.recv(1 << 16):
                    selector.unregister(readable)
            except BlockingIOError:
                pass
    for sock in conns:
        sock.close()


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(sockets: int, rounds: int, size: int) -> dict[str, float | int]:
    server = socket.create_server(("127.0.0.1", 0), backlog=4096)
    port = server.getsockname()[1]
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe()
    reader = ctx.Process(target=_reader, args=(port, sockets, child), daemon=True)
    reader.start()
    conns = []
    try:
        server.settimeout(60)
        for _ in range(sockets):
            conn, _ = server.accept()
            conn.setblocking(False)
            conns.append(conn)
        assert parent.recv() == "connected"
        payload = b'{"type":"poll.tally","seq":1}'.ljust(size, b" ")
        frame = bytes((0x81, len(payload))) + payload if len(payload) < 126 else b""
        if not frame:
            raise SystemExit("--size must be under 126 bytes")
        sent = 0
        cpu = 0.0
        for _ in range(rounds):
            began = _cpu_s()
            for conn in conns:
                try:
                    conn.send(frame)
                    sent += 1
                except BlockingIOError:  # the reader fell behind: not counted
                    pass
            cpu += _cpu_s() - began
            time.sleep(0.1)
    finally:
        for conn in conns:
            conn.close()
        server.close()
        reader.join(10)
        if reader.is_alive():
            reader.kill()
    return {
        "sockets": sockets,
        "rounds": rounds,
        "bytes_per_frame": len(frame),
        "sends": sent,
        "cpu_us_per_send": round(cpu * 1e6 / max(1, sent), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--size", type=int, default=100)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.sockets, args.rounds, args.size)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
