"""Room lifecycle, joining, bans and co-moderators: given / when / then."""

from __future__ import annotations

import pytest

from moderation.roles import Role
from rooms import CommandError, decide, new_room
from rooms.events import ParticipantJoined, RoomCreated
from tests.rooms.harness import ORG, Room


def test_create_makes_a_room_with_defaults() -> None:
    room = Room()
    state = room.state
    assert state.created and state.seq == 1 and state.code == "TOWN"
    assert state.organiser == ORG and state.settings.moderation == "pre"
    assert state.audit[0].action == "room.created"


def test_create_takes_flat_settings_like_the_http_body() -> None:
    room = Room(create=False)
    room.do(ORG, "room.create", code="A-1", title="T", moderation="post", districts=["North"])
    assert room.state.settings.moderation == "post"
    assert room.state.settings.districts == ("North",)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "T"}, "field.missing"),
        ({"code": "bad code!", "title": "T"}, "field.invalid"),
        ({"code": 5, "title": "T"}, "field.invalid"),
        ({"code": "OK", "title": "  "}, "text.empty"),
        ({"code": "OK", "title": "x" * 201}, "text.too_long"),
        ({"code": "OK", "title": "T", "settings": {"moderation": "never"}}, "field.invalid"),
        ({"code": "OK", "title": "T", "settings": []}, "field.invalid"),
    ],
)
def test_create_refuses_bad_input(fields: dict[str, object], code: str) -> None:
    assert Room(create=False).refuse(ORG, "room.create", **fields) == code


def test_create_only_once() -> None:
    room = Room()
    assert room.refuse(ORG, "room.create", code="X", title="T") == "room.exists"
    assert room.refuse("alice", "room.create", code="X", title="T") == "auth.forbidden"


def test_a_second_create_loses_the_race_in_apply() -> None:
    room = Room(create=False)
    first = room.decide(ORG, "room.create", code="A", title="T")
    second = room.decide(ORG, "room.create", code="B", title="T")
    assert room.commit(ORG, first).error is None
    applied = room.commit(ORG, second)
    assert applied.error is not None and applied.error.code == "room.exists"
    assert room.state.code == "A"


def test_ops_need_a_room() -> None:
    room = Room(create=False)
    assert room.refuse("alice", "participant.join") == "room.not_found"
    assert room.refuse(ORG, "poll.create", kind="single") == "room.not_found"
    applied = room.commit("alice", ParticipantJoined())
    assert applied.error is not None and applied.error.code == "room.not_found"


def test_unknown_op_and_bad_frames() -> None:
    room = Room()
    assert room.refuse(ORG, "poll.explode") == "op.unknown"
    with pytest.raises(CommandError) as err:
        decide(room.state, "vote", [1, 2], room.ctx("alice"))  # type: ignore[arg-type]
    assert err.value.code == "frame.invalid"


def test_join_and_rejoin_updates_name() -> None:
    room = Room()
    assert room.do("alice", "participant.join", name=" Alice ") == {"participant_id": "alice"}
    room.do("alice", "participant.join", name="Ali")
    room.do("alice", "participant.join")  # no name given: keeps the one it has
    assert room.state.participants["alice"].name == "Ali"
    assert len(room.state.participants) == 1


def test_join_rules() -> None:
    room = Room(names_required=True, access_code="s3cret", districts=["North", "South"])
    assert room.refuse("a", "participant.join", name="A") == "auth.access_code"
    assert room.refuse("a", "participant.join", access_code="s3cret") == "name.required"
    assert room.refuse("a", "participant.join", access_code="s3cret", name=" ") == "name.required"
    assert (
        room.refuse("a", "participant.join", access_code="s3cret", name="A", district="East")
        == "district.invalid"
    )
    assert room.refuse("a", "participant.join", access_code="s3cret", name=7) == "field.invalid"
    assert (
        room.refuse("a", "participant.join", access_code="s3cret", name="x" * 61) == "text.too_long"
    )
    room.do("a", "participant.join", access_code="s3cret", name="A", district="North")
    assert room.state.participants["a"].district == "North"
    room.do("a", "participant.join", access_code="s3cret", district="South")
    assert room.state.participants["a"].district == "South"


def test_join_is_for_attendees() -> None:
    room = Room()
    assert room.refuse(ORG, "participant.join") == "auth.forbidden"


def test_ops_need_a_joined_attendee() -> None:
    room = Room()
    assert room.refuse("ghost", "react", emoji="👍") == "participant.not_found"


def test_update_changes_only_what_is_given() -> None:
    room = Room()
    room.do(ORG, "room.update", title="New title", settings={"moderation": "post"})
    assert room.state.title == "New title" and room.state.settings.moderation == "post"
    entry = room.state.audit[-1]
    assert entry.before == {"moderation": "pre", "title": "Town hall"}
    assert entry.after == {"moderation": "post", "title": "New title"}
    assert room.refuse(ORG, "room.update", title="") == "text.empty"


