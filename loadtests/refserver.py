"""The reference for the fan-out figure: a plain `websockets` server and `broadcast()`.

    python -m loadtests.refserver --port 8765 --interval-ms 50 --size 120

Every `interval` it broadcasts one text message of `size` bytes to every connected socket,
which is what the town hall's tick does for one view. Same event loop (uvloop when
installed), no compression, so the two servers are measured on the same terms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json

from websockets.asyncio.server import ServerConnection, broadcast, serve

__all__ = ["main"]

CONNECTED: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    CONNECTED.add(ws)
    try:
        await ws.wait_closed()
    finally:
        CONNECTED.discard(ws)


async def run(port: int, interval: float, size: int) -> None:
    seq = 0
    async with serve(
        handler,
        "127.0.0.1",
        port,
        compression=None,
        max_size=65536,
        ping_interval=20,
        ping_timeout=20,
        backlog=4096,
    ):
        while True:
            await asyncio.sleep(interval)
            if CONNECTED:
                seq += 1
                message = json.dumps({"type": "poll.tally", "seq": seq})
                broadcast(CONNECTED, message + " " * max(0, size - len(message)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--interval-ms", type=float, default=50.0)
    parser.add_argument("--size", type=int, default=120)
    args = parser.parse_args()
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover
        runner = asyncio.run  # type: ignore[assignment]
    with contextlib.suppress(KeyboardInterrupt):
        runner(run(args.port, args.interval_ms / 1000, args.size))


if __name__ == "__main__":
    main()
