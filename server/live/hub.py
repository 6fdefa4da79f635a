"""All live rooms of this process, the tick that renders them, and the links to store and broker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import msgpack

from moderation.filters import TextFilters
from moderation.roles import Role
from rooms import SYSTEM, Context, new_room, to_snapshot
from server.broker.base import Broker
from server.config import Settings
from server.live import retention
from server.live.audience import VIEWS, Delivery
from server.live.chain_check import ChainWatch, Seen
from server.live.connection import CLOSE_RESTART
from server.live.outbox import RawOutbox
from server.live.room_host import HostDeps, Outcome, RoomHost
from server.live.snapshots import Loaded, SnapshotDamaged, pack_fields, unpack_snapshot
from server.live.stats import Stats
from server.live.thread_fanout import ThreadFanout
from server.store.base import Committed, Store, StoreUnavailable

__all__ = ["Hub", "now_ms"]

log = logging.getLogger("townhall.hub")

# Loop turns for the last answers to reach their sockets once the writers have stopped: an
# op's answer travels through a few done-callbacks after its commit (a reaction's: the
# window's, then the op's own).
_ANSWER_TURNS = 10

T = TypeVar("T")

# Sockets written in one go before the tick lets the loop's other work run (about 5 ms).
WRITE_SLICE = 500


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def pack_entries(entries: Sequence[Committed]) -> bytes:
    # The private records travel too: every process folds the room as it really happened
    # (docs/TRANSCRIPT.md); the broker is inside the deployment, like the store.
    return msgpack.packb(  # type: ignore[no-any-return]
        [
            [
                e.seq,
                e.at,
                e.actor,
                e.op_id,
                e.type,
                dict(e.data),
                e.prev,
                e.hash,
                None if e.private is None else dict(e.private),
            ]
            for e in entries
        ],
        use_bin_type=True,
    )


def unpack_entries(room: str, payload: bytes) -> list[Committed]:
    rows = msgpack.unpackb(payload, raw=False)
    return [Committed(room, *row) for row in rows]


class Hub:
    def __init__(
        self, settings: Settings, store: Store, broker: Broker, filters: TextFilters
    ) -> None:
        self.settings = settings
        self.store = store
        self.broker = broker
        self.filters = filters
        self.rooms: dict[str, RoomHost] = {}
        self._loading: dict[str, asyncio.Task[RoomHost | None]] = {}
        self._dirty: set[RoomHost] = set()
        self._outgoing: dict[str, list[Committed]] = {}
        self._flushing = False
        self._tasks: list[asyncio.Task[None]] = []
        self.tick_ms = float(settings.tick_min_ms)
        self.frames_sent = 0
        self.stats = Stats()
        self.stopping = False
        self._failing: set[tuple[str, str]] = set()  # (room, duty) already logged as failing
        self._warned_snapshots: set[tuple[str, int | None]] = set()
        self.chain = ChainWatch(settings.chain_check_entries)
        # The tick's shared frames from a worker thread, the GIL released; None: the loop.
        self.fanout = (
            ThreadFanout.start(settings.fanout_worker_from)
            if settings.fanout_writer == "thread"
            else None
        )

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        await self.store.open()
        await self.broker.start(self._on_message, self._on_reconnect)
        since = now_ms() - self.settings.active_days * 86_400_000
        codes = await self.store.rooms(active_since=since)
        for code in codes:
            try:
                await self.room(code)
            except StoreUnavailable:
                raise
            except Exception:  # its log does not replay (a damaged entry): the others start
                log.exception("room %s: cannot be loaded; the other rooms start", code)
        # Rooms that failed to load are checked too: a damaged entry is the likeliest reason.
        await self.chain.sweep(self.store, self._seen(codes))
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._tick_forever()),
            loop.create_task(self._timers_forever()),
            loop.create_task(self._position_checks_forever()),
            loop.create_task(self._unload_idle_forever()),
            loop.create_task(self._chain_checks_forever()),
            loop.create_task(self._retention_forever()),
        ]
        log.info("hub started: %d rooms rebuilt", len(self.rooms))

    async def stop(self) -> None:
        """Graceful: commit and answer every op already received, then a last tick, 1012 to
        every socket (reconnect elsewhere), and snapshots. Sockets close only after the
        answers have been handed to them: closing as soon as the writers stop would commit an
        op received just before the stop and never acknowledge it."""
        self.stopping = True  # /readyz says "shutting down" from here on
        for host in list(self.rooms.values()):
            await host.stop()
        for _ in range(_ANSWER_TURNS):
            await asyncio.sleep(0)
        for host in self.rooms.values():
            self._guarded(host, "render", self._deliver_now, host)
            host.close_sockets(CLOSE_RESTART, "server restarting: reconnect")
        await self._flush()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.fanout is not None:
            self.fanout.stop()
        for host in list(self.rooms.values()):
            await self._save_snapshot(host)
        await self.broker.stop()
        await self.store.close()

    # -- rooms ----------------------------------------------------------------------------

    async def room(self, code: str) -> RoomHost | None:
        """The hosted room, loading it from the store on first use; None if it does not exist."""
        host = self.rooms.get(code)
        if host is not None:
            # A lookup is activity: whoever asked is about to use the room, so it must not be
            # unloaded under them (unloading needs `room_unload_after_s` of quiet).
            host.last_active = time.monotonic()
            return host
        task = self._loading.get(code)
        if task is None:
            task = self._loading[code] = asyncio.get_running_loop().create_task(self._load(code))
        try:
            return await asyncio.shield(task)
        finally:
            self._loading.pop(code, None)

    async def _load(self, code: str) -> RoomHost | None:
        host, damaged = await self._from_snapshot(code)
        if host is None:
            host = RoomHost(code, new_room(), self._deps())
            try:
                await host.catch_up()
            except BaseException:
                await host.stop()
                raise
            if damaged:
                self._schedule_snapshot(host)  # a fresh one: replay once, not on every load
        if host.state.seq == 0:
            await host.stop()
            return None
        self.rooms[code] = host
        await self.broker.subscribe(code)
        await host.catch_up()  # anything committed while we subscribed
        return host

    async def _from_snapshot(self, code: str) -> tuple[RoomHost | None, bool]:
        """The room from its snapshot and the log after it; or None, and whether a snapshot
        was there but damaged. A snapshot is only a cache: whatever is wrong with it (the row,
        its bytes, its state, its fit with the log) costs a replay and one warning, never the
        room. Only the store being down stops a load, as it would without any snapshot."""
        try:
            found = await self.store.load_snapshot(code)
        except ValueError as exc:  # the row holds other types than a snapshot's
            return None, await self._damaged(code, None, str(exc))
        except Exception as exc:  # the store cannot read it: nothing to replace it with now
            self._snapshot_unusable(code, None, f"unreadable ({exc})")
            return None, False
        if found is None:
            return None, False
        seq, data = found
        host: RoomHost | None = None
        try:
            loaded = unpack_snapshot(code, seq, data)
            await self._check_against_log(code, loaded)
            host = RoomHost(code, loaded.state, self._deps())
            host.last_hash = loaded.head_hash
            await host.catch_up()
            return host, False
        except StoreUnavailable:
            if host is not None:
                await host.stop()
            raise
        except Exception as exc:
            if host is not None:
                await host.stop()
            damage = exc if isinstance(exc, SnapshotDamaged) else f"{type(exc).__name__}: {exc}"
            return None, await self._damaged(code, seq, str(damage))

    async def _damaged(self, code: str, seq: int | None, reason: str) -> bool:
        self._snapshot_unusable(code, seq, reason)
        with contextlib.suppress(Exception):  # best effort: the warning says it all
            await self.store.discard_snapshot(code)
        return True

    async def _check_against_log(self, code: str, loaded: Loaded) -> None:
        seq = loaded.state.seq
        at = await self.store.read(code, after=seq - 1, limit=1)
        if not at or at[0].seq != seq:
            raise SnapshotDamaged(f"ahead of the log (no entry at seq {seq})")
        if loaded.head_hash is not None and at[0].hash != loaded.head_hash:
            raise SnapshotDamaged(f"not of this log (another hash at seq {seq})")

    def _snapshot_unusable(self, code: str, seq: int | None, reason: str) -> None:
        if (code, seq) in self._warned_snapshots:
            return
        self._warned_snapshots.add((code, seq))
        at = "" if seq is None else f" at seq {seq}"
        log.warning(
            "room %s: snapshot%s ignored, rebuilding from the log: %s", code, at, reason[:200]
        )

    async def create_room(self, code: str, fields: dict[str, Any], organiser: str) -> Outcome:
        if code in self.rooms or await self.store.head(code) > 0:
            raise FileExistsError(code)
        host = RoomHost(code, new_room(), self._deps())
        self.rooms[code] = host
        outcome = await host.submit(
            "room.create",
            {**fields, "code": code},
            Context(organiser, Role.ORGANISER, now_ms(), f"create-{code}"),
        )
        if outcome.error is not None:
            del self.rooms[code]
            await host.stop()
            return outcome
        await self.broker.subscribe(code)
        return outcome

    def _deps(self) -> HostDeps:
        return HostDeps(
            store=self.store,
            limits=self.settings.limits,
            filters=self.filters,
            publish=self._publish,
            mark_dirty=self._mark_dirty,
            snapshot_every=self.settings.snapshot_every,
            save_snapshot=self._schedule_snapshot,
            stats=self.stats,
            shared=not self.settings.broker_url.startswith("memory:"),
        )

    def _mark_dirty(self, host: RoomHost) -> None:
        self._dirty.add(host)  # not a bound `add`: the tick swaps the set for a fresh one

    def _schedule_snapshot(self, host: RoomHost) -> None:
        asyncio.get_running_loop().create_task(self._save_snapshot(host))

    async def _save_snapshot(self, host: RoomHost) -> None:
        if host.state.seq == 0:
            return
        try:
            # The copy is taken here, consistent with `seq`; encoding and hashing it (tens
            # of ms for a big room) run in a thread, off the loop.
            seq, fields, head_hash = host.state.seq, to_snapshot(host.state), host.last_hash
            data = await asyncio.to_thread(pack_fields, fields, head_hash)
            await self.store.save_snapshot(host.code, seq, data)
        except Exception:
            log.exception("room %s: snapshot failed (the log still has everything)", host.code)

    # -- broker ---------------------------------------------------------------------------

    def _publish(self, code: str, committed: Sequence[Committed]) -> None:
        """Queue for the broker. Everything queued while the previous round trip was in
        flight goes in the next one, as one message per room: under load the batches grow
        with the rate, the round trips per second do not."""
        if not self.broker.others_listen(code):
            # Nobody else hosts the room: packing the entries only for this process to unpack
            # them and find them applied cost ~4 % of the loop at 2,000 votes/s (issue 18).
            return
        queued = self._outgoing.get(code)
        if queued is None:
            self._outgoing[code] = list(committed)
        else:
            queued.extend(committed)  # commits of one room arrive in seq order
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())

    async def _flush(self) -> None:
        try:
            await asyncio.sleep(0)
            while self._outgoing:
                rooms, self._outgoing = self._outgoing, {}
                batch = [(code, pack_entries(entries)) for code, entries in rooms.items()]
                self.stats.publishes += 1
                self.stats.published += len(batch)
                await self.broker.publish(batch)
        except Exception:
            log.exception("publish failed; subscribers will backfill from the store")
        finally:
            self._flushing = False

    async def _on_message(self, room: str, payload: bytes) -> None:
        host = self.rooms.get(room)
        if host is None:
            return
        try:
            await host.advance(unpack_entries(room, payload))
        except Exception:
            log.exception("room %s: could not apply a broker message; catching up from store", room)
            await host.catch_up()

    async def _on_reconnect(self) -> None:
        for host in list(self.rooms.values()):
            await host.catch_up()

    async def _position_checks_forever(self) -> None:
        """Pub/sub can drop messages silently; compare with the store now and then."""
        while True:
            await asyncio.sleep(2.0)
            for host in list(self.rooms.values()):
                try:
                    if await self.store.head(host.code) > host.state.seq:
                        await host.catch_up()
                except Exception:
                    log.warning("position check failed for room %s", host.code, exc_info=True)

    async def _chain_checks_forever(self) -> None:
        """The chain's tail of every hosted room, now and then (see server/live/chain_check)."""
        while True:
            await asyncio.sleep(max(0.1, self.settings.chain_check_interval_s))
            try:
                await self.chain.sweep(self.store, self._seen())
            except Exception:
                log.exception("chain check failed; the next sweep tries again")

    async def _retention_forever(self) -> None:
        """Purge closed rooms past TOWNHALL_RETENTION_DAYS, hourly (server/live/retention.py)."""
        while self.settings.retention_days > 0:
            try:
                await retention.sweep(
                    self.store, self.settings.retention_days, now_ms(), self._release
                )
            except Exception:
                log.exception("retention sweep failed; the next one tries again")
            await asyncio.sleep(3600)

    async def _release(self, code: str) -> None:
        host = self.rooms.get(code)
        if host is not None:
            await self.unload(host)
            await self.store.discard_snapshot(code)

    def _seen(self, codes: Sequence[str] = ()) -> list[tuple[str, Seen]]:
        """Each hosted room (and each of `codes`) with (seq, hash) of the entry it last
        applied, when this process knows it."""
        seen: dict[str, Seen] = dict.fromkeys(codes)
        for code, host in self.rooms.items():
            seen[code] = None if host.last_hash is None else (host.state.seq, host.last_hash)
        return list(seen.items())

    # -- the tick -------------------------------------------------------------------------

    async def _tick_forever(self) -> None:
        """Render dirty rooms, then sleep: longer when rendering got expensive (adaptive)."""
        low, high = self.settings.tick_min_ms, self.settings.tick_max_ms
        due = time.monotonic()
        while True:
            # Ticks keep their period: the next one is due a period after the last was due,
            # not after it finished (a 60 ms render would otherwise stretch 100 ms to 160).
            due = max(due + self.tick_ms / 1000, time.monotonic())
            await asyncio.sleep(due - time.monotonic())
            started = time.perf_counter()
            now = time.monotonic()
            dirty, self._dirty = self._dirty, set()
            rendered: list[tuple[RoomHost, Delivery | None]] = [
                (host, self._guarded(host, "render", host.render, now)) for host in dirty
            ]
            rendered += [
                (host, self._guarded(host, "render", host.render, now))
                for host in list(self.rooms.values())
                if host.laggers and host not in dirty
            ]
            spent = time.perf_counter() - started
            spent += await self._deliver([(h, d) for h, d in rendered if d is not None])
            self.stats.tick.observe(spent)
            spent_ms = spent * 1000
            # Keep a tick's cost (render, writes, and the worker's sends where it writes)
            # under about a quarter of one core, within the 50-200 ms band.
            self.tick_ms = min(high, max(low, spent_ms * 4))

    async def _deliver(self, deliveries: list[tuple[RoomHost, Delivery]]) -> float:
        """Write the tick, `WRITE_SLICE` sockets at a time, letting the loop run in between:
        acks and incoming frames wait for one slice (a few ms), not for the whole tick.
        Returns the seconds the loop spent writing."""
        if self.fanout is not None:
            return await self._deliver_by_worker(self.fanout, deliveries)
        spent = 0.0
        budget = WRITE_SLICE
        for host, delivery in deliveries:
            while True:
                began = time.perf_counter()
                step = self._guarded(host, "render", delivery.write, budget)
                spent += time.perf_counter() - began
                if step is None:
                    break
                done, written = step
                self.frames_sent += written
                budget -= written
                if budget <= 0 or not done:
                    await asyncio.sleep(0)
                    budget = WRITE_SLICE
                if done:
                    break
        return spent

    async def _deliver_by_worker(
        self, fanout: ThreadFanout, deliveries: list[tuple[RoomHost, Delivery]]
    ) -> float:
        """The same writes, the shared frames sent by the worker thread, a frame's sockets
        at a time: the loop only picks them, and runs on while the sends are out. Returns
        the seconds the loop spent and the worker's sending took: the tick's cost, either
        core's."""
        spent = -fanout.busy_s
        for host, delivery in deliveries:
            while True:
                began = time.perf_counter()
                step = self._guarded(host, "render", delivery.next_shared)
                spent += time.perf_counter() - began
                if step is None:
                    break
                frame, conns = step
                self.frames_sent += await fanout.send(frame, conns, delivery.pick)
        return spent + fanout.busy_s

    def _deliver_now(self, host: RoomHost) -> None:
        """The last tick of a stopping room, all at once."""
        host.render(time.monotonic()).write(2**62)

    async def _timers_forever(self) -> None:
        """Turn poll close times into poll.close commands (idempotent across processes)."""
        while True:
            await asyncio.sleep(0.25)
            at = now_ms()
            for host in list(self.rooms.values()):
                self._guarded(host, "timers", self._close_due_polls, host, at)

    @staticmethod
    def _close_due_polls(host: RoomHost, at: int) -> None:
        for poll_id, closes_at in host.state.open_polls_closing():
            if closes_at <= at:
                # The deadline is in the op_id: a poll reopened with a new deadline must
                # close again, not be answered "already done".
                op_id = f"timer-close-{poll_id}-{closes_at}"
                ctx = Context(SYSTEM, Role.ORGANISER, at, op_id)
                host.submit("poll.close", {"poll_id": poll_id}, ctx)

    def _guarded(self, host: RoomHost, duty: str, work: Callable[..., T], *args: Any) -> T | None:
        """One room's failure in a shared loop stays that room's: logged once with its code
        (with the traceback), counted, and every other room carries on."""
        try:
            result = work(*args)
        except Exception:
            key = (host.code, duty)
            self.stats.refuse(f"internal.{duty}")
            if key not in self._failing:
                self._failing.add(key)
                log.exception("room %s: %s failed; other rooms carry on", host.code, duty)
            return None
        self._failing.discard((host.code, duty))
        return result

    # -- unloading ------------------------------------------------------------------------

    async def _unload_idle_forever(self) -> None:
        """Rooms nobody watches are unloaded, so a long-running server does not keep every
        meeting it ever hosted in memory; the next visit loads the room again."""
        idle_s = self.settings.limits.room_unload_after_s
        while True:
            await asyncio.sleep(min(30.0, max(idle_s / 4, 0.1)))
            now = time.monotonic()
            for host in list(self.rooms.values()):
                if host.unloadable(now, idle_s):
                    try:
                        await self.unload(host)
                    except Exception:
                        log.warning("room %s: unloading failed", host.code, exc_info=True)

    async def unload(self, host: RoomHost) -> None:
        if self.rooms.get(host.code) is not host:
            return
        del self.rooms[host.code]
        self._dirty.discard(host)
        await host.stop()  # commits and answers anything that slipped in
        await self._save_snapshot(host)
        await self.broker.unsubscribe(host.code)
        log.info("room %s: unloaded after %.0f s idle", host.code, host.idle_for(time.monotonic()))

    def connection_count(self) -> int:
        return sum(host.connection_count() for host in self.rooms.values())

    def connections_by_writer(self) -> dict[str, int]:
        """Open sockets per write path: `raw` is uvicorn's transport (the fast path), `asgi`
        the fallback queue. A server upgrade that loses the fast path shows up here."""
        counts = {"raw": 0, "asgi": 0}
        for host in self.rooms.values():
            for by_encoding in host.sockets.values():
                for conns in by_encoding.values():
                    for conn in conns:
                        counts["raw" if isinstance(conn.outbox, RawOutbox) else "asgi"] += 1
        return counts

    def connections_by_intake(self) -> dict[str, int]:
        """Open sockets per read path: `lean` is the protocol handing frames to the edge
        (server/live/lean.py), `asgi` the receive loop of any other server."""
        counts = {"lean": 0, "asgi": 0}
        for host in self.rooms.values():
            for by_encoding in host.sockets.values():
                for conns in by_encoding.values():
                    for conn in conns:
                        counts["lean" if conn.lean else "asgi"] += 1
        return counts

    def connections_by_view(self) -> dict[str, int]:
        """Open sockets per view (organisers count as moderators), for /metrics."""
        counts = {view.value: 0 for view in VIEWS}
        for host in self.rooms.values():
            for view, by_encoding in host.sockets.items():
                counts[view.value] += sum(len(conns) for conns in by_encoding.values())
        return counts
