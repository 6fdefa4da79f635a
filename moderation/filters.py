"""Text checks for everything people type: links and abusive words, per language, by severity.

The word lists are data the SERVER loads (server/filters.py) and hands in as a `TextFilters`;
the core never reads a file. A check's result becomes `flags` and `terms` on the event, so
replaying the log never needs the lists again and a list update cannot change history.

Flags and what they do (see docs/MODERATION.md for the policy):

    link             a URL or bare domain                  holds a text for review
    profanity        a severe term of the text's language  holds a text for review
    deny             a term on the room's own deny list    holds a text for review
    profanity.mild   a mild term                           shown to moderators only

"Holds" means: in a post-moderated room the question or open answer waits as pending
instead of being published; in a pre-moderated room everything waits anyway and the flags
are the moderators' reason to look twice. Word-cloud words are held on any flag.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from moderation.fold import fold, tokens
from moderation.language import candidates, detect, plausible
from moderation.matching import Hit, Lexicon, Severity
from moderation.sources import Lists

__all__ = [
    "DEFAULT_FILTERS",
    "FLAG_DENY",
    "FLAG_LINK",
    "FLAG_MILD",
    "FLAG_PROFANITY",
    "HOLDING_FLAGS",
    "NO_LISTS",
    "RoomLists",
    "Severity",
    "TextFilters",
    "Verdict",
    "holds",
    "normalise",
    "room_lists",
    "words",
]

FLAG_LINK = "link"
FLAG_PROFANITY = "profanity"
FLAG_DENY = "deny"
FLAG_MILD = "profanity.mild"
HOLDING_FLAGS = frozenset({FLAG_LINK, FLAG_PROFANITY, FLAG_DENY})
BASE_LANGUAGE = "en"  # applied beside the text's own language: English swearing is everywhere

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


def holds(flags: Iterable[str]) -> bool:
    """Whether these flags keep a text from being published before a moderator looks."""
    return any(f in HOLDING_FLAGS for f in flags)


@dataclass(frozen=True, slots=True)
class RoomLists:
    """The organiser's overrides, folded: `allow` beats every list, `deny` adds severe terms."""

    allow: frozenset[str] = frozenset()
    deny: frozenset[str] = frozenset()


NO_LISTS = RoomLists()


def _fold_term(term: str) -> str:
    return " ".join(tokens(fold(term)))


@lru_cache(maxsize=256)
def room_lists(allow: tuple[str, ...], deny: tuple[str, ...]) -> RoomLists:
    """RoomLists from a room's settings (cached: the same tuples come with every vote)."""
    if not allow and not deny:
        return NO_LISTS
    return RoomLists(
        frozenset(_fold_term(t) for t in allow), frozenset(_fold_term(t) for t in deny)
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a check found: sorted flag names, and the listed terms that matched (the reason)."""

    flags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()

    @property
    def holds(self) -> bool:
        return holds(self.flags)


def _by_severity(
    severe: Mapping[str, Iterable[str]], mild: Mapping[str, Iterable[str]]
) -> dict[str, dict[str, Severity]]:
    lists: dict[str, dict[str, Severity]] = {}
    for lang, terms in mild.items():
        lists.setdefault(lang, {}).update(dict.fromkeys(terms, Severity.MILD))
    for lang, terms in severe.items():
        lists.setdefault(lang, {}).update(dict.fromkeys(terms, Severity.SEVERE))
    return lists


@dataclass(frozen=True, slots=True)
class TextFilters:
    """Per-language word sets: `profanity` (severe) and `mild`, any spelling (they are folded).

    `check(text, lang)` applies the lists of `lang` and English; with no language, all of
    them (a text too short to tell is still read in every language there is a list for).
    """

    profanity: Mapping[str, frozenset[str]] = field(default_factory=dict)
    mild: Mapping[str, frozenset[str]] = field(default_factory=dict)
    ordinary: Mapping[str, frozenset[str]] = field(default_factory=dict)  # never flagged there
    detect_links: bool = True
    _lexicon: Lexicon = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lexicon = Lexicon(_by_severity(self.profanity, self.mild), self.ordinary)
        object.__setattr__(self, "_lexicon", lexicon)

    @classmethod
    def from_lists(cls, lists: Lists, detect_links: bool = True) -> TextFilters:
        return cls(lists.severe, lists.mild, lists.ordinary, detect_links)

    @property
    def languages(self) -> frozenset[str]:
        return self._lexicon.languages

    def hits(self, text: str, lang: str | None = None, lists: RoomLists = NO_LISTS) -> list[Hit]:
        """What `text` trips, read as `lang` (None: guessed here from the text itself)."""
        detected = detect(text)
        if lang is None and detected is None:
            # Too little to tell: every list, and a word that is ordinary in any language the
            # text may be in (or any at all) hits as mild at most.
            home = candidates(text)
            return self._lexicon.find(fold(text), None, home, False, lists.allow, lists.deny)
        # A declared language is often just the interface's, and a detected one may be a
        # near miss: the lists of every plausible language apply too.
        home = (lang,) if lang is not None else (detected,) if detected is not None else ()
        langs = frozenset({*home, *plausible(text), BASE_LANGUAGE})
        return self._lexicon.find(fold(text), langs, home, True, lists.allow, lists.deny)

    def check(self, text: str, lang: str | None = None, lists: RoomLists = NO_LISTS) -> Verdict:
        found: set[str] = set()
        if self.detect_links and _LINK.search(text):
            found.add(FLAG_LINK)
        hits = self.hits(text, lang, lists)
        for hit in hits:
            if hit.lang == "room":
                found.add(FLAG_DENY)
            elif hit.severity is Severity.SEVERE:
                found.add(FLAG_PROFANITY)
            else:
                found.add(FLAG_MILD)
        return Verdict(tuple(sorted(found)), tuple(sorted({h.term for h in hits})))

    def flags(
        self, text: str, lang: str | None = None, lists: RoomLists = NO_LISTS
    ) -> tuple[str, ...]:
        """Sorted flag names for what this text trips."""
        return self.check(text, lang, lists).flags

    def is_profane(self, word: str, lang: str | None = None, lists: RoomLists = NO_LISTS) -> bool:
        """Whether `word` trips any list (mild included)."""
        return bool(self.hits(word, lang, lists))


DEFAULT_FILTERS = TextFilters()
