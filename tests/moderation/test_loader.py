"""server/filters.py reads the two shipped sources as data, strictly, and survives their loss."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from server.filters import CUSS_DIR, load_filters, parse_cuss, read_badwords, read_cuss


def test_parse_cuss_reads_entries_and_skips_anything_else(caplog: pytest.LogCaptureFixture) -> None:
    source = (
        "/**\n * Map of words.\n *\n * @type {Record<string, number>}\n */\n"
        "export const cuss = {\n  abc: 1,\n  'two words': 2,\n  \"dq\": 0,\n"
        "  evil: require('fs'),\n}\n"
    )
    with caplog.at_level(logging.WARNING, "townhall.filters"):
        assert parse_cuss(source, "x.js") == {"abc": 1, "two words": 2, "dq": 0}
    assert "x.js line 10" in caplog.text


def test_two_files_for_one_language_keep_the_higher_rating(tmp_path: Path) -> None:
    (tmp_path / "pt.js").write_text("export const cuss = {\n  merda: 2,\n}\n", "utf-8")
    (tmp_path / "pt-pt.js").write_text("export const cuss = {\n  merda: 1,\n}\n", "utf-8")
    assert read_cuss(tmp_path)["pt"] == {"merda": 2}


def test_a_missing_source_is_logged_and_the_rest_still_loads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "townhall.filters"):
        filters = load_filters(tmp_path / "nowhere")
    assert "cuss word list" in caplog.text
    assert "es" in filters.languages  # badwords-py alone: mild lists
    assert filters.check("mierda").flags == ("profanity.mild",)


def test_the_installed_lists() -> None:
    assert (CUSS_DIR / "index.js").is_file(), "run `make setup` (npm ci installs cuss)"
    rated = read_cuss()
    assert {"en", "es", "fr", "it", "pt"} <= set(rated) and len(rated["en"]) > 1000
    listed = read_badwords()
    assert {"de", "es", "fr", "pt", "ru"} <= set(listed) and "es_419" not in listed
    filters = load_filters()
    assert {"en", "es", "fr", "pt", "de"} <= filters.languages
