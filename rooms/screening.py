"""How a text people type is screened: its language, then the filters with the room's lists.

Questions and open answers record the language the client declared (`lang`, any BCP 47 tag;
only its primary subtag is kept) or, when none was sent, the one detected from the text
(moderation/language.py; None when unsure). The filters then read the text in that language
plus English, with the organiser's allow and deny lists over the shipped ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moderation.filters import RoomLists, TextFilters, Verdict, room_lists
from moderation.language import detect, parse_tag
from rooms.errors import CommandError
from rooms.state import RoomState

__all__ = ["lists_of", "screen", "text_language"]


def text_language(f: Mapping[str, Any], text: str) -> str | None:
    """The declared `lang` field (validated), else the language detected in `text`."""
    raw = f.get("lang")
    if raw is None or raw == "":
        return detect(text)
    tag = parse_tag(raw)
    if tag is None:
        raise CommandError("field.invalid", "lang must be a language tag such as 'es' or 'pt-BR'")
    return tag


def lists_of(state: RoomState) -> RoomLists:
    return room_lists(state.settings.filter_allow, state.settings.filter_deny)


def screen(state: RoomState, filters: TextFilters, text: str, lang: str | None) -> Verdict:
    return filters.check(text, lang, lists_of(state))
