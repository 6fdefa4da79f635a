"""Shared helpers for the broker tests: a recording subscriber and the Redis gate.

There is no pytest-asyncio here: each test drives its own loop with `asyncio.run`, which
also checks that a broker's stop() leaves no task or connection behind (warnings are
errors in this test run).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
import redis

REDIS_URL = os.environ.get("TOWNHALL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def require_redis(url: str = REDIS_URL) -> None:
    """Skip without Redis, except in CI (CI=true), where a missing Redis is a failure."""
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        reason = f"no Redis at {url}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    finally:
        client.close()


def room_name() -> str:
    """Unique per call, so concurrent and repeated runs on one Redis never collide."""
    return f"test-{uuid.uuid4().hex[:12]}"


class Inbox:
    """The callbacks of one broker, recorded, with a way to wait for them."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.reconnects = 0
        self._changed = asyncio.Event()

    async def on_message(self, room: str, payload: bytes) -> None:
        self.messages.append((room, payload))
        self._changed.set()

    async def on_reconnect(self) -> None:
        self.reconnects += 1
        self._changed.set()

    def payloads(self, room: str) -> list[bytes]:
        return [p for r, p in self.messages if r == room]

    async def wait_for(self, condition: Callable[[], bool], within: float = 5.0) -> None:
        async with asyncio.timeout(within):
            while not condition():
                self._changed.clear()
                await self._changed.wait()


async def eventually(
    condition: Callable[[], Awaitable[bool]], within: float, step: float = 0.05
) -> float:
    """Poll for states no callback announces (healthy() flipping); returns seconds taken."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(within):
        while True:
            if await condition():
                return loop.time() - began
            await asyncio.sleep(step)


class RedisServer:
    """A throwaway redis-server process on a fixed port, so it can come back on it."""

    def __init__(self, directory: Path, *, cluster: bool = False) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("CI", "").lower() == "true":
                pytest.fail("redis-server is not installed")
            pytest.skip("redis-server is not installed")
        self.binary, self.directory = binary, directory
        self.port = _free_port(bus=cluster)
        self.cluster = cluster
        scheme = "redis+cluster" if cluster else "redis"
        self.url = f"{scheme}://127.0.0.1:{self.port}" + ("" if cluster else "/0")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--daemonize", "no", "--dir", str(self.directory)]
        if self.cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        self.process = subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
            try:
                if client.ping() and (not self.cluster or self._cluster_ready(client)):
                    return
            except redis.RedisError:  # refused, or the cluster still forming
                if time.monotonic() > deadline:
                    self.kill()
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    @staticmethod
    def _cluster_ready(client: redis.Redis) -> bool:
        # A one-node cluster: this node owns every slot (a restart keeps nodes.conf).
        with contextlib.suppress(redis.ResponseError):
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)  # type: ignore[no-untyped-call]
        info = client.execute_command("CLUSTER", "INFO")  # type: ignore[no-untyped-call]
        return b"cluster_state:ok" in info

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stopped process cannot die
            self.process.kill()
            self.process.wait(timeout=10)

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)


def _free_port(*, bus: bool) -> int:
    """A free port; with `bus`, port + 10000 free as well (the cluster bus port), which
    rules out the kernel's ephemeral range: those ports + 10000 overflow."""
    for _ in range(100):
        port = random.randrange(20_000, 30_000)
        try:
            for candidate in (port, port + 10_000) if bus else (port,):
                with socket.socket() as probe:
                    probe.bind(("127.0.0.1", candidate))
        except OSError:
            continue
        return port
    raise RuntimeError("no free port found")
