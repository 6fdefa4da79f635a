"""One live room in this process: its state, its writer, and its audience.

Commands are decided against the live state, appended to the store (group commit), and only
then applied, strictly in `seq` order, whether they came from this process or (through the
broker, or a backfill from the store) from another. Acks go out after that apply, so an ack
always means durable. The sockets, their rings and the tick's fan-out are the room's
`Audience` (server/live/audience.py); the hub's tick renders each dirty room.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from moderation.filters import TextFilters
from moderation.roles import Role
from rooms import (
    SYSTEM,
    CommandError,
    Context,
    RoomState,
)
from rooms.events import ReactionSent
from rooms.keyed_hash import KeyedHash
from rooms.privacy import erased_by, seal
from rooms.reaction_windows import ReactionWindow
from server.config import Limits
from server.live.audience import Audience, Delivery
from server.live.connection import Connection
from server.live.intake_gate import IntakeGate
from server.live.intake_turns import turns_of
from server.live.room_log import Outcome, Pending, RoomLog
from server.live.stats import Stats
from server.store.base import Committed, Entry, EntryRefused, Store, StoreUnavailable

__all__ = ["ROLES", "Outcome", "RoomHost"]

log = logging.getLogger("townhall.room")

ROLES = (
    Role.ORGANISER,
    Role.MODERATOR,
    Role.ATTENDEE,
    Role.SCREEN,
    Role.EMBED,
    Role.INTERPRETER,
)
MAX_BATCH = 2000

# Refusals about the op itself, not the room's state: no point re-checking at the store.
# Reaction op_ids answered from memory after their window committed (they are not in the
# log: the window's entry does not list them). Bounded; see docs/PROTOCOL.md "Reactions".
_REACTIONS_REMEMBERED = 10_000
_BALLOT_KEYS_REMEMBERED = 100_000
_SALT_BYTES = 16  # as secrets.token_hex(16): each entry's salt, 32 hex digits
_STATELESS = frozenset({"field.missing", "field.invalid", "frame.invalid", "op.unknown"})


@dataclass(slots=True)
class HostDeps:
    store: Store
    limits: Limits
    filters: TextFilters
    publish: Callable[[str, Sequence[Committed]], None]
    mark_dirty: Callable[[RoomHost], None]
    snapshot_every: int = 20_000
    save_snapshot: Callable[[RoomHost], None] = field(default=lambda host: None)
    stats: Stats = field(default_factory=Stats)
    # True when other processes append to the same rooms (a shared store and broker): a
    # refusal may then come from not having applied their latest entries yet.
    shared: bool = False


_Waiting = Pending[asyncio.Future[Outcome]]  # an op queued in the log, its future the waiter


class RoomHost:
    def __init__(self, code: str, state: RoomState, deps: HostDeps) -> None:
        self.code = code
        self.state = state
        self.deps = deps
        # The store's key, fetched before the first append, with its HMAC set-up done once.
        self.room_key: KeyedHash | None = None
        # Each (participant, scope)'s ballot key under room_key: one HMAC per person and poll.
        self.ballot_keys: dict[tuple[str, str], str] = {}
        self.room_log: RoomLog[asyncio.Future[Outcome]] = RoomLog(
            state, deps.stats, deps.limits.recent_ops
        )
        self.snapshot_seq = state.seq
        self._wake = asyncio.Event()
        self._stopping = False
        self._apply_lock = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None
        self.audience = Audience(state, deps.limits)
        # The audience's own collections (never replaced), for the hub and the edge.
        self.sockets = self.audience.sockets
        self.by_participant = self.audience.by_participant
        self.laggers = self.audience.laggers
        self.rings = self.audience.rings
        self.last_active = time.monotonic()  # an op, a socket coming or going, an entry
        self.reactions = ReactionWindow()
        self._reactors: list[tuple[tuple[str, str], asyncio.Future[Outcome]]] = []
        self._reacted: OrderedDict[tuple[str, str], Outcome] = OrderedDict()
        self._reaction_flush: asyncio.TimerHandle | None = None
        # Attendees' sockets wait, unread, while this many ops wait for the writer.
        self.gate = IntakeGate(deps.limits.intake_hold_ops)
        self._writer = asyncio.get_running_loop().create_task(self._write_forever())

    # -- commands -------------------------------------------------------------------------

    def submit(
        self,
        op: str,
        fields: dict[str, Any],
        ctx: Context,
        filters: TextFilters | None = None,
        *,
        recheck: bool = True,
    ) -> asyncio.Future[Outcome]:
        """Decide now, commit soon; the future resolves once the outcome is durable.

        With several processes, this one may not have applied what another just committed
        (a poll opened, a participant joined there a moment ago). So a refusal that depends
        on the room's state is only final once checked again at the store's head.
        """
        loop = asyncio.get_running_loop()
        self.last_active = time.monotonic()
        if self._stopping:
            return _done(loop, Outcome(self.state.seq, {}, CommandError("server.unavailable")))
        key = (ctx.actor, ctx.op_id)
        room_log = self.room_log
        if ctx.op_id:
            answered = room_log.answered(key)
            if answered is not None:
                return _done(loop, answered)
        inflight = room_log.inflight.get(key)
        if inflight is not None:
            return inflight  # the same op again before its first copy committed: one answer
        if len(room_log.inbox) >= self.deps.limits.max_pending_ops:
            return _done(loop, Outcome(self.state.seq, {}, CommandError("server.busy")))
        try:
            event = room_log.decide(op, fields, ctx, filters or self.deps.filters)
        except CommandError as error:
            if recheck and error.code not in _STATELESS and self._may_be_stale(ctx.op_id):
                return loop.create_task(self._recheck(op, fields, ctx, filters))
            self.deps.stats.refuse(error.code)
            return _done(loop, Outcome(self.state.seq, {}, error))
        if isinstance(event, ReactionSent):
            return self._react(loop, key, event, ctx)
        future: asyncio.Future[Outcome] = loop.create_future()
        room_log.queue(event, ctx, future, time.perf_counter())
        self._wake.set()
        return future

    def holds_intake(self, role: Role, resume: Callable[[], None]) -> bool:
        """Must a socket of `role` wait before its next frame (server/live/intake_gate.py)?
        If so, `resume` is called once, when the writer has taken the next batch."""
        if not self.gate.holds(role, len(self.room_log.inbox)):
            return False
        self.gate.hold(resume)
        self.deps.stats.intake_held += 1
        return True

    def _pending(self) -> int:
        return len(self.room_log.inbox)

    def _release_held(self, resumes: list[Callable[[], None]]) -> None:
        turns_of(asyncio.get_running_loop()).wait_all(resumes)

    # -- reactions: counted per window, one log entry each (rooms/reaction_windows.py) ------

    def _react(
        self,
        loop: asyncio.AbstractEventLoop,
        key: tuple[str, str],
        event: ReactionSent,
        ctx: Context,
    ) -> asyncio.Future[Outcome]:
        """Count a tap in the open window; its ack waits for the window's entry to commit,
        so an acknowledged reaction is in the log like any other acknowledged op."""
        if key in self._reacted:
            return _done(loop, replace(self._reacted[key], duplicate=True))
        if not self.reactions.add(ctx.actor, event.emoji, ctx.at):
            return _done(loop, Outcome(self.state.seq, {"counted": False}))
        future: asyncio.Future[Outcome] = loop.create_future()
        self._reactors.append((key, future))
        if ctx.op_id:
            self.room_log.inflight[key] = future
        if self._reaction_flush is None:
            delay = self.reactions.span_ms / 1000
            self._reaction_flush = loop.call_later(delay, self.flush_reactions)
        return future

    def flush_reactions(self) -> None:
        """Append the open window as one `reactions.counted` entry; answer its taps at commit."""
        self._reaction_flush = None
        taken = self.reactions.take()
        reactors, self._reactors = self._reactors, []
        if taken is None:
            return
        start, counts = taken
        # Random, not derived: two processes may count windows that start at the same ms.
        ctx = Context(SYSTEM, Role.ATTENDEE, start, f"reactions-{start}-{secrets.token_hex(6)}")
        window = self.submit("reactions.count", {"window_start": start, "counts": counts}, ctx)
        window.add_done_callback(lambda done: self._answer_reactors(done.result(), reactors))

    def _answer_reactors(
        self,
        window: Outcome,
        reactors: list[tuple[tuple[str, str], asyncio.Future[Outcome]]],
    ) -> None:
        answer = (
            window
            if window.error
            else Outcome(window.seq, {"counted": True}, None, False, window.receipt)
        )
        for key, future in reactors:
            if self.room_log.inflight.get(key) is future:
                del self.room_log.inflight[key]
            if answer.error is None and key[1]:
                self._reacted[key] = answer
                if len(self._reacted) > _REACTIONS_REMEMBERED:
                    self._reacted.popitem(last=False)
            if not future.done():
                future.set_result(answer)

    def _may_be_stale(self, op_id: str) -> bool:
        """Could a refusal be wrong because this process has not seen everything?

        With other processes appending, the state may lag the store. And once the room has
        forgotten old results, an op_id it does not know may still be in the transcript: a
        retry, long after its first copy, must get that copy's answer, not a refusal.
        """
        return self.deps.shared or (bool(op_id) and self.state.ops.forgotten > 0)

    async def _recheck(
        self, op: str, fields: dict[str, Any], ctx: Context, filters: TextFilters | None
    ) -> Outcome:
        if self.deps.shared:
            try:
                await self.refresh()
            except Exception:
                log.warning("room %s: could not refresh from the store", self.code, exc_info=True)
        known = self.state.recall(ctx.actor, ctx.op_id) is not None
        if ctx.op_id and self.state.ops.forgotten > 0 and not known:
            try:
                first = await self.deps.store.find_op(self.code, ctx.actor, ctx.op_id)
            except StoreUnavailable:
                self.deps.stats.refuse("server.unavailable")
                return Outcome(self.state.seq, {}, CommandError("server.unavailable"))
            if first is not None:
                await self.advance([first])
                return self.room_log.first_answer(first)
        return await self.submit(op, fields, ctx, filters, recheck=False)

    async def refresh(self) -> None:
        """Catch up with the store's head; concurrent callers share one read."""
        task = self._refreshing
        if task is None or task.done():
            task = self._refreshing = asyncio.get_running_loop().create_task(self.catch_up())
        await asyncio.shield(task)

    async def _write_forever(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self.room_log.inbox:
                batch = self.room_log.take(MAX_BATCH)
                self.gate.taken(self._pending, self._release_held)
                try:
                    await self._commit(batch)
                except Exception:  # never let one bad batch kill the room's writer
                    log.exception("room %s: commit failed", self.code)
                    self._fail(batch, CommandError("server.unavailable"))
            if self._stopping:
                return

    async def _commit(self, batch: list[_Waiting]) -> None:
        """Append `batch` and answer every op in it; an entry the store refuses fails alone.

        The store names the refused entry when its own checks found it. When the database
        refused the batch as a whole, the halves are committed apart until the entry at fault
        is alone: no op ever fails for another's sake.
        """
        while batch:
            try:
                await self._commit_once(batch)
                return
            except EntryRefused as refused:
                index = refused.index if len(batch) > 1 else 0
                if index is None or not 0 <= index < len(batch):
                    half = len(batch) // 2
                    await self._commit(batch[:half])
                    batch = batch[half:]
                    continue
                log.warning(
                    "room %s: store refused op %r: %s", self.code, batch[index].key, refused
                )
                self._fail([batch[index]], CommandError("op.unstorable"))
                batch = batch[:index] + batch[index + 1 :]

    async def _commit_once(self, batch: list[_Waiting]) -> None:
        stats = self.deps.stats
        began = time.perf_counter()
        try:
            if self.room_key is None:
                self.room_key = KeyedHash(await self.deps.store.room_key(self.code))
            # One read of the system's randomness for the whole batch: a salt each.
            salts = os.urandom(_SALT_BYTES * len(batch)).hex()
            step = 2 * _SALT_BYTES
            entries = [
                self._sealed(p.entry, salts[i * step : (i + 1) * step]) for i, p in enumerate(batch)
            ]
            committed = await self.deps.store.append(self.code, entries)
        except EntryRefused:
            raise  # not the store's state but an entry's: `_commit` isolates it
        except StoreUnavailable as exc:
            log.warning(
                "room %s: store unavailable, %d ops refused: %s", self.code, len(batch), exc
            )
            self._fail(batch, CommandError("server.unavailable"))
            return
        stats.append_latency.observe(time.perf_counter() - began)
        fresh = [c for c in committed if not c.earlier]
        stats.appended += len(fresh)
        # Sorted: a copy found in the transcript may be older than what we appended, or newer
        # than this process has applied (another process committed it a moment ago).
        self.room_log.keep_local(batch, committed)
        await self.advance(sorted(committed, key=lambda c: c.seq))
        for pending, outcome in self.room_log.settle(batch, committed):
            if not pending.waiter.done():
                pending.waiter.set_result(outcome)
        done = time.perf_counter()
        for pending in batch:
            stats.ack_latency.observe(done - pending.received)
        self.deps.publish(self.code, fresh)

    def _sealed(self, entry: Entry, salt: str) -> Entry:
        """The entry's public form for the chain and its private record (rooms/privacy.py);
        `salt` is fresh randomness for it, hex."""
        assert self.room_key is not None
        wire = {"type": entry.type, "data": entry.data}
        if len(self.ballot_keys) > _BALLOT_KEYS_REMEMBERED:
            self.ballot_keys.clear()
        sealed = seal(
            self.state, entry.actor, entry.op_id, wire, self.room_key, salt, self.ballot_keys
        )
        erases = erased_by(entry.type, entry.actor, entry.data)
        return Entry(
            entry.at, sealed.actor, sealed.op_id, entry.type, sealed.data, sealed.private, erases
        )

    def _fail(self, batch: list[_Waiting], error: CommandError) -> None:
        for pending, outcome in self.room_log.fail(batch, error):
            if not pending.waiter.done():
                pending.waiter.set_result(outcome)

    # -- applying the log -----------------------------------------------------------------

    async def advance(self, committed: Sequence[Committed]) -> None:
        """Apply committed entries in seq order, filling any gap from the store first."""
        async with self._apply_lock:
            for entry in committed:
                if entry.seq <= self.state.seq:
                    continue  # already applied (our own, echoed back, or backfilled)
                if entry.seq > self.state.seq + 1:
                    await self._backfill(entry.seq - 1)
                self._apply_one(entry)

    async def catch_up(self) -> None:
        """Bring the room to the store's head (after a broker outage, or on a position check)."""
        async with self._apply_lock:
            await self._backfill(None)

    async def _backfill(self, upto: int | None) -> None:
        while upto is None or self.state.seq < upto:
            limit = 5000 if upto is None else min(5000, upto - self.state.seq)
            missing = await self.deps.store.read(self.code, after=self.state.seq, limit=limit)
            if not missing:
                if upto is not None:
                    raise RuntimeError(f"room {self.code}: store has no seq {self.state.seq + 1}")
                return
            for entry in missing:
                self._apply_one(entry)

    def _apply_one(self, entry: Committed) -> None:
        self.last_active = time.monotonic()
        applied = self.room_log.apply(entry)
        if applied is not None and applied.changes:
            self.deps.mark_dirty(self)
        if self.state.seq - self.snapshot_seq >= self.deps.snapshot_every:
            self.snapshot_seq = self.state.seq
            self.deps.save_snapshot(self)

    @property
    def last_hash(self) -> str | None:
        """The chain hash of the entry applied last (None before any)."""
        return self.room_log.last_hash

    @last_hash.setter
    def last_hash(self, value: str | None) -> None:
        self.room_log.last_hash = value

    # -- the audience (server/live/audience.py) ------------------------------------------

    def attach(self, conn: Connection, since: int | None) -> None:
        self.last_active = time.monotonic()
        self.audience.attach(conn, since)

    def detach(self, conn: Connection) -> None:
        self.last_active = time.monotonic()
        self.audience.detach(conn)

    def idle_for(self, now: float) -> float:
        return now - self.last_active

    def unloadable(self, now: float, idle_s: float) -> bool:
        """Nobody watching, nothing in flight, no poll timer to run, and quiet for `idle_s`."""
        return (
            self.idle_for(now) >= idle_s
            and not self.room_log.inbox
            and not self.room_log.inflight
            and self.connection_count() == 0
            and not self.state.open_polls_closing()
        )

    def snapshot_frame(self, role: Role, participant_id: str | None) -> dict[str, Any]:
        return self.audience.snapshot_frame(role, participant_id)

    def connection_count(self) -> int:
        return self.audience.connection_count()

    def render(self, now: float) -> Delivery:
        """The tick: frames for everything that changed since the last one, to be written."""
        changes, self.room_log.changes = self.room_log.changes, []
        return self.audience.render(changes, now)

    def close_sockets(self, code: int, reason: str) -> None:
        self.audience.close_sockets(code, reason)

    def close_participant(self, participant_id: str, code: int, reason: str) -> None:
        self.audience.close_participant(participant_id, code, reason)

    async def stop(self) -> None:
        """Commit and answer everything already submitted, then stop the writer."""
        if self._reaction_flush is not None:
            self._reaction_flush.cancel()
        self.flush_reactions()
        self._stopping = True
        self.gate.release(self._release_held)  # each held frame is answered: unavailable
        self._wake.set()
        await self._writer


def _done(loop: asyncio.AbstractEventLoop, outcome: Outcome) -> asyncio.Future[Outcome]:
    future: asyncio.Future[Outcome] = loop.create_future()
    future.set_result(outcome)
    return future
