"""Whole-word matching of folded text against severity-rated word lists.

A term matches only as whole words (or a run of whole words, for phrases): "Scunthorpe",
"Hancock", "cocktail" and "assassinate" contain listed letters but are different words, so
nothing inside a word ever matches. What people do to hide a word *across* word boundaries
is read here as extra candidates, each still a whole word:

* stretched letters, `fuuuuck`: runs of three or more of one letter read as one or two;
* spelled out, `s.h.i.t`, `f u c k`: three or more one-letter words in a row read joined;
* masked, `f*ck`, `sh**`: letters with `*` or `#` in them read against severe terms of the
  same length (severe only: a mask says the writer meant a word worth hiding);
* plurals, `pendejos`: a trailing `s`/`es` read off words of five letters or more.

All candidates come from `fold`ed text (moderation/fold.py), so look-alike letters,
full-width forms and leetspeak are already undone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import IntEnum

from moderation.fold import fold, tokens

__all__ = ["Hit", "Lexicon", "Severity", "candidates"]

MAX_PHRASE_WORDS = 6
_SPELLED_MIN = 3  # one-letter words in a row before they are read as one word
_SPELLED_MAX = 24  # longest spelled-out run examined (bounds the work per text)
_STRETCH = re.compile(r"([^\W\d_])\1{2,}")
_TOKEN = re.compile(r"[^\W_]+")  # as moderation.fold.tokens
_MASKED = re.compile(r"[^\W\d_]+[*#]+[^\W\d_]*|[*#]+[^\W\d_]+")


class Severity(IntEnum):
    """How sure a listed term is abuse. SEVERE holds a text for review; MILD only flags it."""

    MILD = 1
    SEVERE = 2


@dataclass(frozen=True, slots=True)
class Hit:
    term: str  # the listed (folded) term
    severity: Severity
    lang: str  # the list it came from; "room" for the organiser's deny list


def _stretched(word: str) -> tuple[str, ...]:
    if not _STRETCH.search(word):
        return ()
    return (_STRETCH.sub(r"\1", word), _STRETCH.sub(r"\1\1", word))


def _plural(word: str) -> tuple[str, ...]:
    if len(word) < 5 or not word.endswith("s"):
        return ()
    return (word[:-2], word[:-1]) if word.endswith("es") else (word[:-1],)


def _spelled(words: list[str]) -> Iterator[str]:
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        if len(run) >= _SPELLED_MIN:
            joined = "".join(run[:_SPELLED_MAX])
            for i in range(len(joined)):
                for j in range(i + _SPELLED_MIN, len(joined) + 1):
                    yield joined[i:j]
        run = []


def _joined(words: list[str]) -> list[str]:
    """The words with each spelled-out run read as one word ("hijo de p u t a")."""
    out: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1 and w.isalpha():
            run.append(w)
            continue
        out.extend(["".join(run)] if len(run) >= _SPELLED_MIN else run)
        run = []
        if w:
            out.append(w)
    return out


def candidates(folded: str, max_words: int) -> Iterator[str]:
    """Every reading of `folded` text that may equal a listed term (duplicates possible)."""
    words = tokens(folded)
    for i, word in enumerate(words):
        yield word
        yield from _stretched(word)
        yield from _plural(word)
        for n in range(2, min(max_words, len(words) - i) + 1):
            yield " ".join(words[i : i + n])
    yield from _spelled(words)
    joined = _joined(words)
    if joined != words:
        for i in range(len(joined)):
            for n in range(2, min(max_words, len(joined) - i) + 1):
                yield " ".join(joined[i : i + n])


def _outside(folded: str, phrases: list[str]) -> list[str]:
    """The stretches of `folded` text outside every occurrence of `phrases` (allowed or
    ordinary multi-word terms): "Shit Creek" allowed protects its "shit", there only."""
    if not phrases:
        return [folded]
    spans = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(folded)]
    words = [w for _, _, w in spans]
    cut: list[tuple[int, int]] = []
    for phrase in phrases:
        target = phrase.split()
        for i in range(len(words) - len(target) + 1):
            if words[i : i + len(target)] == target:
                cut.append((spans[i][0], spans[i + len(target) - 1][1]))
    parts, start = [], 0
    for lo, hi in sorted(cut):
        if lo >= start:
            parts.append(folded[start:lo])
        start = max(start, hi)
    parts.append(folded[start:])
    return [p for p in parts if p.strip()]


class Lexicon:
    """Folded term -> severity per language, built once from the lists the server loads."""

    __slots__ = ("_any_ordinary", "_by_length", "_max_words", "_ordinary", "_terms")

    def __init__(
        self,
        lists: Mapping[str, Mapping[str, Severity]],
        ordinary: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self._ordinary = {
            lang: frozenset(" ".join(tokens(fold(w))) for w in ws)
            for lang, ws in (ordinary or {}).items()
        }
        self._any_ordinary = frozenset().union(*self._ordinary.values())
        terms: dict[str, dict[str, Severity]] = {}
        for lang, entries in lists.items():
            for raw, severity in entries.items():
                term = " ".join(tokens(fold(raw)))
                if not term:
                    continue
                per_lang = terms.setdefault(term, {})
                per_lang[lang] = max(severity, per_lang.get(lang, Severity.MILD))
        self._terms = terms
        self._max_words = min(MAX_PHRASE_WORDS, max((t.count(" ") + 1 for t in terms), default=1))
        by_length: dict[int, list[str]] = {}
        for term, per_lang in terms.items():
            if " " not in term and len(term) >= 4 and Severity.SEVERE in per_lang.values():
                by_length.setdefault(len(term), []).append(term)
        self._by_length = {n: tuple(sorted(ts)) for n, ts in by_length.items()}

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(lang for per_lang in self._terms.values() for lang in per_lang)

    def __len__(self) -> int:
        return len(self._terms)

    def find(
        self,
        folded: str,
        langs: frozenset[str] | None,
        home: tuple[str, ...],
        sure: bool,
        allow: frozenset[str] = frozenset(),
        deny: frozenset[str] = frozenset(),
    ) -> list[Hit]:
        """Hits in `folded` text from the lists of `langs` (every list when None), then the
        room's own lists: `allow` terms never hit, `deny` terms always hit as severe.

        `home` is the language the text is written in, or the few it may be written in (none:
        no idea). An ordinary word of the text's language never hits ("negro" in Spanish,
        "retard" in French, whichever list has it) when that language is `sure` or the word
        is ordinary in every language the text may be in; otherwise it hits as mild at most.
        """
        sets = [self._ordinary.get(lang, frozenset()) for lang in home]
        if not sets:
            skip, soften = frozenset[str](), self._any_ordinary
        elif sure:
            skip, soften = frozenset().union(*sets), frozenset()
        else:
            skip, soften = frozenset.intersection(*sets), frozenset().union(*sets)
        deny_words = max((t.count(" ") + 1 for t in deny), default=1)
        max_words = max(self._max_words, min(MAX_PHRASE_WORDS, deny_words))
        found: list[tuple[str, bool]] = []
        for part in _outside(folded, [p for p in allow | skip if " " in p]):
            found += [(cand, False) for cand in candidates(part, max_words)]
            found += [(t, True) for m in _MASKED.findall(part) for t in self._unmask(m)]
        hits: dict[str, Hit] = {}
        for cand, masked in found:
            if cand in allow:
                continue  # the organiser's word is final, even over their own deny list
            if cand in deny:
                hits[cand] = Hit(cand, Severity.SEVERE, "room")
                continue
            if cand in skip:
                continue
            for list_lang, severity in self._terms.get(cand, {}).items():
                if langs is not None and list_lang not in langs:
                    continue
                if masked and severity is not Severity.SEVERE:
                    continue
                if cand in soften:
                    severity = Severity.MILD
                known = hits.get(cand)
                if known is None or severity > known.severity:
                    hits[cand] = Hit(cand, severity, list_lang)
        return sorted(hits.values(), key=lambda h: h.term)

    def _unmask(self, masked: str) -> list[str]:
        if sum(ch.isalpha() for ch in masked) < 2:  # "f***" could be anything
            return []
        shape = re.compile("".join("." if ch in "*#" else re.escape(ch) for ch in masked))
        return [t for t in self._by_length.get(len(masked), ()) if shape.fullmatch(t)]
