"""Acks that hand out a credential: adding a co-moderator returns their invite token."""

from __future__ import annotations

from typing import Any

from moderation.roles import Role
from server.tokens import Claims, issue

__all__ = ["with_credentials"]


def with_credentials(op: str, frame: dict[str, Any], room: str, secret: bytes) -> dict[str, Any]:
    """Add the co-moderator token to a `moderator.add` ack (and to its duplicate answers)."""
    if op == "moderator.add" and frame.get("type") == "ack" and "moderator_id" in frame:
        token = issue(secret, Claims(room, str(frame["moderator_id"]), Role.MODERATOR, 0))
        return {**frame, "token": token, "url": f"/r/{room}/moderate?token={token}"}
    return frame
