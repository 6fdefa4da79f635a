"""Whether a verified token may still see its room: banned and revoked people may not."""

from __future__ import annotations

from typing import TYPE_CHECKING

from moderation.roles import Role
from rooms import CommandError
from rooms.standing import refusal

if TYPE_CHECKING:
    from server.live.room_host import RoomHost

__all__ = ["refusal", "settled_refusal"]


async def settled_refusal(host: RoomHost, participant_id: str, role: Role) -> CommandError | None:
    """`refusal`, but never from a stale view: with several processes, this one may not yet
    have applied a join or a new moderator committed elsewhere a moment ago, so a refusal is
    only final after catching up with the store."""
    refused = refusal(host.state, participant_id, role)
    if refused is not None and host.deps.shared:
        await host.refresh()
        refused = refusal(host.state, participant_id, role)
    return refused
