"""A room's settings: defaults, validation of untrusted input, and the JSON form events carry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from moderation.fold import fold, tokens
from rooms.errors import CommandError
from rooms.fields import is_int

__all__ = [
    "BOOL_SETTINGS",
    "DISTRICTS_MAX",
    "DISTRICT_MAX",
    "FILTER_LIST_MAX",
    "FILTER_TERM_MAX",
    "INT_SETTINGS",
    "LANGUAGE_TAG",
    "MODERATION_MODES",
    "ROOM_CODE",
    "RoomSettings",
    "parse_settings",
    "valid_code",
]

MODERATION_MODES = ("pre", "post")
# What a room code may look like, here and in every path the server routes.
ROOM_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
# A BCP 47 language tag, loosely: a language and up to three subtags (`es`, `pt-BR`,
# `zh-Hans`). Whether the server ships that language is the edge's business, not the room's.
LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$")


@dataclass(frozen=True, slots=True)
class RoomSettings:
    moderation: str = "pre"  # "pre": questions wait for a moderator; "post": published at once
    anonymous_questions: bool = True
    names_required: bool = False
    vote_changes: bool = True  # a second ballot replaces the first while the poll is open
    reactions: bool = True
    downvotes: bool = False
    access_code: str | None = None
    districts: tuple[str, ...] = ()
    # No breakdown by district shows a group of fewer people than this (rooms/districts.py).
    min_cell_size: int = 5
    # The population of each district, for results weighted by population beside the raw
    # ones: every district, a whole number each (people, or shares in any whole unit: per
    # mille, basis points). Whole numbers: the log holds no float a verifier could spell
    # differently. Empty: no weighting.
    district_weights: tuple[tuple[str, int], ...] = ()
    question_max_length: int = 280
    name_max_length: int = 60
    speaker_time_limit_s: int = 120
    verified: bool = False  # joining needs a one-time attendee code (op `codes.issue`)
    # The organiser's word over the shipped word lists (docs/MODERATION.md): terms that never
    # flag here, and terms that always hold a text for review here.
    filter_allow: tuple[str, ...] = ()
    filter_deny: tuple[str, ...] = ()
    language: str | None = None  # the interface language for people who did not choose one
    # Flood limits per person (docs/SECURITY.md): questions waiting for a moderator at once,
    # and questions asked within any minute. Enough for a keen citizen, not for a script.
    questions_pending_max: int = 5
    questions_per_minute: int = 5

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in _LISTS:
            d[name] = list(getattr(self, name))
        d["district_weights"] = dict(self.district_weights)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RoomSettings:
        """Trusting: for settings already validated into an event."""
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        for name in _LISTS:
            if name in known:
                known[name] = tuple(known[name])
        if "district_weights" in known:
            known["district_weights"] = tuple(known["district_weights"].items())
        return cls(**known)

    def public(self) -> dict[str, Any]:
        """What attendees may know: everything but the access code and the filter lists (a
        deny list published is a list of spellings to avoid)."""
        d = self.to_dict()
        for name in ("access_code", *_FILTER_LISTS):
            del d[name]
        return d


_FILTER_LISTS = ("filter_allow", "filter_deny")
_LISTS = ("districts", *_FILTER_LISTS)
FILTER_LIST_MAX = 200  # terms per list
FILTER_TERM_MAX = 60  # characters per term
DISTRICTS_MAX = 200  # districts per room
DISTRICT_MAX = 100  # characters per district name

BOOL_SETTINGS = (
    "anonymous_questions",
    "names_required",
    "vote_changes",
    "reactions",
    "downvotes",
    "verified",
)
INT_SETTINGS = {
    "question_max_length": (1, 2000),
    "name_max_length": (1, 200),
    "speaker_time_limit_s": (10, 3600),
    "questions_pending_max": (1, 10_000),
    "questions_per_minute": (1, 1_000),
    # Below 3, two people in a district would each read the other's ballot off the table.
    "min_cell_size": (3, 1_000),
}
WEIGHT_MAX = 10**9  # a district's population; the sum stays far below 2**53 (exact in JS)


def _bad(name: str, why: str) -> CommandError:
    return CommandError("field.invalid", f"settings.{name} {why}")


def parse_settings(raw: object, base: RoomSettings) -> RoomSettings:
    """`base` with the recognised keys of `raw` applied; unknown keys are ignored."""
    if raw is None:
        return base
    if not isinstance(raw, Mapping):
        raise CommandError("field.invalid", "settings must be an object")
    changes: dict[str, Any] = {}
    if "moderation" in raw:
        if raw["moderation"] not in MODERATION_MODES:
            raise _bad("moderation", "must be 'pre' or 'post'")
        changes["moderation"] = raw["moderation"]
    for name in BOOL_SETTINGS:
        if name in raw:
            if not isinstance(raw[name], bool):
                raise _bad(name, "must be true or false")
            changes[name] = raw[name]
    for name, (lo, hi) in INT_SETTINGS.items():
        if name in raw:
            value = raw[name]
            if not is_int(value) or not lo <= value <= hi:
                raise _bad(name, f"must be an integer in {lo}..{hi}")
            changes[name] = value
    if "access_code" in raw:
        code = raw["access_code"]
        # "" or null removes the access code.
        if code not in (None, "") and (not isinstance(code, str) or not ROOM_CODE.match(code)):
            raise _bad("access_code", "must be 1-32 letters, digits, '-' or '_'")
        changes["access_code"] = code or None
    if "language" in raw:
        language = raw["language"]
        # "" or null removes the default (the server's own default applies).
        if language not in (None, "") and (
            not isinstance(language, str) or not LANGUAGE_TAG.match(language)
        ):
            raise _bad("language", "must be a language tag such as 'es' or 'pt-BR'")
        changes["language"] = language or None
    if "districts" in raw:
        districts = raw["districts"]
        if (
            not isinstance(districts, list | tuple)
            or len(districts) > DISTRICTS_MAX
            or not all(isinstance(d, str) and 0 < len(d.strip()) <= DISTRICT_MAX for d in districts)
        ):
            raise _bad(
                "districts",
                f"must be a list of at most {DISTRICTS_MAX} names (1-{DISTRICT_MAX} chars)",
            )
        cleaned = tuple(d.strip() for d in districts)
        if len(set(cleaned)) != len(cleaned):
            raise _bad("districts", "must not repeat a name")
        changes["districts"] = cleaned
    for name in _FILTER_LISTS:
        if name in raw:
            changes[name] = _filter_list(name, raw[name])
    if "district_weights" in raw:
        changes["district_weights"] = _weights(raw["district_weights"])
    merged = replace(base, **changes)
    if _folded(merged.filter_allow) & _folded(merged.filter_deny):
        raise _bad("filter_deny", "must not repeat a term of filter_allow")
    weights = merged.district_weights
    if weights and {d for d, _share in weights} != set(merged.districts):
        raise _bad("district_weights", "must give a population for each of the room's districts")
    return merged


def _weights(value: object) -> tuple[tuple[str, int], ...]:
    """District -> population: whole numbers from 1 to 10**9 (their sum is checked against
    the districts by `parse_settings`: one each). An empty object or null removes it."""
    if value is None:
        return ()
    if not isinstance(value, Mapping) or len(value) > 200:
        raise _bad(
            "district_weights", "must be an object of at most 200 district: population pairs"
        )
    pairs: list[tuple[str, int]] = []
    for district, population in value.items():
        if not is_int(population) or not 1 <= population <= WEIGHT_MAX:
            raise _bad("district_weights", f"populations must be whole numbers in 1..{WEIGHT_MAX}")
        pairs.append((str(district).strip(), population))
    if len({d for d, _n in pairs}) != len(pairs):
        raise _bad("district_weights", "must not repeat a district")
    return tuple(pairs)


def _folded(terms: tuple[str, ...]) -> set[str]:
    return {" ".join(tokens(fold(t))) for t in terms}


def _filter_list(name: str, value: object) -> tuple[str, ...]:
    """A room's allow or deny list: at most 200 terms of 1-60 characters, each with a letter
    or digit, none twice (as the filters read them: "Darn" and "DARN" are one term)."""
    why = (
        f"must be a list of at most {FILTER_LIST_MAX} words or phrases (1-{FILTER_TERM_MAX} chars)"
    )
    if not isinstance(value, list | tuple) or len(value) > FILTER_LIST_MAX:
        raise _bad(name, why)
    cleaned: list[str] = []
    seen: set[str] = set()
    for term in value:
        if not isinstance(term, str) or not 0 < len(term.strip()) <= FILTER_TERM_MAX:
            raise _bad(name, why)
        key = " ".join(tokens(fold(term)))
        if not key:
            raise _bad(name, "terms need a letter or a digit")
        if key in seen:
            raise _bad(name, f"repeats {term.strip()!r}")
        seen.add(key)
        cleaned.append(term.strip())
    return tuple(cleaned)


def valid_code(code: str) -> bool:
    return bool(ROOM_CODE.match(code))
