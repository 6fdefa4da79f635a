"""Interpreters' translations: a question's text, or a poll's question and options, in
another language, attached beside the original (op translation.attach).

The original is never changed: views carry `translations: {lang: ...}` next to it and pages
show the one in the reader's language with the original a tap away. Attaching a language
again replaces that language's text (an interpreter corrects themselves); the transcript
keeps every version. Languages are BCP 47 tags, written in their canonical case ("pt-BR",
"zh-Hans") so that one language is one key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from moderation.filters import TextFilters
from rooms import lookup
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import Event, TranslationAttached
from rooms.fields import clean_line, clean_text, req_id, req_str, str_list
from rooms.lifecycles import PUBLISHED
from rooms.records import Record
from rooms.state import Poll, PollText, RoomState

__all__ = [
    "APPLIERS",
    "DECIDERS",
    "MAX_LANGUAGES",
    "TARGETS",
    "canonical_tag",
    "poll_translations",
]

MAX_LANGUAGES = 12  # translations per item: a meeting's interpreters, not a catalogue
TAG_MAX = 35
POLL_QUESTION_MAX = 500  # as rooms.polls: a translation holds what the original may
OPTION_MAX = 200
# language (2-3 letters), then script (4 letters), region (2 letters or 3 digits), variants
_TAG = re.compile(
    r"^(?P<lang>[A-Za-z]{2,3})(?:-(?P<script>[A-Za-z]{4}))?(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<rest>(?:-[A-Za-z0-9]{5,8}|-[0-9][A-Za-z0-9]{3})*)$"
)
TARGETS = ("question", "poll")  # what an interpreter may translate


def canonical_tag(value: object) -> str:
    """A well-formed BCP 47 language tag in canonical case ("zh-hans" -> "zh-Hans"), or
    CommandError `field.invalid`. Private-use and extension subtags are not accepted."""
    if not isinstance(value, str) or len(value) > TAG_MAX:
        raise CommandError("field.invalid", "lang must be a language tag such as 'es' or 'pt-BR'")
    m = _TAG.match(value.strip().replace("_", "-"))
    if m is None:
        raise CommandError("field.invalid", "lang must be a language tag such as 'es' or 'pt-BR'")
    parts = [m["lang"].lower()]
    if m["script"]:
        parts.append(m["script"].title())
    if m["region"]:
        parts.append(m["region"].upper())
    tag = "-".join(parts) + m["rest"].lower()
    return tag


def poll_translations(poll: Poll) -> dict[str, dict[str, Any]]:
    return {
        lang: {"question": t.question, "options": list(t.options)}
        for lang, t in poll.translations.items()
    }


def _room_for(langs: Mapping[str, object], lang: str) -> None:
    if lang not in langs and len(langs) >= MAX_LANGUAGES:
        raise CommandError("field.invalid", f"at most {MAX_LANGUAGES} languages per item")


def _translatable_poll(state: RoomState, poll_id: int) -> Poll:
    return lookup.poll(state, poll_id)  # drafts too: translated before they open


def _check_question(state: RoomState, question_id: int) -> None:
    q = lookup.question(state, question_id)
    if q.state not in PUBLISHED:  # only what attendees can read is worth translating
        raise CommandError("question.not_found", "only published questions are translated")


def decide_attach(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    target = f.get("target")
    if target not in TARGETS:
        raise CommandError("field.invalid", "target must be 'question' or 'poll'")
    target_id = req_id(f, "target_id")
    lang = canonical_tag(f.get("lang"))
    if target == "question":
        _check_question(state, target_id)
        _room_for(state.questions[target_id].translations, lang)
        text = clean_text(req_str(f, "text"), state.settings.question_max_length)
        return TranslationAttached("question", target_id, lang, text)
    poll = _translatable_poll(state, target_id)
    _room_for(poll.translations, lang)
    text = clean_text(req_str(f, "text"), POLL_QUESTION_MAX)
    n = len(poll.defn.options)
    options = tuple(
        clean_line(o, OPTION_MAX) for o in str_list(f.get("options", []), "options", max_items=n)
    )
    if len(options) != len(poll.defn.options):
        raise CommandError(
            "field.invalid", f"options must hold {len(poll.defn.options)} translations, in order"
        )
    return TranslationAttached("poll", target_id, lang, text, options)


DECIDERS: dict[str, Decider] = {"translation.attach": decide_attach}


def apply_attached(state: RoomState, rec: Record, ev: TranslationAttached, fx: Effects) -> None:
    fx.target = f"{ev.target}:{ev.target_id}"
    fx.reason = ev.lang
    if ev.target == "question":
        _check_question(state, ev.target_id)
        q = state.questions[ev.target_id]
        _room_for(q.translations, ev.lang)
        fx.before = q.translations.get(ev.lang)
        q.translations[ev.lang] = fx.after = ev.text
        fx.touch("question", q.id, "question.translated")
    else:
        poll = _translatable_poll(state, ev.target_id)
        _room_for(poll.translations, ev.lang)
        if len(ev.options) != len(poll.defn.options):  # edited since it was decided
            raise CommandError("field.invalid", "the poll's options changed")
        old = poll.translations.get(ev.lang)
        if old is not None:
            fx.before = {"question": old.question, "options": list(old.options)}
        poll.translations[ev.lang] = PollText(ev.text, ev.options)
        fx.after = {"question": ev.text, "options": list(ev.options)}
        fx.touch("poll", poll.id, "poll.translated")
    fx.result = {"target": ev.target, "target_id": ev.target_id, "lang": ev.lang}


APPLIERS: dict[type[Event], Applier] = {TranslationAttached: apply_attached}
