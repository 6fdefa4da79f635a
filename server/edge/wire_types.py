"""The wire contract as types: every op of moderation/roles.py OPS (the server's frames are
in server/edge/wire_frames.py, built with the same field helpers).

The constraints are built from the constants the reducer's readers use (rooms/fields.py,
rooms/text.py, the op modules' limits, rooms/settings.py's ranges), so a limit changed there
changes here, and the API documents at /docs are generated from these types
(server/edge/api_docs.py). `check_op` validates a frame the way the reducer reads its fields:
what it refuses, the reducer refuses with `field.missing`, `field.invalid` or `text.invalid`,
and what the reducer accepts, it accepts (tests/server/edge/test_contracts_types.py holds the
two to that). What depends on the room (whether an id exists, a poll's options, the room's
own length limits, a moderator's reasons) stays the reducer's to say: such fields are typed
at their widest. Unknown fields are ignored, as the reducer ignores them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from moderation.audit import REJECT_REASONS
from moderation.language import TAG_PATTERN
from moderation.roles import INVITED, OPS
from rooms.fields import MAX_ID
from rooms.floor_ops import COUNT_MAX, REACTIONS
from rooms.link_ops import LINKS
from rooms.poll_kinds import KINDS
from rooms.poll_ops import MAX_DURATION_S
from rooms.polls import OPTION_MAX, OPTIONS_READ, QUESTION_MAX
from rooms.presenting import TARGETS
from rooms.question_ops import ANSWER_MAX, LABEL_MAX, MAX_LABELS
from rooms.room_ops import CODES_PER_ISSUE, TITLE_MAX
from rooms.settings import (
    BOOL_SETTINGS,
    DISTRICT_MAX,
    DISTRICTS_MAX,
    FILTER_LIST_MAX,
    FILTER_TERM_MAX,
    INT_SETTINGS,
    LANGUAGE_TAG,
    MODERATION_MODES,
    ROOM_CODE,
)
from rooms.text import INVALID_CHARS, input_limit
from rooms.translations import TARGETS as TRANSLATABLE
from server.edge.op_shape import MAX_OP, MAX_OP_ID

__all__ = [
    "MAX_OP",
    "MAX_OP_ID",
    "OP_TYPES",
    "Ping",
    "RoomSettingsFields",
    "WireError",
    "body_type",
    "check_op",
]


# A string the reducer takes: no control character but tab and line breaks, no lone surrogate.
_SOUND = f"^[^{INVALID_CHARS}]*$"


def _text(description: str, max_length: int | None = None) -> Any:
    """A sound string; `max_length` is what the room keeps after cleaning (rooms/text.py), so
    the input may be longer by what cleaning removes."""
    if max_length is None:
        return Annotated[str, Meta(pattern=_SOUND, description=description)]
    return Annotated[
        str,
        Meta(
            pattern=_SOUND,
            max_length=input_limit(max_length),
            description=f"{description} (at most {max_length} characters once cleaned)",
            extra_json_schema={"x-max-cleaned-length": max_length},
        ),
    ]


def _matching(pattern: str, description: str) -> Any:
    return Annotated[str, Meta(pattern=pattern, description=description)]


def _one_of(values: Sequence[str], description: str) -> Any:
    return Annotated[Literal.__getitem__(tuple(values)), Meta(description=description)]


def _list(item: Any, max_items: int, description: str | None = None) -> Any:
    kind = list.__class_getitem__(item)
    return Annotated[kind, Meta(max_length=max_items, description=description)]


def _int(lo: int, hi: int, description: str) -> Any:
    return Annotated[int, Meta(ge=lo, le=hi, description=description)]


Id = _int(1, MAX_ID, "an id the room gave (poll, question, answer)")
OpId = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=MAX_OP_ID,
        pattern=_SOUND,
        description="the client's id for this op: resend the same one to retry it",
    ),
]
# As rooms/screening.py reads it: "" is none; else a tag, surrounding whitespace stripped.
Lang = _matching(
    f"^$|^(?=[^{INVALID_CHARS}]*$)\\s*{TAG_PATTERN}\\s*$",
    "a BCP 47 language tag (only its primary subtag is kept); empty: detect it",
)
Reason = _one_of(REJECT_REASONS, "one of the fixed moderation reasons")
PersonId = _text("a participant id")


# -- room settings -------------------------------------------------------------------------


def _settings_fields() -> list[tuple[str, Any, Any]]:
    fields: list[tuple[str, Any, Any]] = [
        (
            "moderation",
            _one_of(MODERATION_MODES, "pre: questions wait for a moderator") | UnsetType,
            UNSET,
        ),
    ]
    fields += [(name, bool | UnsetType, UNSET) for name in BOOL_SETTINGS]
    fields += [
        (name, _int(lo, hi, name.replace("_", " ")) | UnsetType, UNSET)
        for name, (lo, hi) in INT_SETTINGS.items()
    ]
    code = _matching(f"^$|{ROOM_CODE.pattern}", "letters, digits, '-' or '_'; empty: none")
    language = _matching(f"^$|{LANGUAGE_TAG.pattern}", "the interface language by default")
    fields += [
        ("access_code", code | None | UnsetType, UNSET),
        ("language", language | None | UnsetType, UNSET),
        (
            "districts",
            _list(
                _text(f"a district, 1-{DISTRICT_MAX} characters besides surrounding spaces"),
                DISTRICTS_MAX,
                "distinct names",
            )
            | UnsetType,
            UNSET,
        ),
    ]
    term = _text(f"a word or phrase, 1-{FILTER_TERM_MAX} characters besides surrounding spaces")
    fields += [
        (name, _list(term, FILTER_LIST_MAX, "distinct terms") | UnsetType, UNSET)
        for name in ("filter_allow", "filter_deny")
    ]
    return fields


# The settings a room is created with or updated to (docs/ENGINE.md): each may be left out.
RoomSettingsFields: type[Struct] = msgspec.defstruct(
    "RoomSettingsFields",
    _settings_fields(),
    kw_only=True,
    omit_defaults=True,
    module=__name__,
)

# -- ops -----------------------------------------------------------------------------------

_POLL_ID = ("poll_id", Id)
_QUESTION_ID = ("question_id", Id)
_ANSWER_ID = ("answer_id", Id)
_OPT = None  # the default of an optional field: absent and null mean the same to the reducer


def _opt(name: str, kind: Any) -> tuple[str, Any, Any]:
    return (name, kind | None, _OPT)


_POLL_DEFINITION: list[tuple[str, Any, Any]] = [
    _opt("options", _list(_text("an option", OPTION_MAX), OPTIONS_READ)),
    _opt("allow_changes", bool),
    _opt("closes_at", _int(1, MAX_ID, "when the poll closes, ms since the epoch")),
    _opt("max_selections", int),
    _opt("scale", int),
    _opt("max_words", int),
    _opt("total", int),
    _opt("caps", list[int]),
    # A quiz's right options (an index or a list of them) and its scoring window.
    _opt("correct", int | list[int]),
    _opt("window_s", int),
]
_BAN_TARGETS = [
    _opt("participant_id", PersonId),
    _opt("question_id", Id),
    _opt("answer_id", Id),
    _opt("speaker", _one_of(("floor",), "whoever holds the floor")),
]
_KIND = _one_of(tuple(KINDS), "the poll kind (docs/ENGINE.md)")
_POLL_QUESTION = _text("the poll's question", QUESTION_MAX)
# A ballot's shape depends on the poll's kind: an option index (single, rating), a list of
# indexes (multiple, ranking), {index: amount} (budget), a text (open) or words (wordcloud).
_CHOICE = Annotated[
    int | str | list[Any] | dict[str, Any],
    Meta(description="the ballot; its shape depends on the poll's kind (docs/ENGINE.md)"),
]

# The fields of every op after `op` and `op_id`: (name, type) required, (name, type, default)
# optional. One row per op of moderation/roles.py OPS; a test fails on a missing one.
_FIELDS: dict[str, list[Any]] = {
    "room.create": [
        ("code", _matching(ROOM_CODE.pattern, "the room code (the server draws it)")),
        ("title", _text("the room's title", TITLE_MAX)),
        _opt("settings", RoomSettingsFields),
    ],
    "room.update": [
        _opt("title", _text("the room's title", TITLE_MAX)),
        _opt("settings", RoomSettingsFields),
    ],
    "room.close": [],
    "room.publish": [],
    "participant.join": [
        _opt("name", _text("the name people see")),
        _opt("district", _text("one of the room's districts")),
        _opt("access_code", _text("the room's access code")),
        _opt("attendee_code", _text("a one-time attendee code")),
    ],
    # Exactly one target (else ban.target, the reducer's to say): the person, or content of
    # theirs, whose author the room finds without naming them (docs/ENGINE.md).
    "participant.ban": [*_BAN_TARGETS, ("reason", Reason)],
    "participant.unban": [*_BAN_TARGETS, _opt("ban_id", _text("a content ban's id"))],
    "participant.erase": [],
    "participant.forget": [("participant_id", PersonId)],
    "codes.issue": [("count", _int(1, CODES_PER_ISSUE, "how many one-time codes to issue"))],
    "moderator.add": [
        ("name", _text("the co-moderator's name")),
        _opt("role", _one_of(tuple(r.value for r in INVITED), "who is invited")),
    ],
    "moderator.revoke": [("moderator_id", _text("a co-moderator's id"))],
    "screen.show": [
        ("target", _one_of(tuple(TARGETS), "what the big screen shows")),
        _opt("target_id", Id),
    ],
    "translation.attach": [
        ("target", _one_of(TRANSLATABLE, "what is translated")),
        ("target_id", Id),
        ("lang", Lang),
        ("text", _text("the question's text, or the poll's question")),
        _opt("options", _list(_text("an option", OPTION_MAX), OPTIONS_READ)),
    ],
    "links.rotate": [("link", _one_of(LINKS, "which shared link to re-issue"))],
    "poll.create": [("kind", _KIND), ("question", _POLL_QUESTION), *_POLL_DEFINITION],
    "poll.edit": [
        _POLL_ID,
        _opt("kind", _KIND),
        _opt("question", _POLL_QUESTION),
        *_POLL_DEFINITION,
    ],
    "poll.open": [_POLL_ID, _opt("duration_s", _int(1, MAX_DURATION_S, "close after this long"))],
    "poll.close": [_POLL_ID],
    "poll.reveal": [_POLL_ID],
    "poll.hide": [_POLL_ID],
    "poll.delete": [_POLL_ID],
    "poll.restore": [_POLL_ID],
    "template.save": [_POLL_ID, _opt("name", _text("the template's name", 80))],
    "template.delete": [("template_id", Id)],
    "template.restore": [("template_id", Id)],
    "vote": [_POLL_ID, ("choice", _CHOICE), _opt("lang", Lang)],
    "answer.approve": [_ANSWER_ID, _opt("text", _text("the answer as edited"))],
    "answer.reject": [_ANSWER_ID, ("reason", Reason)],
    "answer.restore": [_ANSWER_ID],
    "question.ask": [
        ("text", _text("the question", INT_SETTINGS["question_max_length"][1])),
        _opt("anonymous", bool),
        _opt("lang", Lang),
    ],
    "question.upvote": [_QUESTION_ID],
    "question.downvote": [_QUESTION_ID],
    "question.unvote": [_QUESTION_ID],
    "question.withdraw": [_QUESTION_ID],
    "question.approve": [_QUESTION_ID, _opt("text", _text("the question as edited"))],
    "question.reject": [_QUESTION_ID, ("reason", Reason)],
    "question.restore": [_QUESTION_ID],
    "question.hide": [_QUESTION_ID, _opt("reason", Reason)],
    "question.answer": [_QUESTION_ID, _opt("text", _text("the answer given", ANSWER_MAX))],
    "question.pin": [_QUESTION_ID],
    "question.unpin": [_QUESTION_ID],
    "question.archive": [_QUESTION_ID],
    "question.label": [
        _QUESTION_ID,
        ("labels", _list(_text("a label", LABEL_MAX), MAX_LABELS)),
    ],
    "speaker.request": [_opt("topic", _text("what you want to speak about"))],
    "speaker.withdraw": [],
    "speaker.next": [],
    "speaker.skip": [],
    "speaker.finish": [],
    "react": [("emoji", _one_of(REACTIONS, "one of the room's reactions"))],
    "reactions.count": [
        ("window_start", _int(0, MAX_ID, "the window's start, ms since the epoch")),
        (
            "counts",
            dict.__class_getitem__((_one_of(REACTIONS, "a reaction"), _int(1, COUNT_MAX, "taps"))),
        ),
    ],
}


def body_type(op: str, name: str) -> type[Struct]:
    """The fields of `op` alone, as the HTTP endpoint that sends it for you takes them."""
    return msgspec.defstruct(name, _FIELDS[op], kw_only=True, omit_defaults=True, module=__name__)


class _Op(Struct, tag_field="op", kw_only=True, omit_defaults=True):
    op_id: OpId


def _name(wire: str, suffix: str = "") -> str:
    return "".join(part.capitalize() for part in wire.replace("_", ".").split(".")) + suffix


def _op_type(op: str) -> type[Struct]:
    row = OPS[op]
    who = f"sent by the server itself (clients get op.unknown); needs role {row.by}"
    doc = who if row.server else f"needs role {row.by}; its event: {row.event}"
    return msgspec.defstruct(
        _name(op, "Op"),
        _FIELDS[op],
        bases=(_Op,),
        tag=op,
        kw_only=True,
        module=__name__,
        namespace={"__doc__": doc},
    )


OP_TYPES: Mapping[str, type[Struct]] = {op: _op_type(op) for op in OPS}


class Ping(Struct, tag="ping", tag_field="op"):
    """Answered by a `pong` frame; needs no op_id."""


class WireError(Exception):
    """An op's fields do not fit its type (`op.unknown` or `field.invalid`); the reducer refuses
    the same input, with `field.missing`, `field.invalid` or `text.invalid`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_op(frame: Mapping[str, Any]) -> Struct:
    """The typed op of `frame` (a decoded `{"op", "op_id", ...fields}`), or WireError."""
    op = frame.get("op")
    kind = OP_TYPES.get(op) if isinstance(op, str) else None
    if kind is None:
        raise WireError("op.unknown", f"no such operation: {str(op)[:MAX_OP]!r}")
    try:
        return msgspec.convert(dict(frame), kind, strict=True)
    except msgspec.ValidationError as error:
        raise WireError("field.invalid", str(error)) from None
