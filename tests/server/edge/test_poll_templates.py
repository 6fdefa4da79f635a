"""Poll templates (server/edge/poll_templates.py): each built-in one fills the builder with
a definition the room accepts, in the panel's language; "Copy into the builder" takes the
same path from an existing poll."""

from __future__ import annotations

import pytest
from starlette.datastructures import FormData

from rooms.render import poll_view
from server.edge.i18n import translator
from server.edge.page_forms import op_fields
from server.edge.poll_templates import BUILT_IN, Template, builder_draft, template_draft
from tests.rooms.harness import ORG, Room


def _same(text: str) -> str:
    return text


@pytest.mark.parametrize("template", BUILT_IN, ids=[t.key for t in BUILT_IN])
def test_every_template_makes_a_poll_the_room_accepts(template: Template) -> None:
    draft = template_draft(template.key, _same)
    assert draft is not None
    room = Room()
    poll_id = room.do(ORG, "poll.create", **draft)["poll_id"]
    made = room.state.polls[poll_id].defn
    assert made.kind == draft["kind"] and made.question == draft["question"]
    assert list(made.options) == draft["options"]


def test_a_template_speaks_the_panels_language() -> None:
    draft = template_draft("agree", translator("fr"))
    assert draft == {
        "kind": "single",
        "question": "Êtes-vous d'accord avec la proposition ?",
        "options": ["D'accord", "Pas d'accord", "Ne sait pas"],
    }
    assert template_draft("rate", translator("de")) == {
        "kind": "rating", "question": "Wie bewerten Sie den Vorschlag?", "options": [], "scale": 5,
    }


def test_copy_into_the_builder_is_the_same_path() -> None:
    room = Room()
    poll_id = room.do(ORG, "poll.create", kind="quiz", question="Capital?",
                      options=["Paris", "Lyon", "Nice"], correct=[1, 2])["poll_id"]
    room.do(ORG, "poll.open", poll_id=poll_id)
    other = room.do(ORG, "poll.create", kind="multiple", question="Days?",
                    options=["Mon", "Tue", "Wed"], max_selections=2)["poll_id"]
    polls = [poll_view(room.state, p, _moderator()) for p in room.state.polls.values()]
    quiz = builder_draft({"duplicate": str(poll_id)}, polls, _same)
    assert quiz is not None and quiz["options"] == ["Paris", "*Lyon", "*Nice"]
    # what the builder's form then posts, read as the panel reads it
    form = FormData({"kind": "quiz", "question": quiz["question"],
                     "options": "\n".join(quiz["options"])})
    again = room.do(ORG, "poll.create", **op_fields("poll.create", form, room.state))["poll_id"]
    assert room.state.polls[again].defn.correct == room.state.polls[poll_id].defn.correct
    assert builder_draft({"duplicate": str(other)}, polls, _same) == {
        "kind": "multiple", "question": "Days?", "options": ["Mon", "Tue", "Wed"],
        "max_selections": 2,
    }
    # a template wins over a duplicate; nonsense is no draft at all
    assert builder_draft({"template": "yes-no", "duplicate": str(other)}, polls, _same)[
        "kind"] == "single"
    for params in ({"template": "nope"}, {"duplicate": "x1"}, {"duplicate": "999"}, {}):
        assert builder_draft(params, polls, _same) is None


def _moderator() -> object:
    from moderation.roles import Role

    return Role.ORGANISER
