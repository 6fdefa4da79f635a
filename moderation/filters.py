"""Text checks for everything people type: length, emptiness, links, profanity, repeats.

The word lists are data the SERVER loads (from a package, per language) and hands in as a
`TextFilters`; the core never reads a file. Hits become `flags` on the event, so replaying
the log never needs the lists again and a list update cannot change history.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_FILTERS",
    "FLAG_LINK",
    "FLAG_PROFANITY",
    "TextFilters",
    "normalise",
    "words",
]

FLAG_LINK = "link"
FLAG_PROFANITY = "profanity"

# Scheme links, www. links and bare domains with a common TLD: enough to hold spam for review.
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|io|ly|me|co|"
    r"info|biz|xyz|ru|de|uk|fr|app|site|online|link|click)\b"
)
_WORD = re.compile("\\w+(?:['\u2019-]\\w+)*")  # "don't", "e-mail" stay whole


def normalise(text: str) -> str:
    """The comparable form of a text: NFKC, casefolded, punctuation dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(folded))


def words(text: str) -> list[str]:
    return normalise(text).split()


@dataclass(frozen=True, slots=True)
class TextFilters:
    """Per-language profanity word sets (lowercase words; `normalise` is applied to both)."""

    profanity: Mapping[str, frozenset[str]] = field(default_factory=dict)
    detect_links: bool = True
    _all: frozenset[str] = field(init=False, repr=False, compare=False)
    _phrases: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        merged: set[str] = set()
        for wordset in self.profanity.values():
            merged.update(normalise(w) for w in wordset)
        merged.discard("")
        object.__setattr__(self, "_all", frozenset(merged))
        object.__setattr__(self, "_phrases", frozenset(w for w in merged if " " in w))

    def is_profane(self, word: str) -> bool:
        return normalise(word) in self._all

    def flags(self, text: str) -> tuple[str, ...]:
        """Sorted flag names for what this text trips."""
        found: list[str] = []
        if self.detect_links and _LINK.search(text):
            found.append(FLAG_LINK)
        if self._all:
            norm = normalise(text)
            tokens = norm.split()
            # Multi-word entries ("son of a") are matched on the normalised phrase.
            padded = f" {norm} "
            if any(t in self._all for t in tokens) or any(
                f" {w} " in padded for w in self._phrases
            ):
                found.append(FLAG_PROFANITY)
        return tuple(sorted(found))


DEFAULT_FILTERS = TextFilters()
