"""The server under test, plus a probe of its event loop: `python -m loadtests.probe serve ...`.

Exactly `python -m server.tools.cli` (same arguments, same uvicorn setup), with the app
wrapped in one outer ASGI layer that the harness talks to over HTTP on loopback:

- `GET /__probe/limits` answers the limits as this process's environment set them;
- `GET /__probe/start` begins a window: stall samples cleared, and with `BENCH_PROFILE=<dir>`
  set, a `cProfile` of the event-loop thread started;
- `GET /__probe/stop?name=<window>` ends it and answers its stall figures as JSON (and
  writes `<dir>/<window>.prof`).

The stall is measured from inside the loop: a task sleeps 10 ms and notes how late it woke.
Anything that holds the loop (decoding a frame, a tick's writes) shows up as lateness; it is
the wait every other socket's next frame had at that moment. `busy_*` counts only the part
of each lateness the loop's thread spent on the CPU, telling work that holds the loop from
waiting for one of the machine's shared cores. The wrapper passes `send`
through untouched, so the fan-out's fast path (server/live/asgi.py) is kept. It lives here,
not in server/, because only the harness needs it: a profile slows the server several times,
so figures from a profiled run are for finding where time goes, not for the tables.
"""

from __future__ import annotations

import asyncio
import cProfile
import dataclasses
import gc
import json
import os
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from server.config import load_settings

__all__ = ["LoopProbe", "main"]

PERIOD_S = 0.010
SLICE_S = 5  # the worst stall per slice of a window, to see when in a phase it came
PREFIX = "/__probe/"
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _ms(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


class StallStacks:
    """With `BENCH_STALL_STACKS=1`: a thread that looks at the loop's stack whenever the loop
    has not turned for `STALL_S`, and counts where it was (the innermost frames of this
    project, one sample every `EVERY_S` of a stall). What a profile cannot tell: which call
    holds the loop during the worst stalls."""

    STALL_S = 0.05
    EVERY_S = 0.005

    def __init__(self) -> None:
        self.beat = time.perf_counter()
        self.loop_thread = threading.get_ident()
        self.seen: Counter[str] = Counter()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="stall-stacks")
        self._thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(self.EVERY_S)
            if time.perf_counter() - self.beat < self.STALL_S:
                continue
            frame = sys._current_frames().get(self.loop_thread)
            where: list[str] = []
            while frame is not None and len(where) < 6:  # innermost first, no source lines
                code = frame.f_code
                if "/site-packages/" not in code.co_filename:
                    where.append(f"{Path(code.co_filename).name}:{frame.f_lineno}:{code.co_name}")
                frame = frame.f_back
            self.seen[" < ".join(where)] += 1

    def take(self) -> list[tuple[str, float]]:
        seen, self.seen = self.seen, Counter()
        return [(stack, round(1000 * n * self.EVERY_S)) for stack, n in seen.most_common(8)]


