"""Loads the profanity word lists the pure filters use, from a maintained package."""

from __future__ import annotations

import logging
from importlib import resources

from moderation.filters import TextFilters

__all__ = ["load_filters"]

log = logging.getLogger("townhall.filters")


def _better_profanity_words() -> frozenset[str]:
    try:
        text = (
            resources.files("better_profanity")
            .joinpath("profanity_wordlist.txt")
            .read_text("utf-8")
        )
    except (ModuleNotFoundError, FileNotFoundError):  # the server still runs, unfiltered
        log.warning("better_profanity word list not found; profanity filter is off")
        return frozenset()
    return frozenset(w.strip().casefold() for w in text.splitlines() if w.strip())


def load_filters() -> TextFilters:
    return TextFilters(profanity={"en": _better_profanity_words()})
