"""The big screen's word-cloud layout (server/edge/word_cloud.py): every word placed, inside
the box, overlapping no other, bigger for more votes, and the same picture every time."""

from __future__ import annotations

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from server.edge import word_cloud
from server.edge.word_cloud import HEIGHT, WIDTH, Placed, layout, text_width

# Latin, accented, Arabic, Hebrew, CJK, Hangul: the scripts a town's residents type in.
_LETTERS = st.sampled_from(
    list("abcdefghijklmnopqrstuvwxyzäöüéçñ") + list("مدرسةساحالمكتب") + list("שלוםעיר")
    + list("公園図書館木陰") + list("자전거") + ["\uff37", "m", "i"]  # a full-width W
)
_WORD = st.text(_LETTERS, min_size=1, max_size=40)
_CLOUD = st.dictionaries(_WORD, st.integers(1, 500), min_size=1, max_size=200)


def _apart(a: Placed, b: Placed) -> bool:
    al, at, ar, ab = a.box
    bl, bt, br, bb = b.box
    return ar <= bl or br <= al or ab <= bt or bb <= at


def _check(words: dict[str, int], placed: tuple[Placed, ...]) -> None:
    assert sorted(p.word for p in placed) == sorted(words)  # all of them, once
    for p in placed:
        left, top, right, bottom = p.box
        assert left >= 0 and right <= WIDTH and top >= 0 and bottom <= HEIGHT, p
        assert p.width > 0 and p.size > 0 and 1 <= p.level <= 5
        # the ink (not only the padded box) is inside
        assert p.x - p.width / 2 >= 0 and p.x + p.width / 2 <= WIDTH
    for i, a in enumerate(placed):
        for b in placed[i + 1:]:
            assert _apart(a, b), (a, b)


@settings(deadline=None, max_examples=40)
@given(_CLOUD)
def test_every_word_is_placed_inside_and_apart(words: dict[str, int]) -> None:
    _check(words, layout(list(words.items())))


@settings(deadline=None, max_examples=25)
@given(_CLOUD, st.randoms(use_true_random=False))
def test_the_same_words_give_the_same_picture_in_any_order(
    words: dict[str, int], rnd: random.Random
) -> None:
    items = list(words.items())
    first = layout(items)
    rnd.shuffle(items)
    word_cloud._layout.cache_clear()  # computed again, not read back from the cache
    assert layout(items) == first


@settings(deadline=None, max_examples=40)
@given(_CLOUD)
def test_more_votes_never_means_smaller_unless_the_word_is_too_long(
    words: dict[str, int],
) -> None:
    placed = layout(list(words.items()))
    by_count = sorted(placed, key=lambda p: -p.count)
    for more, fewer in itertools.pairwise(by_count):
        # a long word is shrunk alone to the width; otherwise size follows the votes
        if more.size < fewer.size:
            assert more.width >= WIDTH * 0.9, (more, fewer)


def test_one_word_is_large_and_in_the_middle() -> None:
    (only,) = layout([("together", 1)])
    assert only.size >= HEIGHT * 0.3
    assert (only.x, only.y) == (WIDTH / 2, HEIGHT / 2)


def test_two_hundred_words_of_one_size_stay_readable() -> None:
    """The hardest case the screen shows: 200 different words, one vote each."""
    syllables = ["ba", "ko", "ri", "mu", "te", "lo", "san", "dre", "vi", "nu", "pel"]
    words = [a + b + c for a in syllables for b in syllables[3:] for c in syllables[6:]][:200]
    placed = layout([(w, 1) for w in words])
    _check(dict.fromkeys(words, 1), placed)
    # a font size of 2.9% of the cloud's height: about 14 px at 1280x720
    assert min(p.size for p in placed) >= HEIGHT * 0.029


def test_wide_letters_are_estimated_wider_than_narrow_ones() -> None:
    assert text_width("公園") > text_width("ab") > text_width("il")
    assert text_width("e\u0301") == text_width("e")  # a combining accent takes no room
    assert text_width("") > 0


def test_nothing_to_lay_out() -> None:
    assert layout([]) == ()
    assert layout([("", 3), ("zero", 0)]) == ()
