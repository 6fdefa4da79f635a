"""Whether a verified token's holder is still welcome in its room: the one standing check.

The signature on a token proves who issued it, not that the person is still welcome: bans,
moderator revocations and re-issued links live in the room's log, so every entry point asks
here. The check itself is the core's (`rooms.standing`), the same one the reducer makes for
every op, plus the link generation a token carries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rooms.standing import token_refusal
from server.edge.tokens import Claims

if TYPE_CHECKING:
    from server.live.room_host import RoomHost

__all__ = ["check_standing"]


async def check_standing(host: RoomHost, claims: Claims) -> None:
    """Raise the refusal, but never from a stale view: with several processes, this one may
    not yet have applied a join or a new moderator committed elsewhere a moment ago, so a
    refusal is only final after catching up with the store."""
    refused = token_refusal(host.state, claims.participant_id, claims.role, claims.generation)
    if refused is not None and host.deps.shared:
        await host.refresh()
        refused = token_refusal(host.state, claims.participant_id, claims.role, claims.generation)
    if refused is not None:
        raise refused
