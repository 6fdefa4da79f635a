from __future__ import annotations

from moderation.audit import REJECT_REASONS, AuditEntry


def test_round_trip() -> None:
    entry = AuditEntry(
        seq=3,
        at=5,
        actor="m2",
        action="question.approved",
        target="question:2",
        before="a",
        after="b",
        reason=None,
    )
    assert AuditEntry.from_dict(entry.to_dict()) == entry
    assert "other" in REJECT_REASONS
