from __future__ import annotations

import pytest

from moderation.filters import DEFAULT_FILTERS, TextFilters, normalise, words


def test_normalise() -> None:
    assert normalise("  \uff28\uff45\uff4c\uff4c\uff4f,   WORLD!! ")  # fullwidth == "hello world"
    assert normalise("Don't e-mail") == "don't e-mail"
    assert words("Straße; STRASSE") == ["strasse", "strasse"]


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("See https://example.org now", ("link",)),
        ("www.spam.example", ("link",)),
        ("buy at cheap-pills.com", ("link",)),
        ("The 3.5 percent rise", ()),
        ("Why the potholes?", ()),
    ],
)
def test_links(text: str, flags: tuple[str, ...]) -> None:
    assert DEFAULT_FILTERS.flags(text) == flags


def test_profanity_per_language_and_phrases() -> None:
    f = TextFilters(profanity={"en": frozenset({"Darn", "son of a"}), "de": frozenset({"mist"})})
    assert f.flags("Oh DARN!") == ("profanity",)
    assert f.flags("So ein Mist") == ("profanity",)
    assert f.flags("you son of a gun") == ("profanity",)
    assert f.flags("Darning socks") == ()
    assert f.flags("darn www.x.com") == ("link", "profanity")
    assert f.is_profane("DARN") and not f.is_profane("sock")
    assert TextFilters(detect_links=False).flags("www.x.com") == ()


def test_default_has_no_words() -> None:
    assert DEFAULT_FILTERS.flags("darn") == ()
