"""rooms/text.py: what text a room takes, and how it is made honest before anyone sees it."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rooms import CommandError
from rooms.text import (
    BIDI_CONTROLS,
    MAX_MARKS,
    check_text,
    check_text_tree,
    clean_line,
    clean_text,
    is_invisible,
)

# Any code point at all: lone surrogates, NUL, every control, bidi controls, marks.
anything = st.characters(blacklist_categories=())
NASTY = ["\ud800", "\udfff", "a\ud83d", "\x00", "a\x00b", "\x1b[31m", "\x7f", "\x85", "\x9f"]
texts = st.text(alphabet=anything, max_size=60) | st.sampled_from(NASTY)
# Texts built to hit the cleaning rules often: marks, bidi, blanks, line breaks.
tricky = st.text(
    alphabet=st.sampled_from(
        ["a", "e", " ", "\n", "\t", "\r", "\u0301", "\u0328", "\u20e3", "\ufe0f", "\u200b",
         "\u3164", "\u0958", "\u093c", *BIDI_CONTROLS, "\u00a0", "\u2028", "ش"]
    ),
    max_size=40,
)  # fmt: skip

_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_REFUSALS = {"text.invalid", "text.empty", "text.too_long"}


def _marks_run(text: str) -> int:
    longest = run = 0
    for c in text:
        run = run + 1 if unicodedata.category(c) in ("Mn", "Me") else 0
        longest = max(longest, run)
    return longest


def _check_honest(out: str, raw: str, max_length: int) -> None:
    out.encode("utf-8")  # well-formed: no surrogate left
    assert unicodedata.is_normalized("NFC", out)
    assert not _BAD.search(out) and "\r" not in out
    assert not any(c in BIDI_CONTROLS for c in out)
    assert _marks_run(out) <= MAX_MARKS
    assert not is_invisible(out) and out == out.strip()
    assert 0 < len(out) <= max_length
    # Never grows beyond NFC itself (which may expand a few composition exclusions, e.g.
    # U+0958 to two code points): cleaning only ever removes.
    assert len(out) <= len(unicodedata.normalize("NFC", raw))


@settings(max_examples=800, deadline=None)
@given(raw=texts | tricky, max_length=st.integers(1, 80))
def test_clean_text_refuses_or_returns_honest_text_and_is_idempotent(
    raw: str, max_length: int
) -> None:
    try:
        out = clean_text(raw, max_length)
    except CommandError as err:
        assert err.code in _REFUSALS
        assert (err.code == "text.invalid") == bool(_BAD.search(raw))
        return
    _check_honest(out, raw, max_length)
    assert clean_text(out, max_length) == out


@settings(max_examples=800, deadline=None)
@given(raw=texts | tricky, max_length=st.integers(1, 80))
def test_clean_line_is_one_line_with_single_spaces_and_idempotent(
    raw: str, max_length: int
) -> None:
    try:
        out = clean_line(raw, max_length)
    except CommandError as err:
        assert err.code in _REFUSALS
        return
    _check_honest(out, raw, max_length)
    assert out == " ".join(out.split())
    assert clean_line(out, max_length) == out
    assert clean_text(out, max_length) == out  # a clean line is a clean text too


@given(raw=texts | tricky)
def test_check_text_refuses_exactly_controls_and_broken_unicode(raw: str) -> None:
    try:
        assert check_text(raw) is raw
    except CommandError as err:
        assert err.code == "text.invalid"
        assert _BAD.search(raw)
    else:
        raw.encode("utf-8")
        assert not _BAD.search(raw)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Ana  ", "Ana"),
        ("e\u0301te\u0301", "été"),  # NFC
        ("Mayor \u202eHtims\u202c", "Mayor Htims"),  # the override no longer reverses it
        ("\u2066Ana\u2069\u200f", "Ana"),
        ("Zalgo" + "\u0334\u0335\u0336\u0337\u0338" * 40 + "!", "Zalgo\u0334\u0335\u0336\u0337!"),
        ("line one\r\nline two\rthree", "line one\nline two\nthree"),
        ("tab\tstays", "tab\tstays"),
        ("1\ufe0f\u20e3 keycap, ❤️, 👨‍👩‍👧", "1\ufe0f\u20e3 keycap, ❤️, 👨‍👩‍👧"),  # emoji intact
        ("שָׁלוֹם عربي", "שָׁלוֹם عربي"),
    ],
)
def test_clean_text_examples(raw: str, clean: str) -> None:
    assert clean_text(raw, 500) == unicodedata.normalize("NFC", clean)


@pytest.mark.parametrize(
    "raw", ["\u200b", "\u200b\u200d\ufeff", " \u3164 ", "\u2800", "\u0301\u0302", "\u202e\u202c"]
)
def test_invisible_only_text_is_empty(raw: str) -> None:
    with pytest.raises(CommandError) as err:
        clean_text(raw, 100)
    assert err.value.code == "text.empty"


@pytest.mark.parametrize("raw", NASTY)
def test_controls_and_surrogates_are_refused(raw: str) -> None:
    with pytest.raises(CommandError) as err:
        clean_text(raw + " hello", 100)
    assert err.value.code == "text.invalid"


def test_clean_line_folds_line_breaks_and_tabs() -> None:
    assert clean_line(" Mayor\n\tSmith\u2028(OFFICIAL) ", 60) == "Mayor Smith (OFFICIAL)"


def test_far_too_long_input_is_refused_before_any_work() -> None:
    with pytest.raises(CommandError) as err:
        clean_text("\u0301" * 10_000, 10)
    assert err.value.code == "text.too_long"
    assert clean_text(" " * 30 + "ok" + " " * 30, 10) == "ok"  # within the slack: cleaned


def test_check_text_tree_walks_keys_values_and_nesting() -> None:
    check_text_tree({"op": "vote", "choice": [1, {"k": ["fine\n", "👍"]}], "x": None})
    for bad in (
        {"text": "\ud800"},
        {"\x00": "key"},
        {"options": ["a", "b\x00"]},
        {"settings": {"districts": ["N", "\udc00"]}},
        {"a": [[[[[[[[[[["\x01"]]]]]]]]]]]},
        ["\x07"],
    ):
        with pytest.raises(CommandError) as err:
            check_text_tree(bad)
        assert err.value.code == "text.invalid"


def test_the_message_names_the_field_when_its_name_is_sound() -> None:
    with pytest.raises(CommandError) as err:
        check_text_tree({"options": ["a", "b\x00"]})
    assert "`options`" in err.value.message
    with pytest.raises(CommandError) as err:
        check_text_tree({"\ud800": 1})
    assert "\ud800" not in err.value.message  # never echoes what cannot be encoded
    err.value.message.encode("utf-8")


def test_a_deep_body_is_walked_without_recursion() -> None:
    deep: object = "\x00"
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(CommandError):
        check_text_tree({"body": deep})


trees = st.recursive(
    st.none() | st.integers() | st.floats() | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def _strings_in(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in [k, *_strings_in(v)]]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings_in(v)]
    return []


@settings(max_examples=500, deadline=None)
@given(tree=trees)
def test_check_text_tree_refuses_exactly_the_trees_holding_a_bad_string(tree: object) -> None:
    bad = any(_BAD.search(s) for s in _strings_in(tree))
    try:
        check_text_tree(tree)
    except CommandError as err:
        assert bad and err.code == "text.invalid"
        err.message.encode("utf-8")
    else:
        assert not bad
