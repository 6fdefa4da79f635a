"""Store throughput: N concurrent single-entry appends, then a sequential baseline.

    .venv/bin/python loadtests/store_bench.py sqlite:///data/bench.db
    .venv/bin/python loadtests/store_bench.py postgresql://postgres@127.0.0.1:5432/test

Prints appends/s, transactions (group commit at work) and ack latency percentiles. Point it
at a scratch database: it appends to rooms named bench-*.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
import uuid

from server.store import Entry, Store, open_store

_op_ids = itertools.count()


async def _timed_append(store: Store, room: str, n: int) -> float:
    # A fresh op_id every time: a repeated one is a retry, which the store answers with the
    # entry it already has instead of appending (a different path, measured elsewhere).
    op_id = f"op-{next(_op_ids)}"
    start = time.perf_counter()
    await store.append(
        room, [Entry(at=n, actor="bench", op_id=op_id, type="bench", data={"n": n})]
    )
    return time.perf_counter() - start


async def run(url: str, appends: int, rooms: int, sequential: int) -> None:
    store = open_store(url)
    await store.open()
    prefix = f"bench-{uuid.uuid4().hex[:6]}"
    try:
        before = getattr(store, "transactions", 0)
        start = time.perf_counter()
        latencies = sorted(
            await asyncio.gather(
                *(_timed_append(store, f"{prefix}-{n % rooms}", n) for n in range(appends))
            )
        )
        elapsed = time.perf_counter() - start
        txns = getattr(store, "transactions", 0) - before
        p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
        print(
            f"{url.split(':')[0]}: {appends} concurrent appends over {rooms} rooms in"
            f" {elapsed * 1000:.0f} ms = {appends / elapsed:,.0f} appends/s,"
            f" {txns} transactions, ack p50 {p50 * 1000:.1f} ms p99 {p99 * 1000:.1f} ms"
        )
        start = time.perf_counter()
        for n in range(sequential):
            await _timed_append(store, f"{prefix}-seq", n)
        elapsed = time.perf_counter() - start
        print(
            f"  sequential (one at a time, one fsync each): {sequential / elapsed:,.0f} appends/s"
        )
        await _sustained(store, prefix, appends, rooms, seconds=2.0)
    finally:
        await store.close()


async def _sustained(store: Store, prefix: str, clients: int, rooms: int, seconds: float) -> None:
    """Every client appends again as soon as its last append is acked, for `seconds`."""
    before = getattr(store, "transactions", 0)
    deadline = time.perf_counter() + seconds
    done = 0

    async def client(c: int) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await _timed_append(store, f"{prefix}-s{c % rooms}", c)
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(clients)))
    elapsed = time.perf_counter() - start
    txns = getattr(store, "transactions", 0) - before
    print(
        f"  sustained, {clients} clients for {elapsed:.1f} s: {done / elapsed:,.0f} appends/s,"
        f" {txns / elapsed:,.0f} transactions/s, {done / max(txns, 1):.0f} appends/transaction"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--appends", type=int, default=1000)
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--sequential", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(run(args.url, args.appends, args.rooms, args.sequential))


if __name__ == "__main__":
    main()
