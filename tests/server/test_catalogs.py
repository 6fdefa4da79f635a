"""Every shipped language is complete: each msgid of the sources translated, no fuzzy guesses,
placeholders kept, every plural form written; and messages.pot is in step with the sources,
so a new string without translations fails here (run `make messages`, then translate)."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from server.edge.i18n import DEFAULT, LANGUAGES, LOCALES
from server.edge.i18n_extract import POT, extract

TRANSLATED = [tag for tag in LANGUAGES if tag != DEFAULT]  # English is the source language
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sdr])|%(.)")


def _folder(tag: str) -> str:
    return tag.replace("-", "_")


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def _catalog(tag: str) -> Catalog:
    return _read(LOCALES / _folder(tag) / "LC_MESSAGES" / "messages.po", _folder(tag))


def _key(message: Message) -> tuple[str | None, str | tuple[str, ...]]:
    msgid = message.id
    return message.context, tuple(msgid) if isinstance(msgid, list | tuple) else str(msgid)


def _keys(catalog: Catalog) -> set[tuple[str | None, str | tuple[str, ...]]]:
    return {_key(m) for m in catalog if m.id}


def _placeholders(text: str) -> set[tuple[str, str]]:
    """Named placeholders with their conversion; a bare % other than %% is a broken one."""
    found = set()
    for name, conversion, bare in _PLACEHOLDER.findall(text):
        if bare and bare != "%":
            found.add(("<bare %>", bare))
        elif name:
            found.add((name, conversion))
    return found


def _forms(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, list | tuple) else (str(string),)


def _single_number_forms(tag: str) -> set[int]:
    """Plural forms that only ever stand for one number (Arabic's zero, one and two):
    those may name it in words instead of %(num)s. French 'one' (0 and 1) may not."""
    plural = gettext.c2py(get_plural(_folder(tag)).plural_expr)
    seen: dict[int, set[int]] = {}
    for n in range(0, 1001):
        seen.setdefault(plural(n), set()).add(n)
    return {form for form, numbers in seen.items() if len(numbers) == 1}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return _read(POT)


def test_the_template_is_in_step_with_the_sources(tmp_path: Path, template: Catalog) -> None:
    fresh = tmp_path / "messages.pot"
    extract(fresh)
    new, old = _keys(_read(fresh)), _keys(template)
    assert not new - old, f"strings not in messages.pot: run `make messages`: {new - old}"
    assert not old - new, f"messages.pot has strings the sources dropped: {old - new}"


def test_every_shipped_language_has_a_catalog_and_every_catalog_is_shipped() -> None:
    folders = {p.parent.parent.name for p in LOCALES.glob("*/LC_MESSAGES/messages.po")}
    assert folders == {_folder(tag) for tag in LANGUAGES}


def test_english_is_the_source(template: Catalog) -> None:
    english = _catalog(DEFAULT)
    assert _keys(english) == _keys(template)
    assert all(not any(_forms(m)) for m in english if m.id), "English shows the msgids"


@pytest.mark.parametrize("tag", TRANSLATED)
def test_catalog_holds_exactly_the_template(tag: str, template: Catalog) -> None:
    catalog = _catalog(tag)
    missing, extra = _keys(template) - _keys(catalog), _keys(catalog) - _keys(template)
    assert not missing, f"{tag}: not in the catalog (run `make messages`): {missing}"
    assert not extra, f"{tag}: no longer in the sources (run `make messages`): {extra}"


@pytest.mark.parametrize("tag", TRANSLATED)
def test_every_message_is_translated_and_confirmed(tag: str) -> None:
    catalog = _catalog(tag)
    assert not catalog.fuzzy, f"{tag}: the header is marked fuzzy"
    untranslated = [m.id for m in catalog if m.id and not all(_forms(m))]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"{tag}: {len(untranslated)} untranslated: {untranslated[:10]}"
    assert not fuzzy, f"{tag}: fuzzy entries (check and clear the flag): {fuzzy[:10]}"


@pytest.mark.parametrize("tag", TRANSLATED)
def test_plural_forms_follow_babels_rules_for_the_locale(tag: str) -> None:
    catalog = _catalog(tag)
    rule = get_plural(_folder(tag))
    assert catalog.num_plurals == rule.num_plurals, tag
    assert catalog.plural_expr == rule.plural_expr, tag
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(_forms(message)) == rule.num_plurals, (tag, message.id)


@pytest.mark.parametrize("tag", TRANSLATED)
def test_placeholders_are_kept(tag: str) -> None:
    catalog = _catalog(tag)
    alone = _single_number_forms(tag)
    for message in catalog:
        if not message.id:
            continue
        if not message.pluralizable:
            wanted = _placeholders(str(message.id))
            assert _placeholders(_forms(message)[0]) == wanted, (tag, message.id)
            continue
        wanted = _placeholders(message.id[1])
        for index, form in enumerate(_forms(message)):
            got = _placeholders(form)
            assert got <= wanted, (tag, message.id, index, form)
            # Every placeholder but the count must stay; the count only where the form
            # covers many numbers ("%(num)s personnes"), not one ("شخصان", two people).
            need = wanted if index not in alone else {p for p in wanted if p[0] != "num"}
            assert need <= got, (tag, message.id, index, form)


@pytest.mark.parametrize("tag", TRANSLATED)
def test_every_translation_formats(tag: str) -> None:
    """What the translator does at run time: `text % values` with every named value."""
    catalog = _catalog(tag)
    for message in catalog:
        if not message.id:
            continue
        msgids = message.id if message.pluralizable else (message.id,)
        names = {name for msgid in msgids for name, _ in _placeholders(str(msgid))}
        values = {name: 1 for name in names} | {"room": "ABC"}
        for form in _forms(message):
            if names:
                form % values  # raises on a broken or renamed placeholder


def test_the_checks_catch_what_they_are_for() -> None:
    """The helpers above, on bad entries: a renamed placeholder, a stray %, a dropped count."""
    assert _placeholders("%(num)s votos") == {("num", "s")}
    assert _placeholders("%(nums)s votos") != _placeholders("%(num)s votes")
    assert ("<bare %>", " ") in _placeholders("50 % voters")
    assert _placeholders("100%% sure") == set()
    assert _single_number_forms("ar") == {0, 1, 2}  # zero, one, two
    assert _single_number_forms("fr") == set()  # 'one' is 0 and 1