def test_concurrent_updates_of_different_settings_both_stick() -> None:
    room = Room()
    room.do(ORG, "moderator.add", name="Mo")
    a = room.decide(ORG, "room.update", settings={"downvotes": True})
    b = room.decide("m2", "room.update", settings={"reactions": False})
    room.commit(ORG, a)
    room.commit("m2", b)
    assert room.state.settings.downvotes and not room.state.settings.reactions


def test_close_ends_everything() -> None:
    room = Room()
    room.join("alice")
    late = room.decide("alice", "react", emoji="👍")
    assert room.refuse("m9", "room.close", role=Role.MODERATOR) == "auth.forbidden"
    room.do(ORG, "room.close")
    assert room.state.closed
    assert room.refuse("alice", "react", emoji="👍") == "room.closed"
    assert room.refuse(ORG, "room.close") == "room.closed"
    applied = room.commit("alice", late)
    assert applied.error is not None and applied.error.code == "room.closed"


def test_ban_and_unban() -> None:
    room = Room()
    room.join("alice", "bob")
    room.do("alice", "speaker.request", topic="Parks")
    result = room.do(ORG, "participant.ban", participant_id="alice", reason="abusive")
    assert result == {"participant_id": "alice"}
    assert room.state.participants["alice"].banned and "alice" not in room.state.queue
    assert room.refuse("alice", "react", emoji="👍") == "auth.banned"
    assert room.refuse("alice", "participant.join") == "auth.banned"
    room.do(ORG, "participant.unban", participant_id="alice")
    assert not room.state.participants["alice"].banned
    assert room.refuse(ORG, "participant.unban", participant_id="alice") == "participant.not_banned"


def test_ban_ends_the_floor_and_is_checked_again_in_apply() -> None:
    room = Room()
    room.join("alice")
    room.do("alice", "speaker.request")
    room.do(ORG, "speaker.next")
    pending = room.decide("alice", "react", emoji="👍")
    room.do(ORG, "participant.ban", participant_id="alice", reason="spam")
    assert room.state.floor is None
    applied = room.commit("alice", pending)
    assert applied.error is not None and applied.error.code == "auth.banned"
    rejoin = ParticipantJoined(name="Again")
    assert room.commit("alice", rejoin).error is not None


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"reason": "abusive"}, "ban.target"),  # no target at all
        ({"participant_id": "nobody", "reason": "abusive"}, "participant.not_found"),
        ({"participant_id": "bob"}, "field.missing"),
        ({"participant_id": "bob", "reason": "i don't like them"}, "reason.invalid"),
    ],
)
def test_ban_refusals(fields: dict[str, object], code: str) -> None:
    room = Room()
    room.join("bob")
    assert room.refuse(ORG, "participant.ban", **fields) == code


def test_ban_of_an_unknown_person_in_apply() -> None:
    room = Room()
    room.join("bob")
    unban = room.decide(ORG, "participant.ban", participant_id="bob", reason="spam")
    room.commit(ORG, unban)
    undo = room.decide(ORG, "participant.unban", participant_id="bob")
    room.commit(ORG, undo)
    applied = room.commit(ORG, undo)
    assert applied.error is not None and applied.error.code == "participant.not_banned"


def test_co_moderators() -> None:
    room = Room()
    assert room.do(ORG, "moderator.add", name="Mo") == {"moderator_id": "m2"}
    room.do("m2", "poll.create", kind="rating", question="How?")
    assert room.refuse("m2", "moderator.add", name="X") == "auth.forbidden"
    assert room.refuse(ORG, "moderator.add") == "field.missing"
    pending = room.decide("m2", "poll.create", kind="rating", question="Again?")
    room.do(ORG, "moderator.revoke", moderator_id="m2")
    assert room.refuse("m2", "poll.create", kind="rating", question="Q") == "auth.forbidden"
    applied = room.commit("m2", pending)
    assert applied.error is not None and applied.error.code == "auth.forbidden"
    assert room.refuse(ORG, "moderator.revoke", moderator_id="m2") == "moderator.revoked"
    assert room.refuse(ORG, "moderator.revoke", moderator_id="m7") == "moderator.not_found"


def test_revoke_race() -> None:
    room = Room()
    room.do(ORG, "moderator.add", name="Mo")
    revoke = room.decide(ORG, "moderator.revoke", moderator_id="m2")
    room.commit(ORG, revoke)
    applied = room.commit(ORG, revoke)
    assert applied.error is not None and applied.error.code == "moderator.revoked"


def test_only_the_organiser_holds_organiser_ops() -> None:
    room = Room()
    assert room.refuse("intruder", "poll.create", role=Role.ORGANISER, kind="x") == (
        "auth.forbidden"
    )
    created = RoomCreated(code="X", title="T", settings={})
    assert room.commit(ORG, created).error is not None
    applied = room.commit("intruder", room.decide(ORG, "room.close"))
    assert applied.error is not None and applied.error.code == "auth.forbidden"


def test_screen_and_embed_send_nothing() -> None:
    room = Room()
    for role in (Role.SCREEN, Role.EMBED):
        assert room.refuse("screen1", "react", role=role, emoji="👍") == "auth.forbidden"


def test_new_room_is_empty() -> None:
    state = new_room()
    assert state.seq == 0 and not state.created and state.recall("a", "b") is None
