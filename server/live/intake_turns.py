"""How many client frames the lean intake hands on per turn of the event loop, all sockets
together.

Each socket already hands on one message per turn (server/live/lean.py). That bounds a turn
by the number of readable sockets, not by time: when 4,000 phones all send at once, one
turn handled 4,000 and more frames (each decoded, checked, decided or refused: ~90 us)
before the group commit's answer, the acks or the next slice of a tick could run. The
intake starved the commit it fed: in `make bench`'s `burst`, 667 of 20,000 offered votes a
second were acked and the loop stalled for more than a second at a time.

Past `per_turn` frames, a socket waits in line (first come, first served) with its reading
paused, and the line moves on at the next turn, after whatever else the loop had to do.
Its frames stay in the kernel meanwhile (TCP backpressure), costing nothing.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable

__all__ = ["FRAMES_PER_TURN", "IntakeTurns", "turns_of"]

# About 10-20 ms of frames on this project's reference machine: a tick's write slice is
# 500 sockets (~5 ms), so acks, commits and the fan-out each get a look in every turn.
FRAMES_PER_TURN = 200


class IntakeTurns:
    def __init__(self, loop: asyncio.AbstractEventLoop, per_turn: int = FRAMES_PER_TURN) -> None:
        self.loop = loop
        self.per_turn = per_turn
        self.left = per_turn
        self.line: deque[Callable[[], None]] = deque()  # sockets waiting: their handler
        self._refill_due = False

    def take(self) -> bool:
        """May one more frame be handled in this turn? (Counts it if so.)"""
        if self.left <= 0:
            return False
        if self.left == self.per_turn:
            self._schedule()  # the first frame since the last refill: refill next turn
        self.left -= 1
        return True

    def wait(self, handler: Callable[[], None]) -> None:
        """`handler` runs in a later turn, in the order sockets started waiting."""
        self.line.append(handler)
        self._schedule()

    def wait_all(self, handlers: list[Callable[[], None]]) -> None:
        """Each of `handlers` runs in a later turn, in order, behind those already waiting
        (a room's held sockets let go at once: server/live/intake_gate.py)."""
        self.line.extend(handlers)
        self._schedule()

    def _schedule(self) -> None:
        if not self._refill_due:
            self._refill_due = True
            self.loop.call_soon(self._turn)

    def _turn(self) -> None:
        self._refill_due = False
        self.left = self.per_turn
        line = self.line
        # Each socket that was waiting gets its turn, until this turn's frames are spent;
        # one that still has frames after its turn queues again at the back.
        for _ in range(len(line)):
            if self.left <= 0:
                break
            line.popleft()()
        if line:
            self._schedule()


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, IntakeTurns] = (
    weakref.WeakKeyDictionary()
)


_last: list[IntakeTurns] = []  # the one looked up last: a server has one loop


def turns_of(loop: asyncio.AbstractEventLoop) -> IntakeTurns:
    """The one budget of `loop` (every lean socket on a loop shares it)."""
    if _last and _last[0].loop is loop:
        return _last[0]
    turns = _TURNS.get(loop)
    if turns is None:
        turns = _TURNS[loop] = IntakeTurns(loop)
    _last[:] = [turns]
    return turns
