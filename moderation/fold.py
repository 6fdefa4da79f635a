"""Folding: one comparable spelling for text that people disguise.

`fold` undoes the disguises that keep a word readable to people but not to a word list:
full-width and styled letters (NFKC), case, stray combining marks and invisible format
characters, Cyrillic and Greek look-alikes ("shit" with U+0456 for its i), and leetspeak inside
words (`5h1t`, `$h!t`). Word lists are folded the same way, so both sides meet in one
alphabet. What is *not* folded here, because it changes word boundaries or needs a choice
between readings (stretched letters, `s.h.i.t`, `f*ck`), is left to the matcher
(`moderation.matching`), which tries those readings as extra candidates.

`fold` is idempotent: folding folded text changes nothing (a property test checks it).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["fold", "fold_token", "tokens"]

# Letters from other scripts that pass for Latin ones in most fonts (after casefolding),
# by Unicode name so that a reader sees which is which. Only tokens that are Latin already,
# or made of nothing but look-alikes, are mapped: a Russian or Greek word keeps its letters.
_LOOKALIKE_NAMES: dict[str, str] = {
    "CYRILLIC SMALL LETTER A": "a",
    "CYRILLIC SMALL LETTER VE": "b",
    "CYRILLIC SMALL LETTER IE": "e",
    "CYRILLIC SMALL LETTER IO": "e",
    "CYRILLIC SMALL LETTER KA": "k",
    "CYRILLIC SMALL LETTER EM": "m",
    "CYRILLIC SMALL LETTER EN": "h",
    "CYRILLIC SMALL LETTER O": "o",
    "CYRILLIC SMALL LETTER ER": "p",
    "CYRILLIC SMALL LETTER ES": "c",
    "CYRILLIC SMALL LETTER TE": "t",
    "CYRILLIC SMALL LETTER U": "y",
    "CYRILLIC SMALL LETTER HA": "x",
    "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I": "i",
    "CYRILLIC SMALL LETTER YI": "i",
    "CYRILLIC SMALL LETTER JE": "j",
    "CYRILLIC SMALL LETTER DZE": "s",
    "CYRILLIC SMALL LETTER KOMI DE": "d",
    "CYRILLIC SMALL LETTER SHHA": "h",
    "CYRILLIC SMALL LETTER PALOCHKA": "l",
    "CYRILLIC SMALL LETTER QA": "q",
    "CYRILLIC SMALL LETTER WE": "w",
    "CYRILLIC SMALL LETTER STRAIGHT U": "y",
    "LATIN SMALL LETTER SCRIPT G": "g",
    "GREEK SMALL LETTER ALPHA": "a",
    "GREEK SMALL LETTER BETA": "b",
    "GREEK SMALL LETTER EPSILON": "e",
    "GREEK SMALL LETTER ETA": "n",
    "GREEK SMALL LETTER IOTA": "i",
    "GREEK SMALL LETTER KAPPA": "k",
    "GREEK SMALL LETTER NU": "v",
    "GREEK SMALL LETTER OMICRON": "o",
    "GREEK SMALL LETTER RHO": "p",
    "GREEK SMALL LETTER TAU": "t",
    "GREEK SMALL LETTER UPSILON": "u",
    "GREEK SMALL LETTER CHI": "x",
    "GREEK SMALL LETTER OMEGA": "w",
    "GREEK LUNATE SIGMA SYMBOL": "c",
    "GREEK LETTER YOT": "j",
    "LATIN SMALL LETTER DOTLESS I": "i",
    "LATIN SMALL LETTER DOTLESS J": "j",
    "LATIN SMALL LETTER IOTA": "i",
    "LATIN LETTER SMALL CAPITAL R": "r",
    "LATIN LETTER SMALL CAPITAL S": "s",
    "LATIN LETTER SMALL CAPITAL C": "c",
    "LATIN LETTER SMALL CAPITAL O": "o",
    "LATIN LETTER SMALL CAPITAL U": "u",
    "LATIN LETTER SMALL CAPITAL V": "v",
    "LATIN LETTER SMALL CAPITAL W": "w",
    "LATIN LETTER SMALL CAPITAL Z": "z",
}
_LOOKALIKE = str.maketrans({unicodedata.lookup(n): v for n, v in _LOOKALIKE_NAMES.items()})
_LOOKALIKE_CHARS = frozenset(chr(k) for k in _LOOKALIKE)

# Leetspeak: digits and symbols standing for letters, read only inside a word (next to a
# letter), so that "2024", "3.5 %", "A4" and a trailing "!" stay what they are.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s",
     "!": "i", "€": "e"}
)  # fmt: skip
_SYMBOLS = re.escape("@$!€")
# A run of letters and digits, with leet symbols inside it or just before a letter.
_CHUNK = re.compile(rf"(?:[{_SYMBOLS}]+(?=[^\W\d_]))?[^\W_]+(?:[{_SYMBOLS}]+[^\W_]+)*")
_WORD = re.compile(r"[^\W_]+")


def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


def _settle(text: str) -> str:
    """NFKC and casefold until nothing moves (casefolding can undo NFKC and back)."""
    for _ in range(4):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
        if folded == text:
            break
        text = folded
    return text


def _strip_hidden(text: str) -> str:
    # Zero-width joiners, soft hyphens and the like (Cf) hide inside words. A combining mark
    # still standing after NFC on a plain ASCII letter (s̶t̶r̶i̶k̶e̶) or on another mark (zalgo)
    # has no precomposed letter to be part of: decoration, not spelling.
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        if cat == "Mn" and (not out or out[-1].isascii() or unicodedata.category(out[-1]) == "Mn"):
            continue
        out.append(ch)
    return "".join(out)


def fold_token(token: str) -> str:
    """One already-settled chunk: look-alikes to Latin, leet to letters where it is a word."""
    letters = [ch for ch in token if ch.isalpha()]
    if letters and all(_is_latin(ch) or ch in _LOOKALIKE_CHARS for ch in letters):
        token = token.translate(_LOOKALIKE)
    # Two letters at least: "5h1t" is a word in disguise; "A4" and "B12" are not.
    if sum(ch.isalpha() for ch in token) >= 2 and not token.isalpha():
        token = token.translate(_LEET)
    return token


def fold(text: str) -> str:
    """The comparable form of `text`: see the module docstring. Spacing is kept."""
    settled = _settle(_strip_hidden(_settle(text)))
    return _CHUNK.sub(lambda m: fold_token(m.group(0)), settled)


def tokens(folded: str) -> list[str]:
    """Words of folded text: letters and digits; everything else separates."""
    return _WORD.findall(folded)
