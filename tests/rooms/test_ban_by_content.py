"""Banning through content: a question, an open answer or word-cloud word, the floor.

Content that does not show staff who wrote it (an anonymous question, any ballot) makes a
content ban: staff get a ban id and the content back, never the person, in the ack, the
views, the frames, the audit, and the sealed chain entry.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.filters import TextFilters
from moderation.roles import Role
from rooms import from_snapshot, to_snapshot
from rooms.changes import Change
from rooms.events import event_to_dict
from rooms.privacy import seal
from rooms.views import personal_frames, snapshot_view, view_frames
from tests.rooms.harness import ORG, Room

KEY = b"k" * 32
SALT = "00" * 16


def _room() -> Room:
    room = Room(filters=TextFilters(profanity={"en": frozenset({"darn"})}))
    room.join("alice", "bob", "carol")
    return room


def _staff_sees(room: Room) -> str:
    """Everything a moderator is shown now, as one text."""
    return json.dumps(snapshot_view(room.state, Role.MODERATOR, None))


def _frames_of_last(room: Room, role: Role) -> str:
    return json.dumps(view_frames(room.state, role, _last_changes(room)))


_CHANGES: dict[int, tuple[Change, ...]] = {}


def _do(room: Room, actor: str, op: str, **fields: Any) -> dict[str, Any]:
    """room.do, keeping the record's changes for the frame checks."""
    applied = room.commit(actor, room.decide(actor, op, **fields))
    assert applied.error is None, applied.error
    _CHANGES[id(room)] = applied.changes
    return applied.result


def _last_changes(room: Room) -> tuple[Change, ...]:
    return _CHANGES[id(room)]


# -- what each reference bans -----------------------------------------------------------------


def test_an_anonymous_question_bans_its_author_without_naming_them() -> None:
    room = _room()
    qid = room.ask("alice", "Who pays?", anonymous=True, approve=False)
    ack = _do(room, ORG, "participant.ban", question_id=qid, reason="abusive")
    assert ack == {"ban_id": f"b{room.state.seq}", "via": f"question:{qid}"}
    alice = room.state.participants["alice"]
    assert alice.barred and alice.barred_reason == "abusive"
    assert not alice.banned  # the plain ban staff see on the person is not set
    assert room.refuse("alice", "question.ask", text="Again") == "auth.banned"
    assert room.refuse("alice", "participant.join", name="Al") == "auth.banned"
    assert not room.state.participants["bob"].barred
    # Staff learn the ban and its content, and nothing that leads to alice.
    for text in (_staff_sees(room), _frames_of_last(room, Role.MODERATOR), json.dumps(ack)):
        assert "alice" not in text and "Alice" not in text
    staff = snapshot_view(room.state, Role.MODERATOR, None)["room"]
    assert staff["banned"] == []
    assert staff["bans"] == [
        {
            "ban_id": ack["ban_id"],
            "via": f"question:{qid}",
            "reason": "abusive",
            "at": room.records[-1].at,
        }
    ]
    entry = staff["audit"][-1]
    assert entry["target"] == f"question:{qid}" and entry["reason"] == "abusive"
    # The person is told, and the hub shuts them out (the "barred" change carries their id).
    assert personal_frames(room.state, _last_changes(room)) == [
        ("alice", {"type": "participant.banned", "reason": "abusive"})
    ]
    assert [(c.kind, c.key) for c in _last_changes(room) if c.key == "alice"] == [
        ("barred", "alice")
    ]
    assert snapshot_view(room.state, Role.ATTENDEE, "alice")["you"]["banned"] is True


def test_a_named_question_bans_its_author_by_name() -> None:
    room = _room()
    qid = room.ask("bob", "Named", approve=False)
    assert room.do(ORG, "participant.ban", question_id=qid, reason="spam") == {
        "participant_id": "bob"
    }
    bob = room.state.participants["bob"]
    assert bob.banned and not bob.content_bans


@pytest.mark.parametrize("kind", ["open", "wordcloud"])
def test_a_ballot_text_makes_a_content_ban(kind: str) -> None:
    room = _room()
    poll_id = room.poll(kind)
    choice: Any = "Fix the damn road" if kind == "open" else "darn sun"
    if kind == "open":
        answer_id = room.do("carol", "vote", poll_id=poll_id, choice=choice)["answer_id"]
    else:
        room.do("carol", "vote", poll_id=poll_id, choice=choice)
        answer_id = next(iter(room.state.answers))  # a held word waits as an answer
    ack = _do(room, ORG, "participant.ban", answer_id=answer_id, reason="abusive")
    assert ack == {"ban_id": f"b{room.state.seq}", "via": f"answer:{answer_id}"}
    assert room.state.participants["carol"].barred
    assert "carol" not in _staff_sees(room)
    assert "carol" not in _frames_of_last(room, Role.MODERATOR)


def test_the_floor_bans_the_speaker_by_name() -> None:
    room = _room()
    room.do("bob", "speaker.request", topic="Parks")
    room.do("alice", "speaker.request")
    room.do(ORG, "speaker.next")
    assert room.do(ORG, "participant.ban", speaker="floor", reason="abusive") == {
        "participant_id": "bob"
    }
    assert room.state.floor is None and list(room.state.queue) == ["alice"]


