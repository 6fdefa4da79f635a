"""The figures docs/MODERATION.md reports, on the shipped lists: the issue's acceptance test.

At least 100 civic sentences in four languages are never held for review (nor flagged at
all), and at least 95 % of at least 100 abusive ones, disguised spellings included, are.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.filters import TextFilters
from server.filters import load_filters
from tests.moderation.corpus import ABUSIVE, CIVIC, figures, sentences

LANGS = {"en", "es", "fr", "pt"}


@pytest.fixture(scope="module")
def filters() -> TextFilters:
    return load_filters()


def test_the_sets_are_what_the_issue_asks_for() -> None:
    assert len(CIVIC) >= 100 and len(ABUSIVE) >= 100
    assert {s.lang for s in CIVIC} == {s.lang for s in ABUSIVE} == LANGS
    for lang in LANGS:  # no language a token presence
        assert sum(s.lang == lang for s in CIVIC) >= 25
        assert sum(s.lang == lang for s in ABUSIVE) >= 25


@pytest.mark.parametrize("declared", [False, True], ids=["detected", "declared"])
def test_no_civic_sentence_is_held_or_flagged(filters: TextFilters, declared: bool) -> None:
    f = figures(filters, CIVIC, declared)
    assert (f.held, f.flagged) == (0, 0)


@pytest.mark.parametrize("declared", [False, True], ids=["detected", "declared"])
def test_abusive_sentences_are_held(filters: TextFilters, declared: bool) -> None:
    f = figures(filters, ABUSIVE, declared)
    assert f.rate(f.held) >= 0.95


def test_held_out_sets_stay_at_their_measured_figures(filters: TextFilters) -> None:
    # Written after the review tables were tuned and never used to tune them: the honest
    # estimate (docs/MODERATION.md). A floor, so that a change that makes them worse fails.
    civic = figures(filters, sentences("holdout_civic.tsv"), False)
    abusive = figures(filters, sentences("holdout_abusive.tsv"), False)
    assert civic.held <= 1
    assert abusive.held >= 33


_PUNCT = st.sampled_from(
    [",", ";", ":", ".", "!", "?", "…", " -", " \u2013", '"', "«", "»", "(", ")"]
)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_punctuation_never_flags_a_clean_civic_sentence(
    filters: TextFilters, data: st.DataObject
) -> None:
    sentence = data.draw(st.sampled_from(CIVIC))
    words = sentence.text.split(" ")
    marked = [w + data.draw(_PUNCT) if data.draw(st.booleans()) else w for w in words]
    text = data.draw(_PUNCT) + " ".join(marked) + data.draw(_PUNCT)
    assert filters.check(text).flags == ()
    assert filters.check(text, sentence.lang).flags == ()
