"""The room's default interface language: a loose BCP 47 tag; the edge decides what is shipped."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.roles import Role
from rooms import CommandError, snapshot_view
from rooms.settings import RoomSettings, parse_settings
from tests.rooms.harness import ORG, Room


@pytest.mark.parametrize("tag", ["es", "pt-BR", "zh-Hans", "zh-Hant-TW", "es-419", "ar", "fil"])
def test_language_tags_are_accepted(tag: str) -> None:
    assert parse_settings({"language": tag}, RoomSettings()).language == tag


@pytest.mark.parametrize(
    "bad", [5, True, "e", "english", "es_ES", "es-", "-es", "es-ES-x-y-z-w", "<b>", " es"]
)
def test_bad_language_tags_are_refused(bad: Any) -> None:
    with pytest.raises(CommandError) as err:
        parse_settings({"language": bad}, RoomSettings())
    assert err.value.code == "field.invalid"


@pytest.mark.parametrize("cleared", [None, ""])
def test_an_empty_language_clears_the_default(cleared: Any) -> None:
    base = RoomSettings(language="fr")
    assert parse_settings({"language": cleared}, base).language is None


def test_the_organiser_sets_it_and_everyone_sees_it() -> None:
    room = Room(language="vi")
    assert room.state.settings.language == "vi"
    room.do(ORG, "room.update", settings={"language": "ar"})
    assert room.state.settings.language == "ar"
    assert room.state.audit[-1].before == {"language": "vi"}
    room.do("ana", "participant.join", name="Ana")
    assert snapshot_view(room.state, Role.ATTENDEE, "ana")["room"]["settings"]["language"] == "ar"
    assert room.refuse(ORG, "room.update", settings={"language": "arabic"}) == "field.invalid"


def test_old_rooms_without_the_setting_still_load() -> None:
    old = RoomSettings().to_dict()
    del old["language"]
    assert RoomSettings.from_dict(old).language is None
