"""A room's settings: defaults, validation of untrusted input, and the JSON form events carry."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from rooms.errors import CommandError
from rooms.fields import is_int

__all__ = ["MODERATION_MODES", "ROOM_CODE", "RoomSettings", "parse_settings", "valid_code"]

MODERATION_MODES = ("pre", "post")
# What a room code may look like, here and in every path the server routes.
ROOM_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


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
    question_max_length: int = 280
    name_max_length: int = 60
    speaker_time_limit_s: int = 120
    verified: bool = False  # joining needs a one-time attendee code (op `codes.issue`)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["districts"] = list(self.districts)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RoomSettings:
        """Trusting: for settings already validated into an event."""
        known = {k: v for k, v in d.items() if k in cls.__dataclass_fields__}
        if "districts" in known:
            known["districts"] = tuple(known["districts"])
        return cls(**known)

    def public(self) -> dict[str, Any]:
        """What attendees may know: everything but the access code."""
        d = self.to_dict()
        del d["access_code"]
        return d


_BOOLS = (
    "anonymous_questions",
    "names_required",
    "vote_changes",
    "reactions",
    "downvotes",
    "verified",
)
_INTS = {
    "question_max_length": (1, 2000),
    "name_max_length": (1, 200),
    "speaker_time_limit_s": (10, 3600),
}


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
    for name in _BOOLS:
        if name in raw:
            if not isinstance(raw[name], bool):
                raise _bad(name, "must be true or false")
            changes[name] = raw[name]
    for name, (lo, hi) in _INTS.items():
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
    if "districts" in raw:
        districts = raw["districts"]
        if (
            not isinstance(districts, list | tuple)
            or len(districts) > 200
            or not all(isinstance(d, str) and 0 < len(d.strip()) <= 100 for d in districts)
        ):
            raise _bad("districts", "must be a list of at most 200 names (1-100 chars)")
        cleaned = tuple(d.strip() for d in districts)
        if len(set(cleaned)) != len(cleaned):
            raise _bad("districts", "must not repeat a name")
        changes["districts"] = cleaned
    return replace(base, **changes)


def valid_code(code: str) -> bool:
    return bool(ROOM_CODE.match(code))