# -- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"reason": "abusive"}, "ban.target"),
        ({"participant_id": "bob", "question_id": 1, "reason": "abusive"}, "ban.target"),
        ({"question_id": 1, "answer_id": 1, "reason": "abusive"}, "ban.target"),
        ({"question_id": 0, "reason": "abusive"}, "field.invalid"),
        ({"question_id": 2**60, "reason": "abusive"}, "field.invalid"),
        ({"question_id": "1", "reason": "abusive"}, "field.invalid"),
        ({"question_id": True, "reason": "abusive"}, "field.invalid"),
        ({"question_id": 99, "reason": "abusive"}, "question.not_found"),
        ({"answer_id": 99, "reason": "abusive"}, "answer.not_found"),
        ({"speaker": "queue", "reason": "abusive"}, "field.invalid"),
        ({"speaker": "floor", "reason": "abusive"}, "speaker.no_floor"),
        ({"question_id": "Q"}, "field.missing"),
        ({"question_id": "Q", "reason": "meh"}, "reason.invalid"),
        ({"ban_id": "b1", "reason": "abusive"}, "ban.target"),  # a ban id only lifts one
    ],
)
def test_ban_refusals(fields: dict[str, Any], code: str) -> None:
    room = _room()
    qid = room.ask("alice", anonymous=True, approve=False)
    fields = {k: qid if v == "Q" else v for k, v in fields.items()}
    assert room.refuse(ORG, "participant.ban", **fields) == code


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({}, "ban.target"),
        ({"ban_id": "b1", "question_id": 1}, "ban.target"),
        ({"ban_id": "nope"}, "ban.not_found"),
        ({"ban_id": "b0"}, "ban.not_found"),
        ({"ban_id": "b" + "9" * 40}, "ban.not_found"),
        ({"ban_id": "b999"}, "ban.not_found"),
        ({"ban_id": 7}, "field.invalid"),
        ({"question_id": "Q"}, "participant.not_banned"),
        ({"participant_id": "alice"}, "participant.not_banned"),
    ],
)
def test_unban_refusals(fields: dict[str, Any], code: str) -> None:
    room = _room()
    qid = room.ask("alice", anonymous=True, approve=False)
    fields = {k: qid if v == "Q" else v for k, v in fields.items()}
    assert room.refuse(ORG, "participant.unban", **fields) == code


def test_attendees_cannot_ban_through_content() -> None:
    room = _room()
    qid = room.ask("alice", anonymous=True, approve=False)
    assert room.refuse("bob", "participant.ban", question_id=qid, reason="spam") == (
        "auth.forbidden"
    )


# -- unbanning ---------------------------------------------------------------------------------


def test_unban_by_ban_id_and_by_the_same_content() -> None:
    room = _room()
    q1 = room.ask("alice", "One", anonymous=True, approve=False)
    q2 = room.ask("alice", "Two", anonymous=True, approve=False)
    b1 = room.do(ORG, "participant.ban", question_id=q1, reason="abusive")["ban_id"]
    # Through other content by the same author: a ban of its own (refusing would tell staff
    # that both questions have one author).
    b2 = room.do(ORG, "participant.ban", question_id=q2, reason="spam")["ban_id"]
    assert b1 != b2
    assert room.do(ORG, "participant.unban", ban_id=b1) == {"ban_id": b1, "via": f"question:{q1}"}
    assert room.state.participants["alice"].barred  # still banned through q2
    assert room.refuse(ORG, "participant.unban", question_id=q1) == "participant.not_banned"
    assert room.do(ORG, "participant.unban", question_id=q2) == {
        "ban_id": b2,
        "via": f"question:{q2}",
    }
    assert not room.state.participants["alice"].barred
    room.do("alice", "question.ask", text="Welcome back")
    assert snapshot_view(room.state, Role.MODERATOR, None)["room"]["bans"] == []


def test_banning_again_through_the_same_content_keeps_the_ban_id() -> None:
    room = _room()
    qid = room.ask("alice", anonymous=True, approve=False)
    first = room.do(ORG, "participant.ban", question_id=qid, reason="abusive")
    again = room.do(ORG, "participant.ban", question_id=qid, reason="spam")
    assert again == first
    assert room.state.participants["alice"].barred_reason == "spam"


def test_a_plain_ban_and_a_content_ban_are_lifted_separately() -> None:
    room = _room()
    qid = room.ask("alice", anonymous=True, approve=False)
    ban_id = room.do(ORG, "participant.ban", question_id=qid, reason="abusive")["ban_id"]
    # From the people list, staff can ban alice by name; that tells them nothing new.
    room.do(ORG, "participant.ban", participant_id="alice", reason="spam")
    assert room.do(ORG, "participant.unban", participant_id="alice") == {"participant_id": "alice"}
    assert room.state.participants["alice"].barred  # the content ban stands
    room.do(ORG, "participant.unban", ban_id=ban_id)
    assert not room.state.participants["alice"].barred


