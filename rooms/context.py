"""Who acts, when, and under which client operation id: everything impure, passed in."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.roles import Role

__all__ = ["Context"]


@dataclass(frozen=True, slots=True)
class Context:
    """The facts the server knows about a command that the core must never look up itself.

    `at` is milliseconds since the epoch, read by the server's clock; `actor` is the
    participant id from the verified token; `op_id` is the client's idempotency key.
    """

    actor: str
    role: Role
    at: int
    op_id: str
