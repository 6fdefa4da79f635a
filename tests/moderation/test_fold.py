"""Folding undoes disguises, keeps ordinary text comparable, and is idempotent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moderation.fold import fold, tokens


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("sh\u0456t", "shit"),  # Cyrillic i (U+0456)
        ("\u0455\u04bb\u0456\u0442", "shit"),  # every letter a Cyrillic look-alike
        ("\u03b1\u03c1\u03c3e", "\u03b1\u03c1\u03c3e"),  # sigma has no Latin twin: left alone
        ("\uff26\uff35\uff23\uff2b", "fuck"),  # full-width
        ("\U0001d41f\U0001d42e\U0001d41c\U0001d424", "fuck"),  # mathematical bold
        ("5h1t", "shit"),
        ("$h!t", "shit"),
        ("@ss", "ass"),
        ("s\u0336h\u0336i\u0336t\u0336", "shit"),  # strike-through marks
        ("co\u00adck", "cock"),  # soft hyphen
        ("fu\u200bck", "fuck"),  # zero-width space
        ("Straße", "strasse"),
    ],
)
def test_disguises_fold_away(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    "text",
    ["2024", "3.5 %", "B12 vitamins", "Hello!", "a+b", "мир", "Ελλάδα", "año", "café", "naïve"],
)
def test_ordinary_text_keeps_its_letters(text: str) -> None:
    assert tokens(fold(text)) == tokens(text.casefold()) or fold(text) == text.casefold()


def test_russian_words_stay_russian() -> None:
    assert fold("Мир") == "мир"  # м, и are not look-alikes: the word keeps its script


@given(st.text(max_size=80))
def test_folding_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_tokens_of_folded_text_are_words(text: str) -> None:
    for word in tokens(fold(text)):
        assert word and all(ch.isalnum() for ch in word)
