"""Whether an actor still stands in a room: the one check `decide`, `apply` and the edge share.

A token's signature proves who issued it, not that its holder is still welcome: bans and
moderator revocations live in the room's log, so standing is read from the room's state.
"""

from __future__ import annotations

from moderation.roles import STAFF, Op, Role
from rooms.errors import CommandError
from rooms.state import RoomState

__all__ = ["SYSTEM", "link_generation", "refusal", "token_refusal"]

# The server's own actor, e.g. for closing timed polls (sent with role ORGANISER).
SYSTEM = "system"


# Which shared link each role's token is (its generation is checked); co-moderators hold
# links of their own, revoked one by one.
_LINK_OF_ROLE = {Role.ORGANISER: "organiser", Role.SCREEN: "screen", Role.EMBED: "embed"}


def link_generation(state: RoomState, role: Role) -> int:
    """The generation a token of `role` must carry (0 for roles without a shared link)."""
    link = _LINK_OF_ROLE.get(role)
    return state.link_generations.get(link, 0) if link is not None else 0


def token_refusal(state: RoomState, actor: str, role: Role, generation: int) -> CommandError | None:
    """`refusal`, for a token: also refused when its link was re-issued since it was made."""
    if generation != link_generation(state, role):
        return CommandError("auth.revoked")
    return refusal(state, actor, role)


def refusal(state: RoomState, actor: str, role: Role, op: Op | None = None) -> CommandError | None:
    """None when `actor`, holding `role`, may act in the room; otherwise the error that says why.

    With `op`, for sending that op (`decide`) or for its event to take effect (`apply`, which
    passes the op's own least role): a newcomer op needs no known actor, and a `system` op
    may come from the server's own actor. Screen and embed are read-only and always stand.
    """
    if actor == SYSTEM and op is not None and op.system:
        return None  # the server's own actor: timed polls, counted reactions
    if role is Role.ATTENDEE:
        person = state.participants.get(actor)
        if person is None:
            if op is not None and op.newcomer:
                return None
            return CommandError("participant.not_found")
        return CommandError("auth.banned") if person.barred else None
    if role is Role.INTERPRETER:  # as `apply` re-checks an interpreter op, staff too stand
        stands = state.is_interpreter(actor) or state.is_moderator(actor)
        return None if stands else CommandError("auth.forbidden")
    if role not in STAFF or (op is not None and op.newcomer):
        return None
    # A moderator token stands unless revoked (the organiser is a moderator too).
    stands = actor == state.organiser if role is Role.ORGANISER else state.is_moderator(actor)
    return None if stands else CommandError("auth.forbidden")
