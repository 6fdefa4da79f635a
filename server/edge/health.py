"""`/healthz` (liveness: this process serves) and `/readyz` (readiness: send it traffic).

`/healthz` is the public contract of ../shared/API.md and stays cheap: `200 {"status": "ok"}`,
or `503` with a reason while shutting down or when the store or broker is down.

`/readyz` asks more, and answers which check failed:

    200 {"status": "ready", "checks": {"serving": "ok", "store": "ok", "broker": "ok",
                                       "disk": "ok", "chain": "ok"}}
    503 {"status": "unready", "reason": "disk: ...", "checks": {..., "disk": "..."}}

- `serving`: not shutting down;
- `store`: a real write commits and reads back (`Store.probe`);
- `broker`: the broker answers (Redis: its pings);
- `disk`: at least `TOWNHALL_MIN_FREE_DISK_MB` free where the SQLite file lives (a full disk
  fails commits, and with WAL a probe can still pass until the log must grow);
- `chain`: no break found in any hosted room's chain tail (`server/live/chain_check.py`).

The endpoint is public, so an answer is reused for a second and concurrent requests share
one round of checks: a flood of `/readyz` cannot become a flood of commits.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from server.config import Settings
from server.edge.runtime import runtime_of
from server.live.hub import Hub
from server.store import sqlite_path

__all__ = ["CHECK_TIMEOUT", "REUSE_FOR", "Readiness", "disk_dir", "healthz"]

CHECK_TIMEOUT = 3.0  # seconds one check may take before it counts as failed
REUSE_FOR = 1.0  # seconds an answer is served again without checking
OK = "ok"


async def healthz(request: Request) -> Response:
    hub = runtime_of(request).hub
    problems = []
    if not await hub.store.healthy():
        problems.append("store unavailable")
    if not await hub.broker.healthy():
        problems.append("broker unavailable")
    if hub.stopping:
        problems.append("shutting down")
    if problems:
        return JSONResponse(
            {"status": "unavailable", "reason": "; ".join(problems)}, status_code=503
        )
    return JSONResponse({"status": "ok"})


def disk_dir(settings: Settings) -> Path | None:
    """Where the store's file lives, or None when the store is not a local file."""
    if not settings.store_url.startswith("sqlite:"):
        return None
    path = sqlite_path(settings.store_url)
    return None if path == ":memory:" else Path(path).resolve().parent


class Readiness:
    def __init__(self, settings: Settings, hub: Hub) -> None:
        self.settings = settings
        self.hub = hub
        self.disk = disk_dir(settings)
        self._lock = asyncio.Lock()
        self._answer: tuple[float, dict[str, str]] | None = None

    async def endpoint(self, request: Request) -> Response:
        checks = await self.checks()
        failed = {name: why for name, why in checks.items() if why != OK}
        if failed:
            reason = "; ".join(f"{name}: {why}" for name, why in failed.items())
            body = {"status": "unready", "reason": reason, "checks": checks}
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ready", "checks": checks})

    async def checks(self) -> dict[str, str]:
        async with self._lock:
            now = time.monotonic()
            if self._answer is not None and now - self._answer[0] < REUSE_FOR:
                return self._answer[1]
            store, broker = await asyncio.gather(_bounded(self._store()), _bounded(self._broker()))
            checks = {
                "serving": "shutting down" if self.hub.stopping else OK,
                "store": store,
                "broker": broker,
                "disk": self._disk(),
                "chain": self._chain(),
            }
            self._answer = (time.monotonic(), checks)
            return checks

    async def _store(self) -> str:
        try:
            await self.hub.store.probe()
        except Exception as exc:
            return f"cannot commit a write ({exc})"[:300]
        return OK

    async def _broker(self) -> str:
        return OK if await self.hub.broker.healthy() else "not answering"

    def _disk(self) -> str:
        if self.disk is None:
            return OK  # nothing of ours on a local disk (PostgreSQL holds the transcript)
        try:
            free_mb = shutil.disk_usage(self.disk).free // (1024 * 1024)
        except OSError as exc:
            return f"cannot read free space ({exc.strerror})"
        minimum = self.settings.min_free_disk_mb
        if free_mb < minimum:
            return f"{free_mb} MB free where the store lives, below {minimum} MB"
        return OK

    def _chain(self) -> str:
        breaks = sorted(self.hub.chain.breaks.values(), key=lambda b: b.room)
        if not breaks:
            return OK
        shown = "; ".join(b.describe() for b in breaks[:5])
        more = f" (and {len(breaks) - 5} more rooms)" if len(breaks) > 5 else ""
        return f"broken: {shown}{more}"


async def _bounded(check: Awaitable[str]) -> str:
    try:
        return await asyncio.wait_for(check, CHECK_TIMEOUT)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT:g} s"
