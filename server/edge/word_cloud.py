"""The big screen's word cloud, laid out on the server: each word's box is estimated from its
letters, the words go largest first along a spiral from the middle to the first place where
they overlap nothing, and the whole cloud shrinks and starts again until every word fits.

Pure and deterministic (same words, same picture, on every process and every reload), so the
screen works without JavaScript. The template draws it as SVG in a viewBox of `WIDTH` x
`HEIGHT` (the viewBox scales it to any projector) and gives each word `textLength`, so the
browser's font draws it exactly as wide as its box here, whatever the estimate missed."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["HEIGHT", "WIDTH", "Placed", "layout", "text_width"]

# The slide body on a 16:9 screen, under the question and above the join strip, is about
# 2.4 times as wide as high; a cloud of that shape fills it at every projector size.
WIDTH = 240.0
HEIGHT = 100.0
LINE = 1.2  # a word's box is this many font sizes high: ascenders and descenders inside
GAP = 0.1  # free space around a word, in font sizes (plus `MARGIN`), so words never touch
MARGIN = 0.15
SMALLEST = 0.3  # the least frequent word's size, relative to the most frequent one's
SHRINK = 0.88  # when a word finds no place, everything is this much smaller next round
FILL = 0.6  # the share of the area the boxes take at the first try (spirals leave gaps)

# Advances in ems for one weight of a sans-serif system font, by kind of character: a rough
# table is enough, since textLength makes the drawing match the estimate.
_NARROW = frozenset("iIjl.,:;!|'`1ft()[]{}-")
_WIDE = frozenset("mwMW@%")


def _advance(ch: str) -> float:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0.0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0  # CJK, full-width forms, most emoji
    if ch in _NARROW:
        return 0.32
    if ch in _WIDE:
        return 0.92
    if ch.isupper():
        return 0.7
    if "\u0600" <= ch <= "\u06ff":
        return 0.5  # Arabic letters join; they are narrower than their Latin count suggests
    return 0.58


def text_width(word: str) -> float:
    """The word's width in ems (bold), never zero."""
    return max(0.5, sum(_advance(ch) for ch in word) * 1.06)


