"""The cyclic garbage collector, kept off the hot path of a live server.

A live room holds millions of long-lived objects (sockets, participants, ballots). CPython's
full collection walks all of them: 0.4-0.5 s with the loop held, at 5,000 sockets and
1,000 votes/s, every few seconds (docs/PERFORMANCE.md). Almost none of it is garbage: what
a server frees is freed by reference counting the moment it is dropped.

So: whatever has survived a while is moved to the permanent generation (`gc.freeze()`, a
list splice, no walk), and the young generations collect with a higher first threshold
(fewer, still short, collections). Cycles among frozen objects are only found by the
occasional full collection `full_every_s` apart, so memory held by frozen garbage stays
bounded by what one interval can make.

That is only safe while the live path makes no cyclic garbage, and it makes none: joining,
connecting, voting, asking, moderating, the fan-out, slow readers, reconnecting and every
abuse `make bench` tries free everything by reference counting (`loop_stall_ms.gc.*.freed`
in its output, 0 in the window). Two cycles that did form, one per upgraded socket and one
per tick, are broken where they form (server/edge/connection_guard.py,
server/live/thread_fanout.py) and tested there. With Redis, redis-py leaves a few dozen
objects of garbage each time it opens a connection (docs/PERFORMANCE.md, ninth round).

Survivors are frozen every second, not every ten: a gen1 collection (one in twenty gen0
ones, every few seconds under load) walks every survivor since the last freeze. Ten seconds
of them, at 3,000 votes/s, was a pause of 160-200 ms with the loop held, three to five times
in make bench's `burst`; freezing every second, no gen1 collection ran at all in the same
runs (docs/PERFORMANCE.md, seventh round).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time

__all__ = ["GcTender"]

log = logging.getLogger("townhall.gc")

# Young objects per gen0 collection (CPython's default is 700); gen1 and gen2 as usual: a gen2
# collection walks only what arrived since the last freeze. The first is more than a second
# of votes adds at the rate the server can take, so under load the freeze comes first and a
# gen0 collection hardly ever runs: with 20,000, one ran every 150 ms in `burst`, walked the
# 20-60k objects of the ops in flight each time (14 ms on average, up to 40) and freed
# nothing: 9 % of the loop's time (docs/PERFORMANCE.md, ninth round).
THRESHOLDS = (100_000, 20, 10)


class GcTender:
    """Freezes the survivors every `freeze_every_s`; a full collection every `full_every_s`."""

    def __init__(self, freeze_every_s: float = 1.0, full_every_s: float = 1800.0) -> None:
        self.freeze_every_s = freeze_every_s
        self.full_every_s = full_every_s
        self._saved: tuple[int, int, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self.full_collections = 0

    def start(self) -> None:
        """After loading: collect once, freeze what is left, raise the thresholds."""
        gc.collect()
        gc.freeze()
        self._saved = gc.get_threshold()
        gc.set_threshold(*THRESHOLDS)
        self._task = asyncio.get_running_loop().create_task(self._tend_forever())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None
        gc.unfreeze()

    async def _tend_forever(self) -> None:
        last_full = time.monotonic()
        while True:
            await asyncio.sleep(self.freeze_every_s)
            if time.monotonic() - last_full >= self.full_every_s:
                self.collect_all()
                last_full = time.monotonic()
            # No collection first: it would walk everything since the last freeze (tens of
            # ms). Young cyclic garbage frozen with the rest waits for the full collection.
            gc.freeze()

    def collect_all(self) -> None:
        """Everything, frozen objects included: the one long pause, `full_every_s` apart."""
        began = time.perf_counter()
        gc.unfreeze()
        found = gc.collect()
        gc.freeze()
        self.full_collections += 1
        log.info(
            "full garbage collection: %d objects freed in %.0f ms",
            found,
            1000 * (time.perf_counter() - began),
        )
