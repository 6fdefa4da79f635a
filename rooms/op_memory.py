"""What a room remembers of op_ids, so a retried op gets the answer its first copy got.

An op_id is permanent in the transcript: the store keeps at most one entry per
(room, actor, op_id). Memory is not permanent, or a room's state would grow with every op
ever sent (about 300 bytes each; the soak measured it). So the state keeps:

- the results of the most recent `window` successful ops, in seq order: a retry after a
  reconnect, the common case, is answered with the original result without a store read;
- every refusal at apply (an op decided on a view that was stale by the time it applied: a
  lost race). These are rare, and the store alone could not tell a retry that its op failed;
- how many results it has forgotten. While that is zero, an op_id it does not know is new;
  after that, the server asks the store before it refuses an unknown op_id.

All of it is a function of the log, so replay rebuilds exactly what the live room had.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RECENT_OPS", "OpKey", "OpMemory"]

RECENT_OPS = 10_000
"""Results remembered per room: a few MB at most, and minutes of a busy meeting."""

OpKey = tuple[str, str]  # (actor, op_id)


@dataclass(slots=True)
class OpMemory:
    window: int = RECENT_OPS
    results: dict[OpKey, tuple[int, dict[str, Any]]] = field(default_factory=dict)
    # Keys of `results` oldest first: a deque pops its head in O(1), where deleting a dict's
    # first key over and over is not (CPython scans past the holes it leaves).
    order: deque[OpKey] = field(default_factory=deque)
    refusals: dict[OpKey, tuple[int, str]] = field(default_factory=dict)
    forgotten: int = 0

    def result(self, key: OpKey) -> tuple[int, dict[str, Any]] | None:
        return self.results.get(key)

    def refusal(self, key: OpKey) -> tuple[int, str] | None:
        return self.refusals.get(key)

    def remember(self, key: OpKey, seq: int, result: dict[str, Any]) -> None:
        self.results[key] = (seq, result)
        self.order.append(key)
        self.trim()

    def remember_refusal(self, key: OpKey, seq: int, code: str) -> None:
        self.refusals[key] = (seq, code)

    def resize(self, window: int) -> None:
        """Keep at most `window` results from now on (the server's tuning, at load)."""
        if window < 1:
            raise ValueError("the op window must hold at least one op")
        self.window = window
        self.trim()

    def trim(self) -> None:
        while len(self.order) > self.window:
            del self.results[self.order.popleft()]
            self.forgotten += 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "results": [
                [actor, op_id, seq, dict(result)]
                for (actor, op_id), (seq, result) in self.results.items()
            ],
            "refusals": [
                [actor, op_id, seq, code] for (actor, op_id), (seq, code) in self.refusals.items()
            ],
            "forgotten": self.forgotten,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OpMemory:
        memory = cls(forgotten=d["forgotten"])
        for actor, op_id, seq, result in d["results"]:
            memory.remember((actor, op_id), seq, dict(result))
        for actor, op_id, seq, code in d["refusals"]:
            memory.refusals[(actor, op_id)] = (seq, code)
        return memory