@dataclass(frozen=True, slots=True)
class Placed:
    """One word: its box's centre (x, y), its box, its font size, all in viewBox units."""

    word: str
    count: int
    level: int  # 1..5, for the colour and weight classes
    x: float
    y: float
    width: float  # what textLength is set to
    height: float
    size: float

    @property
    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) with the gap around the word."""
        pad = GAP * self.size + MARGIN
        return (
            self.x - self.width / 2 - pad,
            self.y - self.height / 2 - pad,
            self.x + self.width / 2 + pad,
            self.y + self.height / 2 + pad,
        )


def layout(
    words: Sequence[tuple[str, int]], width: float = WIDTH, height: float = HEIGHT
) -> tuple[Placed, ...]:
    """Every word placed, the most frequent (then alphabetically first) in the middle."""
    ranked = tuple(sorted(((w, n) for w, n in words if w and n > 0), key=lambda p: (-p[1], p[0])))
    return _layout(ranked, width, height)


@lru_cache(maxsize=64)  # the screen re-renders on every change; most change nothing here
def _layout(
    ranked: tuple[tuple[str, int], ...], width: float, height: float
) -> tuple[Placed, ...]:
    if not ranked:
        return ()
    top = ranked[0][1]
    rel = [SMALLEST + (1 - SMALLEST) * math.sqrt(n / top) for _, n in ranked]
    ems = [text_width(w) for w, _ in ranked]
    # A first guess from the area the boxes would cover, never so large that the first word
    # leaves the box; then smaller until the spiral finds a place for everyone.
    area = sum(r * r * e * LINE for r, e in zip(rel, ems, strict=True))
    scale = min(
        math.sqrt(FILL * width * height / area),
        (width - 2 * MARGIN) / (ems[0] * (1 + 2 * GAP)),
        height * 0.4,
    )
    while True:
        placed = _try(ranked, rel, ems, scale, top, width, height)
        if placed is not None:
            return placed
        scale *= SHRINK


def _try(
    ranked: tuple[tuple[str, int], ...],
    rel: list[float],
    ems: list[float],
    scale: float,
    top: int,
    width: float,
    height: float,
) -> tuple[Placed, ...] | None:
    grid = _Grid()
    points, buckets = _spiral(width, height, max(0.5, scale * rel[-1] * 0.4))
    # A point inside a placed box can never hold another word's centre: it is dead for the
    # rest of this round, so later (smaller) words skip the filled middle at once.
    dead = bytearray(len(points))
    first = 0
    out: list[Placed] = []
    for (word, n), r, em in zip(ranked, rel, ems, strict=True):
        size = scale * r
        # A long word is shrunk on its own to the width, rather than the cloud for it.
        size = min(size, (width - 2 * MARGIN) / (em + 2 * GAP))
        w, h = em * size, LINE * size
        pad = GAP * size + MARGIN
        half_w, half_h = w / 2 + pad, h / 2 + pad
        if 2 * half_h > height:
            return None
        while first < len(points) and dead[first]:
            first += 1
        found = None
        for i in range(first, len(points)):
            if dead[i]:
                continue
            x, y = points[i]
            box = (x - half_w, y - half_h, x + half_w, y + half_h)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                continue
            if not grid.hits(box):
                found = Placed(word, n, min(5, 1 + round(4 * n / top)), x, y, w, h, size)
                break
        if found is None:
            return None
        box = found.box
        grid.add(box)
        for key in _Grid.keys(box):
            for i in buckets.get(key, ()):
                x, y = points[i]
                if box[0] < x < box[2] and box[1] < y < box[3]:
                    dead[i] = 1
        out.append(found)
    return tuple(out)


@lru_cache(maxsize=16)
def _spiral(
    width: float, height: float, step: float
) -> tuple[tuple[tuple[float, float], ...], dict[tuple[int, int], tuple[int, ...]]]:
    """Points along a spiral from the middle, stretched to the box's shape, `step` apart,
    and their indices by grid cell (read only: the cache shares them)."""
    cx, cy, stretch = width / 2, height / 2, width / height
    turn = step * 1.5  # the distance between two turns of the spiral (before stretching)
    points: list[tuple[float, float]] = [(cx, cy)]
    theta = 0.0
    limit = math.hypot(cx / stretch, cy)
    while True:
        r = turn * theta / (2 * math.pi)
        if r > limit:
            break
        # the next point one step further along the arc (its length ~ r dθ)
        theta += step / max(r, step)
        r = turn * theta / (2 * math.pi)
        x, y = cx + r * stretch * math.cos(theta), cy + r * math.sin(theta)
        if 0 <= x <= width and 0 <= y <= height:
            points.append((round(x, 3), round(y, 3)))
    buckets: dict[tuple[int, int], list[int]] = {}
    for i, (x, y) in enumerate(points):
        buckets.setdefault((int(x // _Grid.CELL), int(y // _Grid.CELL)), []).append(i)
    return tuple(points), {k: tuple(v) for k, v in buckets.items()}


class _Grid:
    """Placed boxes bucketed by cell, so a candidate is checked only against its neighbours."""

    CELL = 6.0

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}

    @staticmethod
    def keys(box: tuple[float, float, float, float]) -> list[tuple[int, int]]:
        c = _Grid.CELL
        return [
            (i, j)
            for i in range(int(box[0] // c), int(box[2] // c) + 1)
            for j in range(int(box[1] // c), int(box[3] // c) + 1)
        ]

    def hits(self, box: tuple[float, float, float, float]) -> bool:
        left, top, right, bottom = box
        c, cells = self.CELL, self.cells
        j0, j1 = int(top // c), int(bottom // c) + 1
        for i in range(int(left // c), int(right // c) + 1):
            for j in range(j0, j1):
                found = cells.get((i, j))
                if found is None:
                    continue
                for o in found:
                    if left < o[2] and o[0] < right and top < o[3] and o[1] < bottom:
                        return True
        return False

    def add(self, box: tuple[float, float, float, float]) -> None:
        for key in self.keys(box):
            self.cells.setdefault(key, []).append(box)
