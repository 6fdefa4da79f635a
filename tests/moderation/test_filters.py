from __future__ import annotations

import pytest

from moderation.filters import (
    DEFAULT_FILTERS,
    NO_LISTS,
    TextFilters,
    Verdict,
    holds,
    normalise,
    room_lists,
    words,
)


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


FILTERS = TextFilters(
    profanity={"en": frozenset({"shit"}), "es": frozenset({"mierda"})},
    mild={"en": frozenset({"crap"})},
    ordinary={"es": frozenset({"con"})},
)


def test_severity_decides_what_holds() -> None:
    severe = FILTERS.check("What a shit plan")
    mild = FILTERS.check("What a crap plan")
    assert (severe.flags, severe.terms, severe.holds) == (("profanity",), ("shit",), True)
    assert (mild.flags, mild.terms, mild.holds) == (("profanity.mild",), ("crap",), False)
    assert holds(("link",)) and holds(("deny",)) and not holds(("profanity.mild",))


def test_language_picks_the_lists() -> None:
    assert FILTERS.flags("mierda", "en") == ()  # declared English, and nothing says otherwise
    assert FILTERS.flags("Es una mierda", "en") == ("profanity",)  # detected Spanish applies too
    assert FILTERS.flags("mierda") == ("profanity",)  # unknown: every list
    assert FILTERS.flags("shit", "es") == ("profanity",)  # English always applies


def test_room_lists_override_the_shipped_ones() -> None:
    lists = room_lists(("Shit",), ("Potato   head", "baked beans"))
    assert FILTERS.check("shit happens", lists=lists).flags == ()
    assert FILTERS.check("You POTATO-HEAD", lists=lists) == Verdict(("deny",), ("potato head",))
    assert room_lists((), ()) is NO_LISTS
