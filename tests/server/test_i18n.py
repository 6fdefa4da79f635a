"""The translator: which language a request gets, plural forms and Babel formats per locale,
the words for every code the engine speaks in, and what the page scripts are handed."""

from __future__ import annotations

import json

import pytest
from starlette.requests import Request

from moderation import filters
from moderation.audit import REJECT_REASONS
from moderation.roles import OP_BY_EVENT, OPS_BY_ROLE
from rooms import CODES
from rooms.events import EVENT_TYPES
from rooms.polls import KINDS
from server.edge import i18n_names
from server.edge.i18n import (
    LANG_COOKIE,
    LANGUAGES,
    Translator,
    choose,
    cli_gettext,
    match,
    room_language,
    translator,
)

VOTERS = ("%(num)s voter", "%(num)s voters")


def _request(query: str = "", cookie: str | None = None, accept: str | None = None) -> Request:
    headers = []
    if cookie is not None:
        headers.append((b"cookie", f"{LANG_COOKIE}={cookie}".encode()))
    if accept is not None:
        headers.append((b"accept-language", accept.encode()))
    scope = {"type": "http", "method": "GET", "path": "/", "query_string": query.encode(),
             "headers": headers}
    return Request(scope)


@pytest.mark.parametrize(
    ("tag", "shipped"),
    [
        ("es", "es"), ("ES", "es"), ("es-419", "es"), ("pt-BR", "pt"), ("pt_PT", "pt"),
        ("fr-CA", "fr"), ("de-AT", "de"), ("ar-EG", "ar"), ("vi-VN", "vi"),
        ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-SG", "zh-Hans"), ("zh-Hans-CN", "zh-Hans"),
        # Traditional script: not a language we ship, so the next preference gets its turn.
        ("zh-TW", None), ("zh-HK", None), ("zh-Hant", None),
        ("xx", None), ("", None), (None, None), ("*", None), ("e", None), ("en-<b>", None),
        ("a" * 40, None),
    ],
)
def test_a_tag_finds_its_shipped_language(tag: str | None, shipped: str | None) -> None:
    assert match(tag) == shipped


def test_the_choice_goes_picker_cookie_header_room_then_english() -> None:
    everything = _request("lang=fr", cookie="de", accept="es")
    assert choose(everything, "ar") == "fr"
    assert choose(_request(cookie="de", accept="es"), "ar") == "de"
    assert choose(_request(accept="zh-TW, es;q=0.5"), "ar") == "es"
    assert choose(_request(accept="tlh, *;q=0.1"), "ar") == "ar"
    assert choose(_request(), "pt-BR") == "pt"
    assert choose(_request(), "xx") == "en"
    assert choose(_request("lang=klingon", cookie="nonsense")) == "en"
    assert choose(_request(accept="en;q=0.2, vi;q=0.9")) == "vi"
    assert choose(_request(accept="vi;q=0, en")) == "en"  # q=0 means "not this one"


def test_the_room_default_comes_from_its_view() -> None:
    assert room_language({"settings": {"language": "vi"}}) == "vi"
    assert room_language({"settings": {"language": None}}) is None
    assert room_language({"settings": "odd"}) is None
    assert room_language(None) is None


def test_plural_forms_per_locale() -> None:
    def voters(tag: str, n: int) -> str:
        return translator(tag).ngettext(*VOTERS, n)

    assert [voters("en", n) for n in (0, 1, 2)] == ["0 voters", "1 voter", "2 voters"]
    assert voters("fr", 0) == "0 votant" and voters("fr", 2) == "2 votants"  # 0 is singular
    assert voters("de", 1234) == "1.234 Personen haben abgestimmt"
    assert voters("zh-Hans", 1) == voters("zh-Hans", 5).replace("5", "1")  # one form only
    arabic = [voters("ar", n) for n in (0, 1, 2, 3, 11, 100)]
    assert len(set(arabic)) == 6, arabic  # zero, one, two, few, many, other
    assert arabic[3] == "صوّت 3 أشخاص" and arabic[4] == "صوّت 11 شخصًا"


def test_numbers_dates_and_durations_follow_the_locale() -> None:
    assert translator("en").number(1234567.5) == "1,234,567.5"
    assert translator("de").number(1234567.5) == "1.234.567,5"
    assert translator("fr").percent(0.5) == "50\u00a0%"
    assert translator("ar").number(1234) == "1,234"  # Latin digits, as in codes and links
    assert translator("vi").seconds(12.5) == "12,5 giây"
    assert translator("en").datetime(0) == "January 1, 1970, 12:00:00\u202fAM UTC"
    assert translator("es").datetime(0).startswith("1 de enero de 1970")
    assert translator("en").number(None) == translator("en").percent(None) == "\u2013"


