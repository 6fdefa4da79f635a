"""N server processes sharing one PostgreSQL schema and one Redis, and the checks the
scale tests make against them."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.live_server import LiveServer
from tests.support.wsclient import Client

__all__ = [
    "Cluster",
    "assert_monotonic",
    "cluster",
    "recount",
    "snapshot",
    "transcript",
]


class Cluster:
    def __init__(self, base: Path, count: int, store_url: str, broker_url: str) -> None:
        env = {
            "TOWNHALL_STORE_URL": store_url,
            "TOWNHALL_BROKER_URL": broker_url,
            # Tests open many sockets and send bursts from one address.
            "TOWNHALL_LIMIT_OPS_PER_SECOND": "1000",
            "TOWNHALL_LIMIT_OPS_BURST": "1000",
        }
        self.servers = [LiveServer(base / f"p{i}", env=env) for i in range(count)]

    def start(self) -> Cluster:
        with ThreadPoolExecutor(len(self.servers)) as pool:
            list(pool.map(lambda s: s.start(), self.servers))
        return self

    def stop(self) -> None:
        with ThreadPoolExecutor(len(self.servers)) as pool:
            list(pool.map(lambda s: s.stop(), self.servers))

    def __getitem__(self, index: int) -> LiveServer:
        return self.servers[index]

    def __len__(self) -> int:
        return len(self.servers)

    def __iter__(self) -> Iterator[LiveServer]:
        return iter(self.servers)

    def logs(self) -> str:
        return "\n".join(f"--- {s.port} ---\n{s.logs()[-3000:]}" for s in self.servers)


@contextmanager
def cluster(base: Path, count: int, store_url: str, broker_url: str) -> Iterator[Cluster]:
    running = Cluster(base, count, store_url, broker_url).start()
    try:
        yield running
    finally:
        running.stop()


def snapshot(server: LiveServer, code: str, token: str) -> dict[str, Any]:
    response = httpx.get(
        f"{server.http}/api/rooms/{code}", headers={"authorization": f"Bearer {token}"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def transcript(server: LiveServer, code: str, token: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{server.http}/api/rooms/{code}/transcript",
        headers={"authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    entries = [json.loads(line) for line in response.text.splitlines() if line]
    assert [e["seq"] for e in entries] == list(range(1, len(entries) + 1)), "seq not contiguous"
    for before, after in itertools.pairwise(entries):
        assert after["prev"] == before["hash"], f"hash chain broken at seq {after['seq']}"
    return entries


def receipts_in(entries: list[dict[str, Any]], receipts: Iterable[dict[str, Any]]) -> bool:
    """Every ack's receipt names a ballot entry of the transcript by its seq and hash (ballots
    stand under keys that name no one, so a participant is not looked up by id)."""
    return all(
        0 < r["seq"] <= len(entries)
        and entries[r["seq"] - 1]["hash"] == r["hash"]
        and entries[r["seq"] - 1]["type"] == "ballot.cast"
        for r in receipts
    )


def recount(entries: Iterable[dict[str, Any]], poll_id: int, options: int) -> list[int]:
    """An independent count of a `single` poll whose room refuses vote changes: the first
    ballot of each participant counts; copies of an op_id and later ballots do not."""
    first: dict[str, int] = {}
    for entry in entries:
        if entry["type"] == "ballot.cast" and entry["data"].get("poll_id") == poll_id:
            first.setdefault(entry["actor"], entry["data"]["choice"])
    counts = [0] * options
    for choice in first.values():
        counts[choice] += 1
    return counts


def assert_monotonic(client: Client) -> None:
    """Frames' seq never goes backwards (acks excluded: they answer in submit order)."""
    seqs = [f["seq"] for f in client.frames if f["type"] != "ack" and isinstance(f.get("seq"), int)]
    assert seqs == sorted(seqs), f"seq went backwards: {seqs[-30:]}"


async def converge(
    servers: Iterable[LiveServer], code: str, token: str, within: float = 15.0
) -> list[dict[str, Any]]:
    """Wait until every process shows the same snapshot at the store's head; return them."""
    servers = list(servers)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        snaps = [
            await asyncio.to_thread(snapshot, server, code, token) for server in servers
        ]
        head = len(await asyncio.to_thread(transcript, servers[0], code, token))
        if all(s["seq"] == head for s in snaps) and all(s == snaps[0] for s in snaps):
            return snaps
        if loop.time() > deadline:
            raise AssertionError(
                f"processes did not converge on seq {head}: {[s['seq'] for s in snaps]}"
            )
        await asyncio.sleep(0.1)
