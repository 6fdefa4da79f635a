"""The Undo table: every op that offers an Undo maps to an op the panel may send, named by the
same field the action named its item by; the redirect of a page without script carries it
there and back; a ban that repeats one in force offers none."""

from __future__ import annotations

from moderation.roles import OPS
from rooms import RoomState
from rooms.state import ContentBan, Participant
from server.edge.page_forms import STAFF_OPS
from server.edge.undo import UNDO, bans_in_force, undo_from_query, undo_of, undo_query


def test_every_undo_is_a_staff_op_the_engine_knows() -> None:
    for op, (reverse, fields) in UNDO.items():
        assert op in STAFF_OPS and reverse in STAFF_OPS and reverse in OPS, op
        assert fields, op


def test_a_ban_is_undone_by_an_unban_of_the_same_target() -> None:
    for field, item in (("participant_id", "uAbC-_123x"), ("question_id", "7"),
                        ("answer_id", "12")):
        undo = undo_of("participant.ban", {field: item, "reason": "spam", "at": "people"})
        assert undo == {"op": "participant.unban", "field": field, "id": item}
        assert undo_from_query("participant.ban", undo_query(undo)) == undo
    # whoever holds the floor has no Undo: the floor has moved on by then
    assert undo_of("participant.ban", {"speaker": "floor"}) is None


def test_the_other_undos_are_unchanged() -> None:
    assert undo_of("poll.delete", {"poll_id": "3"}) == {
        "op": "poll.restore", "field": "poll_id", "id": "3"}
    assert undo_of("template.delete", {"template_id": "4"}) == {
        "op": "template.restore", "field": "template_id", "id": "4"}
    assert undo_of("poll.open", {"poll_id": "3"}) is None  # nothing to take back


def test_what_is_not_an_id_gets_no_undo() -> None:
    for item in ("", "<b>", "1 2", "x" * 33, "²"):
        assert undo_of("participant.ban", {"participant_id": item}) is None, item
    assert undo_of("poll.delete", {}) is None
    # a query naming a field the op does not use, or none, is no undo either
    assert undo_from_query("poll.delete", {"undo": "3", "undo_by": "participant_id"}) is None
    assert undo_from_query("poll.delete", {"undo": "3"}) is None
    assert undo_from_query("poll.delete", {"undo_by": "poll_id"}) is None


def test_bans_in_force_name_banned_people_and_content_bans() -> None:
    state = RoomState()
    state.participants["u1"] = Participant(id="u1", name="Ana", district=None, joined_at=0)
    state.participants["u2"] = Participant(id="u2", name="Bo", district=None, joined_at=0)
    assert bans_in_force(state) == frozenset()
    state.participants["u1"].banned = True
    state.participants["u2"].content_bans["b9"] = ContentBan(
        ban_id="b9", via="question:3", reason="spam", at=0)
    assert bans_in_force(state) == {"u1", "b9"}
