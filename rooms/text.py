"""What text a room accepts: well-formed, visible, and not arranged to deceive. Pure.

Two depths:

* `check_text` and `check_text_tree` refuse what no store can hold and no honest client
  sends: lone surrogates (JSON's `"\\ud800"` escape makes one; no UTF-8 encoder takes it)
  and C0/C1 control characters (NUL included) other than tab and line breaks. The edge
  runs `check_text_tree` over every decoded frame and body, keys included, so such a
  string fails its own op with `text.invalid` and never reaches a commit it would share
  with other people's ops. `decide` runs it too, whatever the entry point.
* `clean_text` (texts that may span lines) and `clean_line` (names, titles, options) make
  what people see honest: NFC, bidirectional controls removed (they reorder what is shown
  around them: "Mayor" can be made to read backwards into another name), at most
  `MAX_MARKS` combining marks in a row (hundreds stacked on one letter bleed over the
  lines around it), and never invisible-only (`text.empty`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping

from rooms.errors import CommandError

__all__ = [
    "BIDI_CONTROLS",
    "INVALID_CHARS",
    "MAX_MARKS",
    "check_text",
    "check_text_tree",
    "clean_line",
    "clean_text",
    "input_limit",
    "is_invisible",
]

# Combining marks kept after one base character. Four covers every living script's
# ordinary stacking (Vietnamese, Hebrew with points and cantillation, Indic clusters after
# NFC) and a keycap emoji (digit, U+FE0F, U+20E3); Zalgo text stacks dozens.
MAX_MARKS = 4

# Tab, line feed and carriage return are ordinary; every other C0/C1 control and every
# lone surrogate is refused. Written as regex escapes: no surrogate in this source file.
# (INVALID_CHARS is the class's body: server/edge/wire_types.py builds its patterns from it.)
INVALID_CHARS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
_INVALID = re.compile(f"[{INVALID_CHARS}]")

# ALM, LRM, RLM, the embeddings and overrides (LRE RLE PDF LRO RLO), the isolates (LRI RLI
# FSI PDI). Removed, not refused: a pasted text often carries a stray mark.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")

# Categories that show nothing by themselves: format characters, separators, marks (they
# need a base), and the controls still allowed (tab, line breaks).
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp", "Mn", "Mc", "Me"})
# Letters and symbols that render as blank space although their category says otherwise:
# Hangul fillers (choseong, jungseong, compatibility, halfwidth) and the blank Braille cell.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
_MARKS = frozenset({"Mn", "Me"})  # the marks that stack on top of one another

# An input this much longer than the limit is refused before any per-character work: the
# cleaning only removes, so it could never come within the limit by legitimate means
# (CRLF line ends and a few stray controls are far below this).
_SLACK = 8


def _where(path: str | None) -> str:
    # A field name may come from the sender (a key of the frame): never echo much of it.
    return f"`{path[:40]}`" if path else "a text"


def check_text(value: str, path: str | None = None) -> str:
    """`value` itself if it is well-formed and holds no control characters; else text.invalid."""
    if _INVALID.search(value) is not None:
        raise CommandError(
            "text.invalid",
            f"{_where(path)} holds a control character or is not valid Unicode",
        )
    return value


def _strings(obj: object) -> Iterator[tuple[str, str | None]]:
    """Every string in `obj` (dict keys included) with the top-level key it sits under.

    Iterative: an HTTP body is not depth-limited the way a WebSocket frame is.
    """
    stack: list[tuple[object, str | None]] = [(obj, None)]
    while stack:
        item, top = stack.pop()
        if isinstance(item, str):
            yield item, top
        elif isinstance(item, Mapping):
            for key, value in item.items():
                under = top
                if isinstance(key, str):
                    yield key, top
                    if top is None and _INVALID.search(key) is None:
                        under = key
                stack.append((value, under))
        elif isinstance(item, list | tuple):
            stack.extend((value, top) for value in item)


_SCALARS = (int, float, type(None))  # what frames hold besides strings and containers


def _sound_tree(obj: object) -> bool:
    """No string in `obj` is refused. The fast walk, run on every frame: no paths, no generator,
    strings checked where they are found and only containers pushed."""
    search = _INVALID.search
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if search(item) is not None:
                return False
            continue
        if isinstance(item, dict | Mapping):
            for key, value in item.items():
                if isinstance(key, str) and search(key) is not None:
                    return False
                if isinstance(value, str):
                    if search(value) is not None:
                        return False
                elif not isinstance(value, _SCALARS):
                    stack.append(value)
        elif isinstance(item, list | tuple):
            for value in item:
                if isinstance(value, str):
                    if search(value) is not None:
                        return False
                elif not isinstance(value, _SCALARS):
                    stack.append(value)
    return True


def check_text_tree(obj: object) -> None:
    """Refuse (`text.invalid`) any string anywhere in a decoded frame or body, keys included."""
    if _sound_tree(obj):
        return
    for value, top in _strings(obj):  # walked again only to name the field in the message
        check_text(value, top)


def is_invisible(text: str) -> bool:
    """True when nothing in `text` would show: only spaces, format characters and marks."""
    return all(
        c in _BLANK_LETTERS or unicodedata.category(c) in _INVISIBLE_CATEGORIES for c in text
    )


def _cap_marks(text: str) -> str:
    out: list[str] = []
    run = 0
    for c in text:
        if unicodedata.category(c) in _MARKS:
            run += 1
            if run > MAX_MARKS:
                continue
        else:
            run = 0
        out.append(c)
    return "".join(out)


def _normalise(text: str) -> str:
    """Bidi controls out, NFC, marks capped. ASCII needs none of it (most texts are ASCII)."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFC", _BIDI.sub("", text))
    capped = _cap_marks(text)
    # Dropping marks can unblock a composition the dropped ones stood in the way of.
    return text if capped == text else unicodedata.normalize("NFC", capped)


def input_limit(max_length: int) -> int:
    """The longest input that cleaning could still bring within `max_length`: longer ones are
    refused `text.too_long` before any work."""
    return _SLACK * max_length + _SLACK


def _clean(text: str, max_length: int, *, line: bool) -> str:
    check_text(text)
    if len(text) > input_limit(max_length):
        raise CommandError("text.too_long", f"at most {max_length} characters")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _normalise(text)
    text = " ".join(text.split()) if line else text.strip()
    if not text or is_invisible(text):
        raise CommandError("text.empty")
    if len(text) > max_length:
        raise CommandError("text.too_long", f"at most {max_length} characters")
    return text


def clean_text(text: str, max_length: int) -> str:
    """A text that may span lines (questions, answers, topics): honest and within the limit.

    Refuses `text.invalid` (controls, broken Unicode), `text.empty` (nothing visible) and
    `text.too_long`; otherwise returns it NFC-normalised, without bidi controls, with at most
    MAX_MARKS combining marks in a row, line ends as `\\n`, surrounding whitespace stripped.
    """
    return _clean(text, max_length, line=False)


def clean_line(text: str, max_length: int) -> str:
    """As `clean_text`, for one-line fields (names, titles, options, labels): every run of
    whitespace, line breaks and tabs included, becomes one space."""
    return _clean(text, max_length, line=True)
