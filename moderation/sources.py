"""From the shipped word lists to severities: the policy, as a pure function of the data.

Two independent, maintained sources are combined (docs/MODERATION.md says why these two):

* `rated`: cuss, each term rated 0-2 for how likely it is meant as abuse rather than as a
  clean word (2 likely, 1 maybe, 0 unlikely);
* `listed`: badwords-py, flat lists for 25 languages (LDNOOBW, washyourmouthoutwithsoap
  and its own curation), no ratings.

A term is SEVERE when the rated source says "likely abuse" (2) *and* the other source lists
it too: two lists compiled apart agreeing is what keeps "cola" (a queue), "leche" (milk)
and "gros" (big), which cuss alone rates 2, from holding a question. Every other listed
term is MILD (flagged for moderators, never holding), except that a 0 rating drops a term
("gay", "hell"): the rated source has looked and found it clean. Then the project's own
review (moderation/review.py) has the last word: ordinary words of a language are never
flagged in it, and a few terms are moved up or down by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from moderation.fold import fold, tokens
from moderation.review import ORDINARY, REVIEW_MILD, REVIEW_SEVERE

__all__ = ["Lists", "combine"]


@dataclass(frozen=True, slots=True)
class Lists:
    """What TextFilters takes: per language, severe terms, mild terms, ordinary words."""

    severe: dict[str, frozenset[str]]
    mild: dict[str, frozenset[str]]
    ordinary: dict[str, frozenset[str]]


def _key(term: str) -> str:
    return " ".join(tokens(fold(term)))


def _folded(terms: Iterable[str]) -> set[str]:
    return {k for k in (_key(t) for t in terms) if k}


def combine(
    rated: Mapping[str, Mapping[str, int]],
    listed: Mapping[str, Iterable[str]],
    *,
    ordinary: Mapping[str, Iterable[str]] = ORDINARY,
    promote: Mapping[str, Iterable[str]] = REVIEW_SEVERE,
    demote: Mapping[str, Iterable[str]] = REVIEW_MILD,
) -> Lists:
    severe: dict[str, frozenset[str]] = {}
    mild: dict[str, frozenset[str]] = {}
    langs = set(rated) | set(listed) | set(promote) | set(demote)
    for lang in sorted(langs):
        ratings: dict[str, int] = {}
        for term, rating in rated.get(lang, {}).items():
            key = _key(term)
            if key:
                ratings[key] = max(rating, ratings.get(key, 0))
        others = _folded(listed.get(lang, ()))
        clean = {t for t, r in ratings.items() if r == 0}
        sure = {t for t, r in ratings.items() if r == 2} & others
        maybe = (set(ratings) | others) - clean - sure
        never = _folded(ordinary.get(lang, ()))
        up, down = _folded(promote.get(lang, ())), _folded(demote.get(lang, ()))
        sure = (sure | up) - down - never
        maybe = (maybe | down) - sure - never
        if sure:
            severe[lang] = frozenset(sure)
        if maybe:
            mild[lang] = frozenset(maybe)
    words = {lang: frozenset(_folded(ws)) for lang, ws in ordinary.items()}
    return Lists(severe=severe, mild=mild, ordinary={k: v for k, v in words.items() if v})
