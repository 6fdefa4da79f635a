from __future__ import annotations

from moderation.roles import OPS_BY_ROLE, Role, may
from rooms.reducer import DECIDERS


def test_every_role_op_has_a_decider() -> None:
    for ops in OPS_BY_ROLE.values():
        assert ops <= set(DECIDERS)


def test_table() -> None:
    assert may(Role.ATTENDEE, "vote") and not may(Role.ATTENDEE, "poll.open")
    assert may(Role.MODERATOR, "question.approve") and not may(Role.MODERATOR, "moderator.add")
    assert may(Role.ORGANISER, "room.close")
    assert not OPS_BY_ROLE[Role.SCREEN] and not OPS_BY_ROLE[Role.EMBED]
