"""Recent view frames per role, so a reconnecting client gets exactly what it missed."""

from __future__ import annotations

from collections import deque
from typing import Any

from server.live.codec import Encoding, encode, wire_frame

__all__ = ["ResumeRing", "TickFrames"]


class TickFrames:
    """One tick's frames for one role, kept only as what goes on the wire, in each encoding.

    Built at the tick, when the frames are encoded for its sockets anyway. The ring holds
    hundreds of ticks for each view of every room, and nothing reads a tick's frames again
    but to encode them: kept as objects beside their JSON, they were most of `many_rooms`'
    growth (docs/PERFORMANCE.md, eleventh round).
    """

    __slots__ = ("_blobs", "nbytes", "seq")

    def __init__(self, seq: int, frames: list[dict[str, Any]]) -> None:
        self.seq = seq
        self._blobs: dict[Encoding, bytes] = {
            encoding: b"".join(wire_frame(encode(frame, encoding), encoding) for frame in frames)
            for encoding in Encoding
        }
        self.nbytes = sum(len(blob) for blob in self._blobs.values())  # every encoding counted

    def blob(self, encoding: Encoding) -> bytes:
        return self._blobs[encoding]


class ResumeRing:
    """The last `size` ticks that had frames for a role, within `max_bytes` of them.

    `base` is the newest seq a client may already have seen and still be served from the ring:
    every change after it is in the ring. Older positions get a fresh snapshot instead.
    """

    __slots__ = ("_bytes", "_replays", "_ticks", "base", "max_bytes", "size")

    def __init__(self, base: int, size: int, max_bytes: int) -> None:
        self.base = base
        self.size = size
        self.max_bytes = max_bytes
        self._ticks: deque[TickFrames] = deque()
        self._bytes = 0  # what the ticks in the ring hold
        # What `replay` built since the last append, by (since, encoding): phones that lost
        # the network together come back with the same `since` (a reconnect storm).
        self._replays: dict[tuple[int, Encoding], bytes] = {}

    def append(self, tick: TickFrames) -> None:
        ticks = self._ticks
        ticks.append(tick)
        self._bytes += tick.nbytes
        self._replays.clear()
        # A tick larger than the whole bound stays, alone: a phone one tick behind is served.
        while len(ticks) > self.size or (len(ticks) > 1 and self._bytes > self.max_bytes):
            oldest = ticks.popleft()
            self._bytes -= oldest.nbytes
            self.base = oldest.seq

    @property
    def held_bytes(self) -> int:
        return self._bytes

    @property
    def head(self) -> int:
        """The seq of the newest tick in the ring (its base when empty)."""
        return self._ticks[-1].seq if self._ticks else self.base

    def can_serve(self, since: int) -> bool:
        return since >= self.base

    def since(self, since: int) -> list[TickFrames]:
        """The ticks after `since`, oldest first (read from the newest end: a resume
        usually misses a few ticks of a ring that holds hundreds)."""
        missed: list[TickFrames] = []
        for tick in reversed(self._ticks):
            if tick.seq <= since:
                break
            missed.append(tick)
        missed.reverse()
        return missed

    def replay(self, since: int, encoding: Encoding) -> bytes:
        """Every tick after `since`, framed, as one write: one system call per resuming
        socket rather than one per missed tick (a storm of 10,000 resumes missing 78 ticks
        each made 757,000 writes). Built once per position until the next tick."""
        key = (since, encoding)
        blob = self._replays.get(key)
        if blob is None:
            blob = self._replays[key] = b"".join(t.blob(encoding) for t in self.since(since))
        return blob
