"""Reactions counted in memory per short window, written to the log as one entry per window.

A tap is not worth an entry of its own: one person with 100 sockets stored 863 reactions/s
(0.9 GB/h) in a log that is never pruned. The server counts taps here per emoji and per
person, and every `SPAN_MS` appends one `reactions.counted {window_start, counts}` entry
(op `reactions.count`, by the server's own actor). Pure: time is the taps' own `at`.

Each person counts at most `PER_PERSON` taps per window (4 a second); more are answered but
not counted, so mashing the button changes nothing and costs nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["PER_PERSON", "SPAN_MS", "ReactionWindow"]

SPAN_MS = 500
PER_PERSON = 2


@dataclass(slots=True)
class ReactionWindow:
    span_ms: int = SPAN_MS
    per_person: int = PER_PERSON
    start: int | None = None  # the first counted tap's time, floored to the span
    counts: Counter[str] = field(default_factory=Counter)
    by_person: Counter[str] = field(default_factory=Counter)

    def add(self, actor: str, emoji: str, at: int) -> bool:
        """Count one tap; False (not counted) past the person's share of this window."""
        if self.by_person[actor] >= self.per_person:
            return False
        if self.start is None:
            self.start = at - at % self.span_ms
        self.by_person[actor] += 1
        self.counts[emoji] += 1
        return True

    def take(self) -> tuple[int, dict[str, int]] | None:
        """The window's `(window_start, counts)`, and a fresh window; None when empty."""
        if self.start is None:
            return None
        taken = (self.start, dict(self.counts))
        self.start = None
        self.counts.clear()
        self.by_person.clear()
        return taken
