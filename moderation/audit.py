"""The audit trail: one entry per moderator action, kept in room state for the moderator view
and the evaluation report. Frozen: history does not change."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["REJECT_REASONS", "AuditEntry"]

# The fixed reasons a moderator may give when rejecting a question or an open answer, or
# banning a person; the public ledger counts rejections by these.
REJECT_REASONS = ("off_topic", "duplicate", "abusive", "spam", "personal", "other")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: int
    actor: str
    action: str  # the event's wire type
    target: str | None  # "poll:7", "question:12", "participant:p-abc", "moderator:m4"
    before: Any = None  # JSON-native; set for edits (text, labels, settings, definitions)
    after: Any = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AuditEntry:
        return cls(**d)
