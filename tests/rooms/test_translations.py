"""Interpreters: translations attached beside a question's or a poll's original words."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.roles import OPS, Role, may
from rooms import CommandError, from_snapshot, snapshot_view, to_snapshot
from rooms.transcript import replay
from rooms.translations import MAX_LANGUAGES, canonical_tag
from tests.rooms.harness import ORG, Room

INTERP = Role.INTERPRETER


def room_with_items() -> tuple[Room, str, int, int]:
    room = Room()
    room.join("alice")
    interpreter = room.interpreter()
    qid = room.ask("alice", "Where is the bus stop?")
    poll_id = room.poll("single", options=["Yes", "No"])
    return room, interpreter, qid, poll_id


def test_the_interpreter_row() -> None:
    assert OPS["translation.attach"].by is INTERP and OPS["translation.attach"].audited
    assert may(INTERP, "translation.attach") and may(Role.MODERATOR, "translation.attach")
    assert not may(Role.ATTENDEE, "translation.attach")
    assert not any(may(INTERP, op) for op in ("question.approve", "vote", "poll.create"))


def test_an_interpreter_translates_a_question_and_the_original_stays() -> None:
    room, interp, qid, _ = room_with_items()
    result = room.do(
        interp,
        "translation.attach",
        role=INTERP,
        target="question",
        target_id=qid,
        lang="es",
        text="¿Dónde está la parada?",
    )
    assert result == {"target": "question", "target_id": qid, "lang": "es"}
    view = snapshot_view(room.state, Role.ATTENDEE, "alice")["room"]["questions"][0]
    assert view["text"] == "Where is the bus stop?"
    assert view["translations"] == {"es": "¿Dónde está la parada?"}
    entry = room.state.audit[-1]
    assert entry.action == "translation.attached" and entry.target == f"question:{qid}"
    room.do(
        interp,
        "translation.attach",
        role=INTERP,
        target="question",
        target_id=qid,
        lang="ES",
        text="¿Dónde para el autobús?",
    )
    assert room.state.questions[qid].translations == {"es": "¿Dónde para el autobús?"}
    assert room.state.audit[-1].before == "¿Dónde está la parada?"


def test_a_poll_translation_holds_its_question_and_every_option() -> None:
    room, interp, _, poll_id = room_with_items()
    room.do(
        interp,
        "translation.attach",
        role=INTERP,
        target="poll",
        target_id=poll_id,
        lang="fr",
        text="D'accord ?",
        options=["Oui", "Non"],
    )
    view = snapshot_view(room.state, Role.SCREEN, None)["room"]["polls"][0]
    assert view["question"] == "A single?"
    assert view["translations"] == {"fr": {"question": "D'accord ?", "options": ["Oui", "Non"]}}
    refused = room.refuse(
        interp,
        "translation.attach",
        role=INTERP,
        target="poll",
        target_id=poll_id,
        lang="fr",
        text="D'accord ?",
        options=["Oui"],
    )
    assert refused == "field.invalid"


def test_a_moderator_may_translate_too_and_a_revoked_interpreter_may_not() -> None:
    room, interp, qid, _ = room_with_items()
    room.do(ORG, "translation.attach", target="question", target_id=qid, lang="de", text="Wo?")
    room.do(ORG, "moderator.revoke", moderator_id=interp)
    code = room.refuse(
        interp,
        "translation.attach",
        role=INTERP,
        target="question",
        target_id=qid,
        lang="es",
        text="¿Dónde?",
    )
    assert code == "auth.forbidden"


def test_an_interpreter_is_no_moderator() -> None:
    room, interp, qid, _ = room_with_items()
    assert not room.state.is_moderator(interp) and room.state.is_interpreter(interp)
    assert room.refuse(interp, "question.hide", role=Role.MODERATOR, question_id=qid) == (
        "auth.forbidden"
    )


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"target": "answer"}, "field.invalid"),
        ({"lang": "english!"}, "field.invalid"),
        ({"lang": None}, "field.invalid"),
        ({"lang": "x" * 40}, "field.invalid"),
        ({"text": ""}, "text.empty"),
        ({"text": "x" * 5000}, "text.too_long"),
        ({"target_id": 999}, "question.not_found"),
    ],
)
def test_bad_translations_are_refused(fields: dict[str, object], code: str) -> None:
    room, interp, qid, _ = room_with_items()
    base = {"target": "question", "target_id": qid, "lang": "es", "text": "¿Dónde?"}
    assert room.refuse(interp, "translation.attach", role=INTERP, **{**base, **fields}) == code


def test_pending_questions_are_not_translated() -> None:
    room, interp, _, _ = room_with_items()
    pending = room.ask("alice", "Later?", approve=False)
    code = room.refuse(
        interp,
        "translation.attach",
        role=INTERP,
        target="question",
        target_id=pending,
        lang="es",
        text="¿Luego?",
    )
    assert code == "question.not_found"


def test_languages_per_item_are_bounded() -> None:
    room, interp, qid, _ = room_with_items()
    langs = ["es", "fr", "de", "pt", "vi", "ar", "zh-Hans", "it", "nl", "pl", "tr", "ru"]
    assert len(langs) == MAX_LANGUAGES
    for lang in langs:
        room.do(
            interp,
            "translation.attach",
            role=INTERP,
            target="question",
            target_id=qid,
            lang=lang,
            text="…?",
        )
    base = {"target": "question", "target_id": qid, "text": "?"}
    code = room.refuse(interp, "translation.attach", role=INTERP, lang="ja", **base)
    assert code == "field.invalid"
    room.do(interp, "translation.attach", role=INTERP, lang="es", **base)  # replacing still works


def test_editing_a_draft_drops_its_translations() -> None:
    room, interp, _, _ = room_with_items()
    draft = room.poll("single", open_=False, options=["A", "B"])
    room.do(
        interp,
        "translation.attach",
        role=INTERP,
        target="poll",
        target_id=draft,
        lang="es",
        text="¿Sí?",
        options=["Sí", "No"],
    )
    room.do(ORG, "poll.edit", poll_id=draft, options=["A", "B", "C"])
    assert room.state.polls[draft].translations == {}


def test_translations_survive_snapshot_and_replay() -> None:
    room, interp, qid, poll_id = room_with_items()
    room.do(
        interp,
        "translation.attach",
        role=INTERP,
        target="question",
        target_id=qid,
        lang="vi",
        text="Trạm xe buýt ở đâu?",
    )
    room.do(
        interp,
        "translation.attach",
        role=INTERP,
        target="poll",
        target_id=poll_id,
        lang="ar",
        text="موافق؟",
        options=["نعم", "لا"],
    )
    live = to_snapshot(room.state)
    assert to_snapshot(from_snapshot(json.loads(json.dumps(live)))) == live
    assert to_snapshot(replay(room.records)) == live


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("es", "es"),
        ("PT-br", "pt-BR"),
        ("zh-hans", "zh-Hans"),
        ("zh_Hant_TW", "zh-Hant-TW"),
        ("es-419", "es-419"),
        ("sl-rozaj", "sl-rozaj"),
    ],
)
def test_tags_come_out_in_canonical_case(raw: str, tag: str) -> None:
    assert canonical_tag(raw) == tag


@given(st.text(max_size=40))
def test_any_tag_is_canonical_or_refused(raw: str) -> None:
    try:
        tag = canonical_tag(raw)
    except CommandError as err:
        assert err.code == "field.invalid"
        return
    assert canonical_tag(tag) == tag and len(tag) <= 35 and tag.isascii()
