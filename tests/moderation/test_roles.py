"""The op table and the role table derived from it."""

from __future__ import annotations

import pytest

from moderation.roles import _ROWS, OP_BY_EVENT, OPS, OPS_BY_ROLE, Op, Role, _index, may
from rooms.events import EVENT_TYPES
from rooms.reducer import APPLIERS, DECIDERS

ATTENDEE = {
    "vote",
    "question.ask",
    "question.upvote",
    "question.unvote",
    "question.downvote",
    "question.withdraw",
    "speaker.request",
    "speaker.withdraw",
    "react",
    "participant.erase",
}
MODERATOR = {
    "poll.create",
    "poll.edit",
    "poll.open",
    "poll.close",
    "poll.reveal",
    "poll.hide",
    "poll.delete",
    "poll.restore",
    "template.save",
    "template.delete",
    "template.restore",
    "question.approve",
    "question.reject",
    "question.restore",
    "question.hide",
    "question.answer",
    "question.pin",
    "question.unpin",
    "question.archive",
    "question.label",
    "answer.approve",
    "answer.reject",
    "answer.restore",
    "speaker.next",
    "speaker.skip",
    "speaker.finish",
    "participant.ban",
    "participant.unban",
    "room.update",
    "screen.show",
}
ORGANISER_ONLY = {
    "moderator.add",
    "moderator.revoke",
    "room.close",
    "codes.issue",
    "room.publish",
    "links.rotate",
    "participant.forget",
}
INTERPRETER = {"translation.attach"}  # moderators and the organiser may too


def test_the_role_table_is_what_each_role_may_send() -> None:
    derived = dict(OPS_BY_ROLE)
    assert derived == {
        Role.ORGANISER: MODERATOR | ORGANISER_ONLY | INTERPRETER,
        Role.MODERATOR: MODERATOR | INTERPRETER,
        Role.ATTENDEE: ATTENDEE,
        Role.SCREEN: frozenset(),
        Role.EMBED: frozenset(),
        Role.INTERPRETER: INTERPRETER,
    }
    assert may(Role.ATTENDEE, "vote") and not may(Role.ATTENDEE, "poll.open")
    assert may(Role.MODERATOR, "question.approve") and not may(Role.MODERATOR, "moderator.add")
    assert may(Role.ORGANISER, "room.close") and not may(Role.ORGANISER, "vote")


def test_server_ops_are_sent_for_exactly_their_role_and_by_no_client() -> None:
    server = {op.name for op in OPS.values() if op.server}
    assert server == {"room.create", "participant.join", "reactions.count"}
    assert not any(server & ops for ops in OPS_BY_ROLE.values())
    assert OPS["participant.join"].sendable_by(Role.ATTENDEE)
    assert not OPS["room.create"].sendable_by(Role.MODERATOR)
    assert OPS["room.create"].sendable_by(Role.ORGANISER)


def test_only_poll_close_is_for_the_system_actor() -> None:
    assert [op.name for op in OPS.values() if op.system] == ["poll.close", "reactions.count"]


def test_staff_ops_are_audited() -> None:
    assert {op.name for op in OPS.values() if op.audited} == (
        MODERATOR | ORGANISER_ONLY | INTERPRETER | {"room.create"}
    )


def test_every_op_has_a_decider_and_its_event_an_applier() -> None:
    assert set(OPS) == set(DECIDERS)
    assert set(OP_BY_EVENT) == set(EVENT_TYPES) == {cls.TYPE for cls in APPLIERS}


def test_a_table_with_a_repeated_op_or_a_read_only_role_is_refused() -> None:
    with pytest.raises(ValueError, match="two ops share the name 'vote'"):
        _index((*_ROWS, Op("vote", Role.ATTENDEE, "ballot.recast")), "name")
    with pytest.raises(ValueError, match=r"two ops share the event 'ballot\.cast'"):
        _index((*_ROWS, Op("vote.again", Role.ATTENDEE, "ballot.cast")), "event")
    with pytest.raises(ValueError, match="screen may send nothing"):
        _index((Op("look", Role.SCREEN, "looked"),), "name")
