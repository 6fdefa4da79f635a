"""The room settings form (home page, settings page) to the settings object the engine reads.

One table of fields drives the form's markup and its reading: each row names a setting of
rooms.settings.RoomSettings, how the form shows it, and its help text. Reading only converts
types (a checkbox is on or absent, a number is digits, districts are lines); what is allowed
is the engine's call (rooms.settings.parse_settings), which answers `field.invalid`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rooms.forms import form_int
from rooms.settings import MODERATION_MODES, RoomSettings

__all__ = ["FIELDS", "SettingField", "settings_from_form"]


def N_(message: str) -> str:
    return message


@dataclass(frozen=True, slots=True)
class SettingField:
    name: str  # the RoomSettings field
    widget: str  # "check", "select", "number", "text", "lines", "language"
    label: str
    help: str
    low: int = 0
    high: int = 0


FIELDS: tuple[SettingField, ...] = (
    SettingField(
        "moderation",
        "select",
        N_("Questions"),
        N_(
            "Reviewed first: a moderator approves each question before anyone sees it "
            "(recommended for public meetings)."
        ),
    ),
    SettingField(
        "anonymous_questions",
        "check",
        N_("Allow anonymous questions"),
        N_("People may ask without showing their name. Moderators still see who asked."),
    ),
    SettingField(
        "names_required",
        "check",
        N_("Require a name to join"),
        N_("Everyone gives a name before taking part."),
    ),
    SettingField(
        "vote_changes",
        "check",
        N_("Let people change their vote"),
        N_("A new vote replaces the earlier one while the poll is open."),
    ),
    SettingField(
        "reactions",
        "check",
        N_("Reactions"),
        N_("Attendees can send quick reactions (applause, agreement) during the meeting."),
    ),
    SettingField(
        "downvotes",
        "check",
        N_("Downvotes on questions"),
        N_("Off by default: downvotes can bury unpopular but important questions."),
    ),
    SettingField(
        "access_code",
        "text",
        N_("Access code"),
        N_(
            "Optional. People must type it to join (letters, digits, - or _). "
            "Leave empty for an open meeting."
        ),
    ),
    SettingField(
        "verified",
        "check",
        N_("Verified attendees only"),
        N_("Joining needs a one-time code that you print and hand out at the door."),
    ),
    SettingField(
        "districts",
        "lines",
        N_("Districts"),
        N_("Optional, one per line. Attendees may say where they live; reports count by district."),
    ),
    SettingField(
        "speaker_time_limit_s",
        "number",
        N_("Speaking time (seconds)"),
        N_("How long each public speaker has the floor. Everyone sees the countdown."),
        10,
        3600,
    ),
    SettingField(
        "questions_per_minute",
        "number",
        N_("Questions per person per minute"),
        N_("How many questions one person may ask in any minute: enough for a keen resident, "
           "too few for a script."),
        1,
        1000,
    ),
    SettingField(
        "questions_pending_max",
        "number",
        N_("Questions waiting per person"),
        N_("How many of one person's questions may wait for review at once."),
        1,
        10000,
    ),
    SettingField(
        "language",
        "language",
        N_("Default language"),
        N_("For people whose browser does not ask for one of the shipped languages."),
    ),
)

_MODE_LABELS = {"pre": N_("Reviewed before they appear"), "post": N_("Shown at once")}
MODE_LABELS: Mapping[str, str] = {mode: _MODE_LABELS[mode] for mode in MODERATION_MODES}

_MAX_LINES = 200


def _checked(form: Mapping[str, Any], name: str) -> bool:
    return form.get(name) in ("on", "yes", "true", "1")


def settings_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The settings object for `room.create` or `room.update`, from a settings form.

    The form shows every field, so a missing checkbox means "off". Values that do not
    convert are passed on as they came, for the engine to refuse with its own words.
    """
    out: dict[str, Any] = {}
    for field in FIELDS:
        raw = form.get(field.name)
        text = raw.strip() if isinstance(raw, str) else ""
        if field.widget == "check":
            out[field.name] = _checked(form, field.name)
        elif field.widget == "number":
            if text:
                out[field.name] = form_int(text)
        elif field.widget == "lines":
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            out[field.name] = lines[: _MAX_LINES + 1]  # one over the engine's cap: refused
        elif field.widget == "select":
            if text:
                out[field.name] = text
        else:  # text and language: empty means "none"
            out[field.name] = text or None
    return out


def defaults() -> dict[str, Any]:
    """The civic defaults the forms start from: the engine's own."""
    return RoomSettings().to_dict()
