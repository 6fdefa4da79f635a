"""Whether a verified token's holder is still welcome in its room: the one standing check.

The signature on a token proves who issued it, not that the person is still welcome: bans
and moderator revocations live in the room's log, so every entry point asks here. The check
itself is the core's (`rooms.standing.refusal`), the same one the reducer makes for every op.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from moderation.roles import Role
from rooms.standing import refusal

if TYPE_CHECKING:
    from server.live.room_host import RoomHost

__all__ = ["check_standing", "refusal"]


async def check_standing(host: RoomHost, participant_id: str, role: Role) -> None:
    """Raise `refusal`'s error, but never from a stale view: with several processes, this one
    may not yet have applied a join or a new moderator committed elsewhere a moment ago, so a
    refusal is only final after catching up with the store."""
    refused = refusal(host.state, participant_id, role)
    if refused is not None and host.deps.shared:
        await host.refresh()
        refused = refusal(host.state, participant_id, role)
    if refused is not None:
        raise refused
