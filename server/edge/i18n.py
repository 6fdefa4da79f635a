"""Interface language: gettext catalogs (.po, read with Babel at start) and the choice per request.

The .po files are read directly rather than compiled to .mo, so there is no build output to
keep in step with its source: edit the .po, restart, done. Plural forms follow each
catalog's `Plural-Forms` header (Babel's rules for the locale); numbers, percentages,
durations and dates are formatted by Babel with the locale's conventions.

Tags are BCP 47 (`zh-Hans`, as in `<html lang>` and `?lang=`); a catalog lives in the
folder of the matching Babel locale (`zh_Hans`). A tag that is not shipped still finds its
language when language and script agree: `pt-BR` gets `pt`, `zh-CN` gets `zh-Hans`, and
`zh-TW` (Traditional script) gets nothing rather than a script its reader did not ask for.
"""

from __future__ import annotations

import gettext
import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.core import get_global
from babel.dates import format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.units import format_unit
from starlette.requests import Request

from rooms.errors import CODES
from server.edge.i18n_names import (
    ACTIONS,
    ANSWER_STATES,
    FLAGS,
    JS_PLURALS,
    N_,
    OP_DONE,
    POLL_KINDS,
    POLL_STATES,
    QUESTION_STATES,
    REASONS,
)

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "LANG_COOKIE",
    "Translate",
    "Translator",
    "choose",
    "cli_gettext",
    "match",
    "room_language",
    "translator",
]

LOCALES = Path(__file__).resolve().parents[1] / "locales"
# tag -> the language's own name, for the picker (in the order the picker lists them)
LANGUAGES = {
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "pt": "Português",
    "de": "Deutsch",
    "zh-Hans": "简体中文",
    "vi": "Tiếng Việt",
    "ar": "العربية",
}
DEFAULT = "en"
LANG_COOKIE = "th_lang"

_SUBTAG = re.compile(r"^[A-Za-z0-9]{1,8}$")
_UNKNOWN_ERROR = N_("something went wrong (%(code)s)")
_DONE = N_("Done.")


# -- which language --------------------------------------------------------------------------


def _shape(tag: str) -> tuple[str, str | None] | None:
    """(language, script) of a tag, the script filled in from CLDR's likely subtags."""
    parts = tag.replace("_", "-").split("-")
    if not all(_SUBTAG.match(p) for p in parts) or not 2 <= len(parts[0]) <= 3:
        return None
    language, script, region = parts[0].lower(), None, None
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha() and script is None:
            script = part.title()
        elif (len(part) == 2 and part.isalpha()) or (len(part) == 3 and part.isdigit()):
            region = region or part.upper()
    if script is None:
        likely: Mapping[str, str] = get_global("likely_subtags")
        full = likely.get(f"{language}_{region}") or likely.get(language) or ""
        script = next((p for p in full.split("_")[1:] if len(p) == 4), None)
    return language, script


_SHIPPED = {_shape(tag): tag for tag in LANGUAGES}


def match(tag: str | None) -> str | None:
    """The shipped language a tag asks for (`pt-BR` -> `pt`), or None."""
    if not tag or len(tag) > 35:
        return None
    if tag in LANGUAGES:
        return tag
    shape = _shape(tag.strip())
    return _SHIPPED.get(shape) if shape else None


def _accept_language(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")[:32]):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        ranked.append((-quality, index, tag.strip()))
    return [tag for quality, _, tag in sorted(ranked) if quality < 0]


def room_language(room: Mapping[str, Any] | None) -> str | None:
    """The default language an organiser set for a room, from its view (`room.settings`)."""
    settings = room.get("settings") if isinstance(room, Mapping) else None
    value = settings.get("language") if isinstance(settings, Mapping) else None
    return value if isinstance(value, str) else None


def choose(request: Request, room_default: str | None = None) -> str:
    """`?lang=` first (the picker), then the cookie it leaves, then Accept-Language, then
    the room's default language (a room setting), then English."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if found := match(candidate):
            return found
    for tag in _accept_language(request.headers.get("accept-language", "")):
        if found := match(tag):
            return found
    return match(room_default) or DEFAULT


def _cli_tags(environ: Mapping[str, str]) -> Iterator[str]:
    """gettext's order: LANGUAGE (a list), then LC_ALL, LC_MESSAGES, LANG."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        for value in environ.get(name, "").split(":"):
            tag = value.split(".")[0].split("@")[0]
            if tag and tag not in ("C", "POSIX"):
                yield tag


def cli_gettext(message: str, **values: object) -> str:
    """`_()` for the command line: the language of the environment (LANG and friends)."""
    lang = next((m for t in _cli_tags(os.environ) if (m := match(t))), DEFAULT)
    return translator(lang)(message, **values)


# -- the catalogs ----------------------------------------------------------------------------


def _folder(tag: str) -> str:
    return tag.replace("-", "_")


@cache
def _translations(tag: str) -> gettext.NullTranslations:
    path = LOCALES / _folder(tag) / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return gettext.NullTranslations()
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=_folder(tag))
    # An entry with an empty form is untranslated, so the English shows rather than a blank.
    # (Fuzzy entries are guesses a translator has not confirmed: write_mo leaves them out.)
    for message in list(catalog)[1:]:
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(forms):
            catalog.delete(message.id, message.context)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _fill(text: str, fallback: str, values: Mapping[str, object]) -> str:
    if not values:
        return text
    try:
        return text % values
    except (KeyError, ValueError, TypeError):  # a broken translation must not break a page
        return fallback % values


