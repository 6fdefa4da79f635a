"""Standing: who may still act in a room, for decide, apply and the edge alike."""

from __future__ import annotations

from moderation.roles import OPS, Role
from rooms.standing import SYSTEM, refusal
from tests.rooms.harness import ORG, Room


def code(room: Room, actor: str, role: Role, op: str | None = None) -> str | None:
    refused = refusal(room.state, actor, role, OPS[op] if op is not None else None)
    return refused.code if refused is not None else None


def test_attendees_stand_once_joined_and_until_banned() -> None:
    room = Room()
    assert code(room, "alice", Role.ATTENDEE) == "participant.not_found"
    assert code(room, "alice", Role.ATTENDEE, "vote") == "participant.not_found"
    assert code(room, "alice", Role.ATTENDEE, "participant.join") is None  # a newcomer op
    room.join("alice")
    assert code(room, "alice", Role.ATTENDEE) is None
    room.do(ORG, "participant.ban", participant_id="alice", reason="abusive")
    assert code(room, "alice", Role.ATTENDEE) == "auth.banned"
    assert code(room, "alice", Role.ATTENDEE, "participant.join") == "auth.banned"


def test_staff_stand_while_organiser_or_unrevoked_moderator() -> None:
    room = Room()
    mod = room.do(ORG, "moderator.add", name="Mo")["moderator_id"]
    assert code(room, ORG, Role.ORGANISER) is None
    assert code(room, ORG, Role.MODERATOR) is None  # the organiser is a moderator too
    assert code(room, mod, Role.MODERATOR, "poll.create") is None
    assert code(room, mod, Role.ORGANISER) == "auth.forbidden"
    assert code(room, "m99", Role.MODERATOR) == "auth.forbidden"
    room.do(ORG, "moderator.revoke", moderator_id=mod)
    assert code(room, mod, Role.MODERATOR) == "auth.forbidden"


def test_the_organiser_creating_a_room_is_a_newcomer() -> None:
    room = Room(create=False)
    assert code(room, ORG, Role.ORGANISER) == "auth.forbidden"
    assert code(room, ORG, Role.ORGANISER, "room.create") is None


def test_the_system_actor_may_close_polls_and_nothing_else() -> None:
    room = Room()
    assert code(room, SYSTEM, Role.ORGANISER, "poll.close") is None
    assert code(room, SYSTEM, Role.MODERATOR, "poll.close") is None  # as apply checks it
    assert code(room, SYSTEM, Role.ORGANISER, "poll.open") == "auth.forbidden"
    assert code(room, SYSTEM, Role.ORGANISER) == "auth.forbidden"


def test_read_only_roles_always_stand() -> None:
    room = Room()
    assert code(room, "screen1", Role.SCREEN) is None
    assert code(room, "embed1", Role.EMBED) is None
