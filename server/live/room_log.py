"""A live room's log, sans I/O: what to decide, what to append, how to apply, whom to answer.

No store, no socket, no event loop, no clock: the room host (server/live/room_host.py)
does the awaiting and hands this class what happened. Ops are decided against the live
state and queued with an opaque `waiter` (the host's future); the host appends a batch and
gives back the committed entries, which are applied strictly in `seq` order whatever
process wrote them; `settle` then says what each queued op's answer is. An op already
answered (the same actor and op_id) is answered from memory; a copy of an op in flight
shares the first copy's waiter. Unit-tested in milliseconds (tests/server/live/test_room_log.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, Generic, TypeVar

from moderation.filters import TextFilters
from rooms import (
    Applied,
    Change,
    CommandError,
    Context,
    Event,
    Record,
    RoomState,
    apply,
    decide,
    event_from_dict,
    event_to_dict,
)
from rooms.events import EVENT_TYPES
from server.live.stats import Stats
from server.store.base import Committed, Entry

__all__ = ["Key", "Outcome", "Pending", "RoomLog"]

W = TypeVar("W")
Key = tuple[str, str]  # (actor, op_id)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the submitter of an op learns: an ack (result, receipt) or an error."""

    seq: int
    result: dict[str, Any]
    error: CommandError | None = None
    duplicate: bool = False
    receipt: str | None = None

    def frame(self, op_id: str) -> dict[str, Any]:
        if self.error is not None:
            return {"type": "error", "op_id": op_id, **self.error.to_dict()}
        frame: dict[str, Any] = {"type": "ack", "op_id": op_id, "seq": self.seq, **self.result}
        if self.duplicate:
            frame["duplicate"] = True
        if self.receipt is not None:
            # `code` is what the phone shows and /r/{code}/check takes: seq and the first 16
            # hex digits of the entry's hash (docs/TRANSCRIPT.md, "Receipts").
            short = f"{self.seq}:{self.receipt[:16]}"
            frame["receipt"] = {"seq": self.seq, "hash": self.receipt, "code": short}
        return frame


@dataclass(slots=True)
class Pending(Generic[W]):
    entry: Entry
    waiter: W
    key: Key
    received: float  # the host's clock at intake, for the ack latency histogram
    event: Event | None = None  # as decided: applied as is once committed (`keep_local`)


def _flat(cls: type[Event]) -> bool:
    """Does `cls` come back from the store equal to itself, whatever its values? Scalars and
    tuples of them do (tests/rooms/test_events.py); a mapping's keys may not (an int key
    comes back a string), so such events are always rebuilt from the stored entry."""
    return not any(word in str(f.type) for f in fields(cls) for word in ("dict", "Mapping", "Any"))


_FLAT: dict[type[Event], bool] = {cls: _flat(cls) for cls in EVENT_TYPES.values()}


class Gap(Exception):
    """An entry past the next seq: the entries before it must be applied first."""

    def __init__(self, needed: int) -> None:
        super().__init__(f"entries up to seq {needed} are missing")
        self.needed = needed


