"""Loads the word lists the pure filters use, once at start (the only I/O of moderation).

Two packages, pinned by the project's own install files (see docs/MODERATION.md):

* cuss (npm, MIT), installed into node_modules/ by `make setup` (`npm ci`), and copied
  into a built wheel as server/wordlists/cuss/ (server/assets.py finds either): per language a
  JavaScript module holding one object literal, `term: rating`. We read the data, never run
  it: each line must be one `key: 0|1|2,` entry, and anything else is logged and skipped.
* badwords-py (PyPI, MIT; lists CC BY 4.0 / MIT): plain text lists inside the package.

moderation.sources.combine turns them into severe and mild sets; a missing source is logged
loudly and the server runs with what is left (with no rated source, nothing is severe).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

from moderation.filters import TextFilters
from moderation.sources import Lists, combine
from server.assets import cuss_dir, places

__all__ = ["CUSS_DIR", "load_filters", "load_lists", "read_badwords", "read_cuss"]

log = logging.getLogger("townhall.filters")

CUSS_DIR = cuss_dir()
# cuss module -> our language code (European Portuguese joins Portuguese; Arabizi is "ar").
CUSS_FILES: Mapping[str, str] = {
    "index.js": "en",
    "es.js": "es",
    "fr.js": "fr",
    "it.js": "it",
    "pt.js": "pt",
    "pt-pt.js": "pt",
    "ar-latn.js": "ar",
}
# badwords-py regional lists join their language.
_BADWORDS_ALIASES: Mapping[str, str] = {"es_419": "es", "pt_br": "pt"}
_ENTRY = re.compile(
    r"""^\s*(?:'(?P<sq>[^'\\]*)'|"(?P<dq>[^"\\]*)"|(?P<bare>[^\s:'"]+))\s*:\s*(?P<r>[012]),?\s*$"""
)
_FRAME = re.compile(r"^\s*(?:$|/\*\*|\*|\*/|export const cuss = \{|\};?$)")


def parse_cuss(source: str, name: str) -> dict[str, int]:
    """`term -> rating` from one cuss module's text; lines that are no entry are skipped."""
    out: dict[str, int] = {}
    for number, line in enumerate(source.splitlines(), 1):
        m = _ENTRY.match(line)
        if m:
            out[m["sq"] or m["dq"] or m["bare"]] = int(m["r"])
        elif not _FRAME.match(line):
            log.warning("cuss %s line %d is not a `term: rating` entry; skipped", name, number)
    return out


def read_cuss(directory: Path = CUSS_DIR) -> dict[str, dict[str, int]]:
    rated: dict[str, dict[str, int]] = {}
    for name, lang in CUSS_FILES.items():
        path = directory / name
        try:
            source = path.read_text("utf-8")
        except OSError:
            log.error(
                "cuss word list %s not found (installed: reinstall a wheel built after `make "
                "setup`; checkout: run `make setup`; looked in %s)",
                path,
                " and ".join(str(p) for p in places("cuss")),
            )
            continue
        ratings = rated.setdefault(lang, {})
        for term, rating in parse_cuss(source, name).items():  # two files for "pt": keep the higher
            ratings[term] = max(rating, ratings.get(term, 0))
    return rated


def read_badwords() -> dict[str, set[str]]:
    try:
        root = resources.files("badwords").joinpath("resource")
        index = json.loads(root.joinpath("data", "languages.json").read_text("utf-8"))
        listed: dict[str, set[str]] = {}
        for code, entry in index["languages"].items():
            text = root.joinpath("words", entry["file"]).read_text("utf-8")
            lang = _BADWORDS_ALIASES.get(code, code)
            listed.setdefault(lang, set()).update(w.strip() for w in text.splitlines())
    except (ModuleNotFoundError, OSError, KeyError, ValueError) as exc:
        log.error("badwords-py word lists not readable (%s); filtering on cuss alone", exc)
        return {}
    for words in listed.values():
        words.discard("")
    return listed


def load_lists(cuss_dir: Path = CUSS_DIR) -> Lists:
    return combine(read_cuss(cuss_dir), read_badwords())


def load_filters(cuss_dir: Path = CUSS_DIR) -> TextFilters:
    lists = load_lists(cuss_dir)
    filters = TextFilters.from_lists(lists)
    log.info(
        "profanity filter: %d terms in %d languages (%d severe)",
        sum(len(v) for v in lists.severe.values()) + sum(len(v) for v in lists.mild.values()),
        len(filters.languages),
        sum(len(v) for v in lists.severe.values()),
    )
    return filters