class LoopProbe:
    """The outermost ASGI layer: a stall sampler started with the lifespan, two routes."""

    def __init__(self, app: ASGIApp, profile_dir: str = "") -> None:
        self.app = app
        self.profile_dir = profile_dir
        self.lags: list[tuple[float, float, float]] = []  # (at, late by, of which on the CPU)
        self.started = time.perf_counter()
        self.sampler: asyncio.Task[None] | None = None
        self.profile: cProfile.Profile | None = None
        # Garbage collections in the window: (generation, seconds, CPU seconds, objects freed),
        # timed by gc.callbacks.
        self.collections: list[tuple[int, float, float, int]] = []
        self._gc_began = (0.0, 0.0)
        gc.callbacks.append(self._on_gc)
        self.stacks: StallStacks | None = None

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_began = (time.perf_counter(), time.thread_time())
        else:
            wall, cpu = self._gc_began
            self.collections.append(
                (
                    info["generation"],
                    time.perf_counter() - wall,
                    time.thread_time() - cpu,
                    info["collected"],
                )
            )

    def _gc_figures(self) -> dict[str, Any]:
        """Per generation: collections, their time (wall, and on this thread's CPU), and the
        cyclic garbage they freed (the live path should make none: server/live/gc_tuning.py)."""
        collections, self.collections = self.collections, []
        figures: dict[str, Any] = {}
        for generation in (0, 1, 2):
            walls = [w for g, w, _, _ in collections if g == generation]
            cpus = [c for g, _, c, _ in collections if g == generation]
            figures[f"gen{generation}"] = {
                "count": len(walls),
                "total_ms": round(1000 * sum(walls), 1),
                "max_ms": round(1000 * max(walls, default=0.0), 1),
                "cpu_max_ms": round(1000 * max(cpus, default=0.0), 1),
                "freed": sum(n for g, _, _, n in collections if g == generation),
            }
        return figures

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan" and self.sampler is None:
            self.sampler = asyncio.get_running_loop().create_task(self._sample())
            if os.environ.get("BENCH_STALL_STACKS"):
                self.stacks = StallStacks()
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self._answer(scope, send)
            return
        await self.app(scope, receive, send)

    async def _sample(self) -> None:
        while True:
            began, cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(PERIOD_S)
            if self.stacks is not None:
                self.stacks.beat = time.perf_counter()
            lag = max(0.0, time.perf_counter() - began - PERIOD_S)
            # Of that lateness, what the loop's own thread spent on the CPU: work holding the
            # loop. The rest is waiting for a core (the machine is shared) or a GIL holder.
            self.lags.append((began, lag, min(lag, time.thread_time() - cpu)))

    def start(self) -> dict[str, Any]:
        self.lags = []
        self.collections = []
        if self.stacks is not None:
            self.stacks.take()
        self.started = time.perf_counter()
        if self.profile_dir:
            self.profile = cProfile.Profile()
            self.profile.enable()
        return {"started": True, "profiling": bool(self.profile_dir)}

    def stop(self, name: str) -> dict[str, Any]:
        lags, self.lags = self.lags, []
        if self.profile is not None:
            self.profile.disable()
            self.profile.dump_stats(str(Path(self.profile_dir) / f"{name}.prof"))
            self.profile = None
        walls, held = [lag for _, lag, _ in lags], [busy for _, _, busy in lags]
        slices: dict[int, list[float]] = {}
        for at, lag, busy in lags:
            worst = slices.setdefault(int((at - self.started) / SLICE_S), [0.0, 0.0])
            worst[0], worst[1] = max(worst[0], lag), max(worst[1], busy)
        return {
            "samples": len(lags),
            "p50": _ms(walls, 0.5),
            "p99": _ms(walls, 0.99),
            "max": _ms(walls, 1.0),
            "over_50ms": sum(1 for lag in walls if lag > 0.05),
            "busy_p99": _ms(held, 0.99),
            "busy_max": _ms(held, 1.0),
            f"max_per_{SLICE_S}s": [round(1000 * slices[k][0], 1) for k in sorted(slices)],
            f"busy_max_per_{SLICE_S}s": [round(1000 * slices[k][1], 1) for k in sorted(slices)],
            "gc": self._gc_figures(),
            **({"stall_stacks_ms": self.stacks.take()} if self.stacks is not None else {}),
        }

    async def _answer(self, scope: Scope, send: Send) -> None:
        action = scope["path"][len(PREFIX) :]
        query = dict(
            part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part
        )
        name = query.get("name", "window")
        if action == "limits":  # what this process's environment made of the limits
            body, status = dataclasses.asdict(load_settings().limits), 200
        elif action == "start":
            body, status = self.start(), 200
        elif action == "stop" and _NAME.fullmatch(name):
            body, status = self.stop(name), 200
        else:
            body, status = {"error": "unknown probe action"}, 404
        payload = json.dumps(body).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def main(argv: list[str] | None = None) -> int:
    import server.app
    from server.tools import cli

    original = server.app.create_app
    profile_dir = os.environ.get("BENCH_PROFILE", "")
    if profile_dir:
        Path(profile_dir).mkdir(parents=True, exist_ok=True)

    def create_app(settings: Any = None) -> ASGIApp:
        return LoopProbe(original(settings), profile_dir)

    # cli.serve imports create_app from server.app when it runs: this is the one it gets.
    setattr(server.app, "create_app", create_app)  # noqa: B010 (mypy: a module's function)
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
