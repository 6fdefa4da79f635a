"""Whole words only (no Scunthorpe), disguises read as whole words, ordinary words spared."""

from __future__ import annotations

import pytest

from moderation.fold import fold
from moderation.matching import Lexicon, Severity

S, M = Severity.SEVERE, Severity.MILD
LEX = Lexicon(
    {
        "en": {
            "shit": S,
            "fuck": S,
            "cock": M,
            "ass": S,
            "dick": M,
            "cunt": S,
            "son of a bitch": S,
        },
        "es": {"mierda": S, "pendejo": S, "hijo de puta": S},
        "fr": {"con": S, "retard": S},
    },
    ordinary={"es": ["con"], "fr": ["retard"]},
)
ALL = None


def terms(text: str, langs: frozenset[str] | None = ALL, home: tuple[str, ...] = (),
          sure: bool = False) -> list[tuple[str, Severity]]:  # fmt: skip
    return [(h.term, h.severity) for h in LEX.find(fold(text), langs, home, sure)]


@pytest.mark.parametrize(
    "text",
    [
        "Hancock Street", "assassinate the mayor", "cocktail bars", "Scunthorpe buses",
        "Essex and Sussex", "Penistone station", "class assessment", "Cockburn's report",
        "Shitterton broadband", "Dickinson Park", "cunterpart", "passes", "Matsushita",
    ],
)  # fmt: skip
def test_no_scunthorpe(text: str) -> None:
    assert terms(text) == []


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("this is sh\u0456t", "shit"),  # look-alike letter
        ("5h1t council", "shit"),  # leetspeak
        ("s.h.i.t council", "shit"),  # spelled out with dots
        ("what a s h i t plan", "shit"),  # spelled out with spaces
        ("fuuuuuck", "fuck"),  # stretched
        ("f*ck this", "fuck"),  # masked
        ("\uff46\uff55\uff43\uff4b", "fuck"),  # full-width
        ("eres un PENDEJO", "pendejo"),
        ("unos pendejos", "pendejo"),  # plural
        ("mierdas", "mierda"),
        ("you son of a bitch", "son of a bitch"),  # phrase
        ("hijo de p.u.t.a", "hijo de puta"),  # never mind the dots: the phrase is all words
    ],
)
def test_disguises_are_read(text: str, term: str) -> None:
    assert (term, S) in terms(text)


def test_masks_only_reach_severe_terms() -> None:
    assert terms("c*ck") == []  # "cock" is mild: a mask alone is not enough
    assert terms("f***") == []  # one letter shown could be any word


def test_lists_of_other_languages_stay_out() -> None:
    assert terms("mierda", frozenset({"en"}), ("en",), True) == []
    assert terms("mierda", frozenset({"es", "en"}), ("es",), True) == [("mierda", S)]


def test_ordinary_words_of_the_texts_language_never_hit() -> None:
    spanish = frozenset({"es", "fr", "en"})
    assert terms("café con leche", spanish, ("es",), True) == []
    assert terms("le bus a du retard", frozenset({"fr", "en"}), ("fr",), True) == []
    assert terms("espèce de con", frozenset({"fr", "en"}), ("fr",), True) == [("con", S)]
    # language unknown: ordinary somewhere means mild at most
    assert terms("con") == [("con", M)]


def test_room_lists() -> None:
    allow, deny = frozenset({"shit"}), frozenset({"potato head"})
    found = LEX.find(fold("shit, what a POTATO HEAD"), ALL, (), False, allow, deny)
    assert [(h.term, h.severity, h.lang) for h in found] == [("potato head", S, "room")]
