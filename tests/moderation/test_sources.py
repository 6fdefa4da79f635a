"""The severity policy over the two sources, on made-up data (the real lists: test_corpus)."""

from __future__ import annotations

from moderation.sources import combine

RATED = {"es": {"mierda": 2, "cola": 2, "culo": 1, "gay": 0, "Cabrón": 2}}
LISTED = {"es": ["mierda", "culo", "cabrón", "aborto", "gay"], "de": ["arschloch"]}


def lists(**review: dict[str, tuple[str, ...]]):  # type: ignore[no-untyped-def]
    return combine(RATED, LISTED, ordinary=review.get("ordinary", {}),
                   promote=review.get("promote", {}), demote=review.get("demote", {}))  # fmt: skip


def test_severe_needs_both_sources_to_agree() -> None:
    got = lists()
    assert got.severe["es"] == {"mierda", "cabrón"}  # folded: "Cabrón" == "cabrón"
    assert got.mild["es"] == {"cola", "culo", "aborto"}  # one source only, or rated 1
    assert "gay" not in got.mild["es"]  # rated 0: the rated source found it clean
    assert got.mild["de"] == {"arschloch"} and "de" not in got.severe  # no rating: mild


def test_review_has_the_last_word() -> None:
    got = lists(
        ordinary={"es": ("aborto",)},
        promote={"de": ("Arschloch",)},
        demote={"es": ("cabrón",)},
    )
    assert "aborto" not in got.mild["es"] and got.ordinary["es"] == {"aborto"}
    assert got.severe["de"] == {"arschloch"} and "arschloch" not in got.mild.get("de", ())
    assert got.severe["es"] == {"mierda"} and "cabrón" in got.mild["es"]