class Translator:
    """`_("Hello %(name)s", name=...)` in one language, plus plurals and Babel formats.

    Templates call it as `_()`, and its methods as `_.ngettext(...)`, `_.number(n)`,
    `_.reason(code)` ...; plural messages get `%(num)s`, the count formatted for the locale.
    """

    def __init__(self, tag: str) -> None:
        self.lang = tag
        self.locale = Locale.parse(_folder(tag))
        self.dir = "rtl" if self.locale.character_order == "right-to-left" else "ltr"
        self._t = _translations(tag)

    def __call__(self, message: str, **values: object) -> str:
        return _fill(self._t.gettext(message), message, values)

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        source = singular if n == 1 else plural
        return _fill(text, source, {"num": self.number(n), **values})

    def pgettext(self, context: str, message: str, **values: object) -> str:
        return _fill(self._t.pgettext(context, message), message, values)

    # numbers and dates, the locale's way (Latin digits everywhere, as in codes and links)

    def number(self, value: float | int | None) -> str:
        return "\u2013" if value is None else format_decimal(value, locale=self.locale)

    def percent(self, share: float | None) -> str:
        return "\u2013" if share is None else format_percent(share, locale=self.locale)

    def seconds(self, value: float | None) -> str:
        if value is None:
            return "\u2013"
        return format_unit(value, "duration-second", length="short", locale=self.locale)

    def datetime(self, ms: int | None) -> str:
        if ms is None:
            return "\u2013"
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
        return format_datetime(moment, "long", tzinfo=UTC, locale=self.locale)

    # the engine's codes in words

    def error(self, code: str) -> str:
        """The sentence for an error code, as a sentence (first letter capitalised)."""
        text = self(CODES[code]) if code in CODES else self(_UNKNOWN_ERROR, code=code[:64])
        return text[:1].upper() + text[1:]

    def reason(self, code: str | None) -> str:
        return self(REASONS[code]) if code in REASONS else code or ""

    def join(self, items: list[str] | tuple[str, ...]) -> str:
        """A short run of items ("Single choice, Open"), with the language's separator."""
        return self.pgettext("list separator", ", ").join(items)

    def flags(self, codes: list[str] | tuple[str, ...]) -> str:
        return self.join([self(FLAGS[c]) if c in FLAGS else c for c in codes])

    def kind(self, code: str) -> str:
        return self(POLL_KINDS[code]) if code in POLL_KINDS else code

    def poll_state(self, state: str) -> str:
        return self.pgettext(*POLL_STATES[state]) if state in POLL_STATES else state

    def question_state(self, state: str) -> str:
        return self.pgettext(*QUESTION_STATES[state]) if state in QUESTION_STATES else state

    def answer_state(self, state: str) -> str:
        return self.pgettext(*ANSWER_STATES[state]) if state in ANSWER_STATES else state

    def done(self, op: str | None) -> str:
        return self(OP_DONE.get(op or "", _DONE))

    def pick(self, translations: Mapping[str, Any] | None) -> tuple[str, Any] | None:
        """(tag, translation) for this page's language among an item's interpreted
        translations (`pt-BR` serves a Portuguese page), None when there is none."""
        if not translations:
            return None
        if self.lang in translations:
            return self.lang, translations[self.lang]
        for tag, value in translations.items():
            if match(tag) == self.lang:
                return tag, value
        return None

    def action(self, event_type: str) -> str:
        return self(ACTIONS[event_type]) if event_type in ACTIONS else event_type

    # for the page scripts

    def plural_categories(self) -> dict[str, int]:
        """A count in each CLDR plural category of this locale (the browser's
        Intl.PluralRules names categories; gettext numbers forms)."""
        seen: dict[str, int] = {}
        for n in (*range(0, 200), 1_000_000):
            seen.setdefault(self.locale.plural_form(n), n)
        return seen

    def js_table(self, errors: str = "") -> str:
        """What the page scripts need beyond plain strings, as JSON for a data attribute:
        plural forms by CLDR category, the words for codes, and the locale's formats.
        `errors`: only the error codes under these space-separated prefixes (a page that
        can meet only some of them need not carry every sentence), else all."""
        categories = self.plural_categories()
        table = {
            "lang": self.lang,
            "plurals": {
                key: {cat: self._t.ngettext(s, p, n) for cat, n in categories.items()}
                for key, (s, p) in JS_PLURALS.items()
            },
            "reasons": {code: self.reason(code) for code in REASONS},
            "poll_states": {state: self.poll_state(state) for state in POLL_STATES},
            "question_states": {state: self.question_state(state) for state in QUESTION_STATES},
            "errors": {
                code: self.error(code)
                for code in CODES
                if not errors or code.startswith(tuple(errors.split()))
            },
        }
        return json.dumps(table, ensure_ascii=False, separators=(",", ":"))


Translate = Translator


@cache
def translator(lang: str) -> Translator:
    return Translator(match(lang) or DEFAULT)
