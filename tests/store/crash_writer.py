"""Run by test_sqlite_crash: append forever from many coroutines, print each ack at once.

A line on stdout is a promise: the entry it names was acknowledged as durable.
"""

from __future__ import annotations

import asyncio
import sys

from server.store import Entry
from server.store.sqlite import SqliteStore


async def main(path: str) -> None:
    store = SqliteStore(path)
    await store.open()

    async def worker(w: int) -> None:
        n = 0
        while True:
            n += 1
            entries = [
                Entry(at=n, actor=f"w{w}", op_id=f"{w}-{n}-{i}", type="t", data={"i": i})
                for i in range(1 + n % 3)
            ]
            for c in await store.append(f"R{w % 3}", entries):
                sys.stdout.write(f"{c.room} {c.seq} {c.hash}\n")
            sys.stdout.flush()

    await asyncio.gather(*(worker(w) for w in range(16)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
