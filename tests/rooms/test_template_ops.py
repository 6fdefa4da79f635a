"""Templates a room keeps (rooms/template_ops.py): a poll's definition saved under a name, in
the log, so replay and snapshots keep it; the builder starts from it by key."""

from __future__ import annotations

import json

from rooms import from_snapshot, to_snapshot
from rooms.template_ops import MAX_TEMPLATES
from rooms.transcript import replay
from server.edge.poll_templates import builder_draft, saved_key
from tests.rooms.harness import ORG, Room


def test_a_saved_poll_is_a_template_that_replays_and_survives_a_snapshot() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.do(ORG, "poll.create", kind="multiple", question="Which days?",
                      options=["Mon", "Tue", "Wed"], max_selections=2)["poll_id"]
    saved = room.do(ORG, "template.save", poll_id=poll_id, name="  Meeting   days ")
    template = room.state.templates[saved["template_id"]]
    assert (template.name, template.kind, template.options, template.max_selections) == (
        "Meeting days", "multiple", ("Mon", "Tue", "Wed"), 2)
    assert room.state.audit[-1].target == f"poll:{poll_id}"  # a staff action, audited
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)
    again = from_snapshot(json.loads(json.dumps(to_snapshot(room.state))))
    assert again.templates == room.state.templates
    draft = builder_draft({"template": saved_key(template)}, [], str, room.state.templates)
    assert draft == {"kind": "multiple", "question": "Which days?",
                     "options": ["Mon", "Tue", "Wed"], "max_selections": 2}


def test_the_name_defaults_to_the_question_and_a_quiz_keeps_no_answers() -> None:
    room = Room()
    quiz = room.do(ORG, "poll.create", kind="quiz", question="Capital?",
                   options=["Paris", "Lyon"], correct=[0])["poll_id"]
    saved = room.do(ORG, "template.save", poll_id=quiz)["template_id"]
    template = room.state.templates[saved]
    assert template.name == "Capital?" and not hasattr(template, "correct")


def test_saving_is_refused_for_attendees_missing_polls_and_a_full_room() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll()
    assert room.refuse("alice", "template.save", poll_id=poll_id) == "auth.forbidden"
    assert room.refuse(ORG, "template.save", poll_id=404) == "poll.not_found"
    room.do(ORG, "poll.delete", poll_id=poll_id)
    assert room.refuse(ORG, "template.save", poll_id=poll_id) == "poll.not_found"
    other = room.poll()
    for _ in range(MAX_TEMPLATES):
        room.do(ORG, "template.save", poll_id=other)
    assert room.refuse(ORG, "template.save", poll_id=other) == "template.limit"


def test_unknown_saved_keys_are_no_draft() -> None:
    room = Room()
    for key in ("saved-", "saved-x", "saved-999", "saved-1e3"):
        assert builder_draft({"template": key}, [], str, room.state.templates) is None


def test_a_deleted_template_leaves_the_builder_and_its_undo_brings_it_back() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll()
    tid = room.do(ORG, "template.save", poll_id=poll_id, name="Parks")["template_id"]
    key = saved_key(room.state.templates[tid])
    assert room.do(ORG, "template.delete", template_id=tid) == {"template_id": tid}
    assert room.state.templates[tid].deleted
    assert builder_draft({"template": key}, [], str, room.state.templates) is None
    entry = room.state.audit[-1]
    assert (entry.target, entry.before) == (f"template:{tid}", "Parks")  # audited, by name
    assert to_snapshot(replay(room.records)) == to_snapshot(room.state)
    again = from_snapshot(json.loads(json.dumps(to_snapshot(room.state))))
    assert again.templates == room.state.templates
    assert room.refuse(ORG, "template.delete", template_id=tid) == "template.not_found"

    room.do(ORG, "template.restore", template_id=tid)
    assert not room.state.templates[tid].deleted
    assert builder_draft({"template": key}, [], str, room.state.templates) is not None
    assert room.refuse(ORG, "template.restore", template_id=tid) == "template.not_deleted"


def test_deleting_is_refused_for_attendees_and_unknown_templates() -> None:
    room = Room()
    room.join("alice")
    tid = room.do(ORG, "template.save", poll_id=room.poll())["template_id"]
    for op in ("template.delete", "template.restore"):
        assert room.refuse("alice", op, template_id=tid) == "auth.forbidden"
        assert room.refuse(ORG, op, template_id=404) == "template.not_found"
    assert not room.state.templates[tid].deleted


def test_a_deleted_template_frees_its_place_and_an_undo_into_a_full_room_is_refused() -> None:
    room = Room()
    poll_id = room.poll()
    first = room.do(ORG, "template.save", poll_id=poll_id)["template_id"]
    for _ in range(MAX_TEMPLATES - 1):
        room.do(ORG, "template.save", poll_id=poll_id)
    room.do(ORG, "template.delete", template_id=first)
    room.do(ORG, "template.save", poll_id=poll_id)  # the room is full again
    assert room.refuse(ORG, "template.restore", template_id=first) == "template.limit"