class RoomLog(Generic[W]):
    def __init__(self, state: RoomState, stats: Stats, recent_ops: int) -> None:
        self.state = state
        self.stats = stats
        state.ops.resize(recent_ops)
        self.last_hash: str | None = None  # of the entry applied last (None before any)
        self.inbox: list[Pending[W]] = []  # decided, waiting to be appended
        self.inflight: dict[Key, W] = {}  # queued or being appended: a copy shares its waiter
        self.results: dict[int, tuple[Applied, str]] = {}  # our ops applied, by seq, unsettled
        self.changes: list[Change] = []  # since the last tick
        # Our own entries just committed, by seq: (hash, key, the event as decided). Applying
        # one needs neither unsealing its private record nor rebuilding its event.
        self.local: dict[int, tuple[str, Key, Event]] = {}

    # -- intake ---------------------------------------------------------------------------

    def answered(self, key: Key) -> Outcome | None:
        """The answer this room already gave `key`, if it still remembers it."""
        recalled = self.state.ops.result(key)
        if recalled is not None:
            self.stats.acked += 1
            self.stats.acked_duplicate += 1
            return Outcome(recalled[0], dict(recalled[1]), duplicate=True)
        refused = self.state.ops.refusal(key)
        if refused is not None:
            self.stats.refuse(refused[1])
            return Outcome(refused[0], {}, CommandError(refused[1]), duplicate=True)
        return None

    def decide(self, op: str, fields: dict[str, Any], ctx: Context, filters: TextFilters) -> Event:
        """The event `op` would append now; raises CommandError, changing nothing."""
        return decide(self.state, op, fields, ctx, filters)

    def queue(self, event: Event, ctx: Context, waiter: W, received: float) -> None:
        wire = event_to_dict(event)
        entry = Entry(ctx.at, ctx.actor, ctx.op_id, wire["type"], wire["data"])
        key = (ctx.actor, ctx.op_id)
        self.inbox.append(Pending(entry, waiter, key, received, event))
        self.inflight[key] = waiter

    def take(self, limit: int) -> list[Pending[W]]:
        """The oldest `limit` queued ops, to append as one batch."""
        batch, self.inbox = self.inbox[:limit], self.inbox[limit:]
        return batch

    # -- applying -------------------------------------------------------------------------

    def apply(self, entry: Committed) -> Applied | None:
        """Apply `entry` if it is the next seq; None if it was applied already. Raises Gap
        when entries before it are missing (the host reads them from the store first)."""
        if entry.seq <= self.state.seq:
            return None
        if entry.seq > self.state.seq + 1:
            raise Gap(entry.seq - 1)
        local = self.local.pop(entry.seq, None)
        if local is not None and local[0] == entry.hash:
            (actor, op_id), event = local[1], local[2]
        else:
            actor, op_id, data = entry.opened()  # the private record put back (privacy.py)
            event = event_from_dict({"type": entry.type, "data": data})
        applied = apply(self.state, Record(entry.seq, entry.at, actor, op_id, event))
        self.last_hash = entry.hash
        if (actor, op_id) in self.inflight:
            self.results[entry.seq] = (applied, entry.hash)
        if applied.changes:
            self.changes.extend(applied.changes)
        return applied

    def keep_local(self, batch: Sequence[Pending[W]], committed: Sequence[Committed]) -> None:
        """`batch` was just committed as `committed` (one each): its events, as decided, are
        what applying those entries would rebuild, so `apply` takes them as they are."""
        for pending, entry in zip(batch, committed, strict=True):
            event = pending.event
            if event is not None and not entry.earlier and _FLAT[type(event)]:
                self.local[entry.seq] = (entry.hash, pending.key, event)

    # -- answering ------------------------------------------------------------------------

    def settle(
        self, batch: Sequence[Pending[W]], committed: Sequence[Committed]
    ) -> list[tuple[Pending[W], Outcome]]:
        """Once `committed` (the store's answer to `batch`, one each) is applied: each op's
        outcome. An op the store found already in the transcript gets its first answer."""
        settled = []
        for pending, entry in zip(batch, committed, strict=True):
            self.inflight.pop(pending.key, None)
            ours = self.results.pop(entry.seq, None)
            if ours is not None and not entry.earlier:
                outcome = _outcome(*ours)
                if outcome.error is not None:
                    self.stats.refuse(outcome.error.code)
                else:
                    self.stats.acked += 1
                    self.stats.acked_duplicate += outcome.duplicate
            else:
                outcome = self.first_answer(entry)  # counts itself
            settled.append((pending, outcome))
        # Anything left was recorded for another process's copy of one of our in-flight ops
        # (the same op_id sent through two processes); its own copy answered from this batch.
        self.results.clear()
        self.local.clear()
        return settled

    def fail(
        self, batch: Sequence[Pending[W]], error: CommandError
    ) -> list[tuple[Pending[W], Outcome]]:
        refused = self.stats.refused
        refused[error.code] = refused.get(error.code, 0) + len(batch)
        for pending in batch:
            self.inflight.pop(pending.key, None)
        return [(pending, Outcome(self.state.seq, {}, error)) for pending in batch]

    def first_answer(self, first: Committed) -> Outcome:
        """The answer to a retry of the op the transcript holds as `first` (now applied)."""
        actor, op_id, _ = first.opened()
        answered = self.answered((actor, op_id))
        if answered is not None:
            return replace(answered, receipt=None if answered.error else first.hash)
        # Too old to remember its result, and not refused: it took effect at first.seq.
        self.stats.acked += 1
        self.stats.acked_duplicate += 1
        return Outcome(first.seq, {}, duplicate=True, receipt=first.hash)


def _outcome(applied: Applied, receipt: str) -> Outcome:
    return Outcome(
        applied.seq,
        applied.result,
        applied.error,
        applied.duplicate,
        None if applied.error is not None else receipt,
    )
