"""Interface language: gettext catalogs (.po, read with Babel at start) and the choice per request.

The .po files are read directly rather than compiled to .mo, so there is no build output to
keep in step with its source: edit the .po, restart, done.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.pofile import read_po
from starlette.requests import Request

__all__ = ["DEFAULT", "LANGUAGES", "LANG_COOKIE", "Translate", "choose", "translator"]

LOCALES = Path(__file__).resolve().parents[1] / "locales"
LANGUAGES = {"en": "English", "es": "Español"}  # code -> the language's own name, for the picker
DEFAULT = "en"
LANG_COOKIE = "th_lang"

Translate = Callable[..., str]


@cache
def _catalog(lang: str) -> dict[str, str]:
    path = LOCALES / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    # Fuzzy entries are guesses a translator has not confirmed: gettext skips them too.
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and not m.fuzzy
    }


def translator(lang: str) -> Translate:
    """`_("Hello %(name)s", name=...)`: look up, then fill named placeholders."""
    table = _catalog(lang)

    def gettext(message: str, **values: object) -> str:
        text = table.get(message, message)
        return text % values if values else text

    return gettext


def _accept_language(header: str) -> list[str]:
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
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
        ranked.append((-quality, index, tag.strip().lower().split("-")[0]))
    return [tag for quality, _, tag in sorted(ranked) if quality < 0]


def choose(request: Request) -> str:
    """`?lang=` first (the picker), then the cookie it leaves, then Accept-Language."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    for tag in _accept_language(request.headers.get("accept-language", "")):
        if tag in LANGUAGES:
            return tag
    return DEFAULT