def test_only_arabic_reads_right_to_left() -> None:
    assert {tag: translator(tag).dir for tag in LANGUAGES} == {
        tag: "rtl" if tag == "ar" else "ltr" for tag in LANGUAGES
    }


@pytest.mark.parametrize("tag", list(LANGUAGES))
def test_every_error_code_has_a_sentence_in_every_language(tag: str) -> None:
    _ = translator(tag)
    for code, english in CODES.items():
        sentence = _.error(code)
        assert sentence and sentence[0] == sentence[0].upper(), (tag, code)
        if tag != "en":
            assert sentence.lower() != english.lower(), (tag, code)
    assert "nope.nope" in _.error("nope.nope")


def test_the_words_cover_every_code_the_engine_has() -> None:
    assert set(i18n_names.REASONS) == set(REJECT_REASONS)
    assert set(i18n_names.POLL_KINDS) == set(KINDS)
    # Every op, and the one page action that is no op: leaving a room on this device.
    assert set(i18n_names.OP_DONE) == set().union(*OPS_BY_ROLE.values()) | {"left"}
    staff = {t for t in EVENT_TYPES if t in OP_BY_EVENT and OP_BY_EVENT[t].audited}
    assert set(i18n_names.ACTIONS) == staff
    flags = {v for k, v in vars(filters).items() if k.startswith("FLAG_")}
    assert set(i18n_names.FLAGS) == flags


def test_codes_show_as_words() -> None:
    es = translator("es")
    assert es.reason("off_topic") == "Fuera de tema"
    assert es.kind("single") == "Opción única"
    assert es.poll_state("open") == "Abierta" and es("Open") == "Abrir"  # state vs button
    assert es.done("poll.create") == "Encuesta creada." and es.done("new.op") == "Hecho."
    assert es.action("question.approved") == "Preguntas aprobadas"
    assert es.flags(("link", "profanity")) == "contiene un enlace, posible lenguaje ofensivo"
    assert es.reason("unheard_of") == "unheard_of" and es.kind("new") == "new"


def test_a_broken_translation_falls_back_to_english() -> None:
    t = translator("es")
    broken = Translator("es")
    broken._t = _Broken()
    assert broken("QR code for %(url)s", url="x") == "QR code for x"
    assert broken.ngettext(*VOTERS, 3) == "3 voters"
    assert t("QR code for %(url)s", url="x") == "Código QR de x"


class _Broken:
    def gettext(self, message: str) -> str:
        return "%(oops)s"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return "%d"

    def pgettext(self, context: str, message: str) -> str:
        return message


@pytest.mark.parametrize("tag", list(LANGUAGES))
def test_the_scripts_pick_the_form_the_server_would(tag: str) -> None:
    """The page script asks the browser's Intl.PluralRules (CLDR) for a category; the server
    hands over one form per category, chosen with a count of that category. That is only
    right if gettext's rule gives every count the form of its category's sample count."""
    t = translator(tag)
    samples = t.plural_categories()
    form = t._t.plural  # gettext's rule, from the catalog's Plural-Forms
    for n in (*range(0, 2000), 10**6, 2 * 10**6, 10**7 + 1):
        category = t.locale.plural_form(n)
        assert form(n) == form(samples[category]), (tag, n, category)


@pytest.mark.parametrize("tag", list(LANGUAGES))
def test_the_js_table(tag: str) -> None:
    table = json.loads(translator(tag).js_table())
    assert table["lang"] == tag
    assert set(table["errors"]) == set(CODES)
    assert set(table["reasons"]) == set(REJECT_REASONS)
    assert set(table["plurals"]) == set(i18n_names.JS_PLURALS)
    for forms in table["plurals"].values():
        assert "other" in forms and all(forms.values())
    if tag == "ar":
        assert set(table["plurals"]["voters"]) == {"zero", "one", "two", "few", "many", "other"}


def test_the_command_line_speaks_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    message = "no such room"
    assert cli_gettext(message) == message
    monkeypatch.setenv("LANG", "es_ES.UTF-8")
    assert cli_gettext(message) == "esa sala no existe"
    monkeypatch.setenv("LC_ALL", "C")
    assert cli_gettext(message) == "esa sala no existe"  # C is no language: LANG decides
    monkeypatch.setenv("LANGUAGE", "tlh:de")
    assert cli_gettext(message) == "diesen Raum gibt es nicht"
    assert cli_gettext("cannot read %(path)s: %(error)s", path="a", error="b") == (
        "a kann nicht gelesen werden: b"
    )
