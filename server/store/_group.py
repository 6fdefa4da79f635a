"""Group commit: appends that arrive while a transaction is in flight share the next one.

There is no timer. The first append of an idle store commits at once (lowest latency); under
load, everything that queued during one commit becomes the next commit, so the number of
transactions per second is bounded by the disk's fsync rate while appends per second grow
with concurrency.

Sharing a transaction must never mean sharing a failure. If the database refuses a batch
for something in it (a value out of range, text it cannot encode), the batch is committed
again in halves, and so on, until the request at fault fails alone with EntryRefused and
every other request is committed: about 2·log2(n) extra transactions for one bad request
among n. Only when the store itself is unavailable (StoreUnavailable: connection lost, no
answer, disk full) does the whole batch fail, since halves would fail the same way.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ._prepare import Prepared
from .base import Committed, EntryRefused, StoreUnavailable

__all__ = ["Batch", "GroupCommitter"]

log = logging.getLogger(__name__)

Batch = Sequence[tuple[str, Sequence[Prepared]]]
"""(room, entries) per caller, in arrival order; the same room may appear several times."""

CommitBatch = Callable[[Batch], Awaitable[list[list[Committed]]]]


@dataclass(slots=True)
class _Request:
    room: str
    items: Sequence[Prepared]
    future: asyncio.Future[list[Committed]]


class GroupCommitter:
    def __init__(self, commit: CommitBatch, *, name: str, max_entries: int = 4096) -> None:
        self._commit = commit
        self._name = name
        # Bounds one transaction's size and latency; a single larger request still goes alone.
        self._max_entries = max_entries
        self._pending: list[_Request] = []
        self._inflight: list[_Request] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.transactions = 0
        """Batches committed: fewer than appends whenever group commit did its job."""
        self.failures = 0

    def start(self) -> None:
        # Fresh per start: an Event binds to the loop it first waits on, and a store may be
        # closed and opened again under another loop (tests, CLI commands).
        self._wake = asyncio.Event()
        self._closing = False
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._closing

    async def submit(self, room: str, items: Sequence[Prepared]) -> list[Committed]:
        if not self.running:
            raise StoreUnavailable("store is not open")
        future: asyncio.Future[list[Committed]] = asyncio.get_running_loop().create_future()
        self._pending.append(_Request(room, items, future))
        self._wake.set()
        # If the caller is cancelled its entries may still commit; they are in the log and
        # readers will see them. Cancelling cannot un-write a transaction already sent.
        return await future

    async def stop(self) -> None:
        """Commit everything already submitted, then stop."""
        if self._task is None:
            return
        self._closing = True
        self._wake.set()
        task, self._task = self._task, None
        await task

    def _take(self) -> list[_Request]:
        cut = count = 0
        while cut < len(self._pending):
            size = len(self._pending[cut].items)
            if cut and count + size > self._max_entries:
                break
            count += size
            cut += 1
        batch, self._pending = self._pending[:cut], self._pending[cut:]
        return batch

    async def _run(self) -> None:
        try:
            while True:
                if not self._pending:
                    if self._closing:
                        return
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                self._inflight = self._take()
                await self._commit_isolating(self._inflight)
                self._inflight = []
        finally:
            # Cancelled or crashed: nobody will commit what is left, so say so rather than let
            # the callers wait forever.
            _fail(self._inflight + self._pending, StoreUnavailable("store writer stopped"))
            self._inflight, self._pending = [], []


    async def _commit_isolating(self, requests: Sequence[_Request]) -> None:
        """Commit `requests` in one transaction; if the database refuses it, in halves."""
        try:
            results = await self._commit([(r.room, r.items) for r in requests])
        except Exception as exc:
            if _unavailable(exc) or len(requests) == 1:
                self.failures += 1
                # An outage matters to operators; a refused entry is its caller's to report.
                level = logging.WARNING if _unavailable(exc) else logging.INFO
                log.log(level, "%s: append of %d failed: %s", self._name, len(requests), exc)
                _fail(requests, exc)
                return
            # In order: a room's entries keep their arrival order across the halves.
            half = len(requests) // 2
            await self._commit_isolating(requests[:half])
            await self._commit_isolating(requests[half:])
            return
        self.transactions += 1
        for request, committed in zip(requests, results, strict=True):
            if not request.future.done():
                request.future.set_result(committed)


def _unavailable(exc: BaseException) -> bool:
    """The store, not the data: a smaller batch would fail just the same."""
    return isinstance(exc, StoreUnavailable) and not isinstance(exc, EntryRefused)


def _fail(requests: Sequence[_Request], cause: BaseException) -> None:
    for request in requests:
        if not request.future.done():
            message = str(cause) or type(cause).__name__
            error = StoreUnavailable(message) if _unavailable(cause) else EntryRefused(message)
            error.__cause__ = cause
            request.future.set_exception(error)