def test_a_lost_race_to_lift_a_content_ban() -> None:
    room = _room()
    qid = room.ask("alice", anonymous=True, approve=False)
    ban_id = room.do(ORG, "participant.ban", question_id=qid, reason="abusive")["ban_id"]
    undo = room.decide(ORG, "participant.unban", ban_id=ban_id)
    assert room.commit(ORG, undo).error is None
    applied = room.commit(ORG, undo)
    assert applied.error is not None and applied.error.code == "ban.not_found"


def test_content_bans_survive_a_snapshot() -> None:
    room = _room()
    qid = room.ask("alice", anonymous=True, approve=False)
    room.do(ORG, "participant.ban", question_id=qid, reason="abusive")
    restored = from_snapshot(to_snapshot(room.state))
    assert (
        restored.participants["alice"].content_bans == room.state.participants["alice"].content_bans
    )
    assert to_snapshot(restored) == to_snapshot(room.state)


# -- the chain ---------------------------------------------------------------------------------


def _sealed(room: Room) -> dict[str, Any]:
    rec = room.records[-1]
    before = from_snapshot(to_snapshot(room.state))  # sealing reads only poll kinds and staff
    return seal(before, rec.actor, rec.op_id, event_to_dict(rec.event), KEY, SALT).data


def test_the_chain_entry_names_neither_the_person_nor_the_content() -> None:
    room = _room()
    qid = room.ask("alice", anonymous=True, approve=False)
    room.do(ORG, "participant.ban", question_id=qid, reason="abusive")
    content = _sealed(room)
    room.do(ORG, "participant.ban", participant_id="bob", reason="abusive")
    plain = _sealed(room)
    for data in (content, plain):
        assert set(data) == {"reason", "sealed"}
        assert set(data["sealed"]) == {"participant_id", "via"}
    # A content ban and a plain one look alike in the public record.
    assert "alice" not in json.dumps(content) and "question" not in json.dumps(content)
    room.do(ORG, "participant.unban", question_id=qid)
    lifted = _sealed(room)
    assert set(lifted) == {"sealed"} and set(lifted["sealed"]) == {"participant_id", "ban_id"}


# -- the property -----------------------------------------------------------------------------

PEOPLE = ("u-ann", "u-ben", "u-cat", "u-dan")


def _others(room: Room, author: str) -> Any:
    s = room.state
    return (
        {p.id: (p.barred, p.name) for p in s.participants.values() if p.id != author},
        {q.id: (q.state, q.text) for q in s.questions.values() if q.author != author},
        {a.id: (a.state, a.text) for a in s.answers.values() if a.author != author},
        {
            pid: {k: v for k, v in poll.ballots.items() if k != author}
            for pid, poll in s.polls.items()
        },
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_banning_by_any_reference_bans_exactly_the_author(data: st.DataObject) -> None:
    room = Room()
    room.join(*PEOPLE)
    poll_id = room.poll("open")
    for who in PEOPLE:
        if data.draw(st.booleans()):
            room.ask(who, f"{who}?", anonymous=data.draw(st.booleans()), approve=False)
        if data.draw(st.booleans()):
            room.do(who, "vote", poll_id=poll_id, choice=f"idea of {who}")
    for who in data.draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=2)):
        room.do(who, "speaker.request")
    if room.state.queue and data.draw(st.booleans()):
        room.do(ORG, "speaker.next")
    refs: list[tuple[str, Any, str]] = [("participant_id", p, p) for p in PEOPLE]
    refs += [("question_id", q.id, q.author) for q in room.state.questions.values()]
    refs += [("answer_id", a.id, a.author) for a in room.state.answers.values()]
    if room.state.floor is not None:
        refs.append(("speaker", "floor", room.state.floor.participant_id))
    field, value, author = data.draw(st.sampled_from(refs))
    before = _others(room, author)
    seen = snapshot_view(room.state, Role.MODERATOR, None)["room"]
    ack = room.do(ORG, "participant.ban", **{field: value, "reason": "abusive"})
    assert room.state.participants[author].barred
    assert _others(room, author) == before  # nobody else, nothing of theirs
    anonymous = field == "answer_id" or (
        field == "question_id" and room.state.questions[value].anonymous
    )
    assert ("participant_id" in ack) is not anonymous
    if anonymous:
        # Staff see the ban, its audit entry and (the known limit) the speaker queue move;
        # everything else they are shown is as it was, and the new parts name nobody.
        now = snapshot_view(room.state, Role.MODERATOR, None)["room"]
        new = (ack, now["bans"], now["audit"][-1])
        assert author not in json.dumps(new)
        moved = ("bans", "audit", "speaker")
        assert {k: v for k, v in now.items() if k not in moved} == {
            k: v for k, v in seen.items() if k not in moved
        }
    # Lifting it through the same reference undoes exactly that ban.
    undo = {"ban_id": ack["ban_id"]} if anonymous else {field: value}
    if field == "speaker":
        undo = {"participant_id": author}  # they left the floor: the people list lifts it
    room.do(ORG, "participant.unban", **undo)
    assert not room.state.participants[author].barred
    assert _others(room, author) == before
