"""Every fact a room's log can hold: frozen, slotted, past tense, with a dotted wire type.

An event carries everything `apply` needs so that replay never consults anything else (no
word lists, no settings of the moment, no clock). Who did it, when, and under which op id
live on the `Record` around it, not here. Wire form: `{"type": "poll.created", "data": {...}}`,
the same split as the store's entries; tuples travel as lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, TypeVar

__all__ = [
    "EVENT_TYPES",
    "AnswerApproved",
    "AnswerRejected",
    "AnswerRestored",
    "BallotCast",
    "Choice",
    "CodesIssued",
    "Event",
    "LinksRotated",
    "ModeratorAdded",
    "ModeratorRevoked",
    "ParticipantBanned",
    "ParticipantErased",
    "ParticipantForgotten",
    "ParticipantJoined",
    "ParticipantUnbanned",
    "PollClosed",
    "PollCreated",
    "PollDeleted",
    "PollEdited",
    "PollHidden",
    "PollOpened",
    "PollRestored",
    "PollRevealed",
    "QuestionAnswered",
    "QuestionApproved",
    "QuestionArchived",
    "QuestionAsked",
    "QuestionDownvoted",
    "QuestionHidden",
    "QuestionLabelled",
    "QuestionPinned",
    "QuestionRejected",
    "QuestionRestored",
    "QuestionUnpinned",
    "QuestionUnvoted",
    "QuestionUpvoted",
    "QuestionWithdrawn",
    "ReactionSent",
    "RoomClosed",
    "RoomCreated",
    "RoomUpdated",
    "ScreenShown",
    "SpeakerCalled",
    "SpeakerFinished",
    "SpeakerRequested",
    "SpeakerSkipped",
    "SpeakerWithdrawn",
    "TemplateDeleted",
    "TemplateRestored",
    "TemplateSaved",
    "TranscriptPublished",
    "TranslationAttached",
    "event_from_dict",
    "event_to_dict",
]

# A normalised ballot: an index (single), a value (rating), a text (open), indexes
# (multiple, ranking), amounts per option (budget) or words (wordcloud).
Choice = int | str | tuple[int, ...] | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Event:
    # Each type comes from one op (moderation.roles.OP_BY_EVENT): who may cause it is there.
    TYPE: ClassVar[str] = ""


EVENT_TYPES: dict[str, type[Event]] = {}


_E = TypeVar("_E", bound=type[Event])


def _event(cls: _E) -> _E:
    assert cls.TYPE and cls.TYPE not in EVENT_TYPES, cls
    EVENT_TYPES[cls.TYPE] = cls
    return cls


# -- room, people ----------------------------------------------------------------------------


@_event
@dataclass(frozen=True, slots=True)
class RoomCreated(Event):
    TYPE = "room.created"
    code: str
    title: str
    settings: dict[str, Any]  # RoomSettings.to_dict(): JSON-native
    # 2: the log is sealed (rooms/privacy.py); rooms created before hold names beside
    # ballots in their chain and cannot be published (docs/TRANSCRIPT.md, "Older rooms").
    format: int = 1


@_event
@dataclass(frozen=True, slots=True)
class RoomUpdated(Event):
    """Only what changed: two moderators changing different settings at once both win."""

    TYPE = "room.updated"
    title: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@_event
@dataclass(frozen=True, slots=True)
class RoomClosed(Event):
    TYPE = "room.closed"


@_event
@dataclass(frozen=True, slots=True)
class TranscriptPublished(Event):
    """The organiser makes the transcript public (for recounts); allowed after closing too."""

    TYPE = "room.transcript_published"


@_event
@dataclass(frozen=True, slots=True)
class ParticipantJoined(Event):
    """The participant is the record's actor; a re-join updates name and district."""

    TYPE = "participant.joined"
    name: str | None = None
    district: str | None = None
    code_hash: str | None = None  # verified rooms: sha256 of the one-time code it consumed


@_event
@dataclass(frozen=True, slots=True)
class ParticipantErased(Event):
    """The participant (the record's actor) erased their name and district: the store blanks
    them beside the chain in the same transaction; the chain is untouched."""

    TYPE = "participant.erased"


@_event
@dataclass(frozen=True, slots=True)
class ParticipantForgotten(Event):
    """The organiser erased a participant's name and district (as `participant.erased`)."""

    TYPE = "participant.forgotten"
    participant_id: str


@_event
@dataclass(frozen=True, slots=True)
class CodesIssued(Event):
    """One-time attendee codes for a verified room; only their sha256 hashes are kept."""

    TYPE = "codes.issued"
    hashes: tuple[str, ...] = ()


@_event
@dataclass(frozen=True, slots=True)
class ParticipantBanned(Event):
    """`via` names the content a moderator banned its author through ("question:5",
    "answer:7") when that content does not show staff who wrote it: a content ban, which
    staff hold by its ban id, never by the person (rooms/room_ops.py). None: a plain ban."""

    TYPE = "participant.banned"
    participant_id: str
    reason: str
    via: str | None = None


@_event
@dataclass(frozen=True, slots=True)
class ParticipantUnbanned(Event):
    """`ban_id`: the content ban it lifts ("b<seq>" of the ban); None lifts the plain ban."""

    TYPE = "participant.unbanned"
    participant_id: str
    ban_id: str | None = None


@_event
@dataclass(frozen=True, slots=True)
class ModeratorAdded(Event):
    """The new co-moderator's (or interpreter's) id is "m<seq>" of this record."""

    TYPE = "moderator.added"
    name: str
    role: str = "moderator"  # or "interpreter": translates, moderates nothing


@_event
@dataclass(frozen=True, slots=True)
class ModeratorRevoked(Event):
    TYPE = "moderator.revoked"
    moderator_id: str


@_event
@dataclass(frozen=True, slots=True)
class LinksRotated(Event):
    """The organiser's, the big screen's or the overlay's link is re-issued: tokens of an
    earlier generation stop working (their sockets are closed)."""

    TYPE = "links.rotated"
    link: str  # "organiser", "screen" or "embed"
    generation: int


# -- polls -----------------------------------------------------------------------------------


@_event
@dataclass(frozen=True, slots=True)
class PollCreated(Event):
    TYPE = "poll.created"
    kind: str
    question: str
    options: tuple[str, ...] = ()
    max_selections: int = 0  # multiple: at most this many indexes
    scale: int = 0  # rating: 1..scale
    max_words: int = 0  # wordcloud: words per person
    total: int = 0  # budget: amount each person allocates
    caps: tuple[int, ...] | None = None  # budget: per-option maximum
    allow_changes: bool | None = None  # None: the room's vote_changes setting
    closes_at: int | None = None  # ms since the epoch
    correct: tuple[int, ...] | None = None  # quiz: the right options (sealed until revealed)
    window_s: int = 0  # quiz: points fall over this many seconds (untimed polls)


@_event
@dataclass(frozen=True, slots=True)
class PollEdited(Event):
    """The complete new definition of a draft poll."""

    TYPE = "poll.edited"
    poll_id: int
    kind: str
    question: str
    options: tuple[str, ...] = ()
    max_selections: int = 0
    scale: int = 0
    max_words: int = 0
    total: int = 0
    caps: tuple[int, ...] | None = None
    allow_changes: bool | None = None
    closes_at: int | None = None
    correct: tuple[int, ...] | None = None
    window_s: int = 0


@_event
@dataclass(frozen=True, slots=True)
class PollOpened(Event):
    TYPE = "poll.opened"
    poll_id: int
    closes_at: int | None = None  # replaces the definition's when set (duration_s on open)


@_event
@dataclass(frozen=True, slots=True)
class PollClosed(Event):
    TYPE = "poll.closed"
    poll_id: int


@_event
@dataclass(frozen=True, slots=True)
class PollRevealed(Event):
    TYPE = "poll.revealed"
    poll_id: int


@_event
@dataclass(frozen=True, slots=True)
class PollHidden(Event):
    TYPE = "poll.hidden"
    poll_id: int


@_event
@dataclass(frozen=True, slots=True)
class PollDeleted(Event):
    TYPE = "poll.deleted"
    poll_id: int


@_event
@dataclass(frozen=True, slots=True)
class PollRestored(Event):
    """A deleted poll back as it was (state, ballots, results shown or not): an undo."""

    TYPE = "poll.restored"
    poll_id: int


@_event
@dataclass(frozen=True, slots=True)
class TemplateSaved(Event):
    """A poll's definition kept as a template of this room (its id: this record's seq)."""

    TYPE = "template.saved"
    poll_id: int
    name: str
    kind: str
    question: str
    options: tuple[str, ...] = ()
    max_selections: int = 0
    scale: int = 0
    max_words: int = 0
    total: int = 0


@_event
@dataclass(frozen=True, slots=True)
class TemplateDeleted(Event):
    """A saved template taken out of the builder's table (kept as a tombstone for its undo)."""

    TYPE = "template.deleted"
    template_id: int


@_event
@dataclass(frozen=True, slots=True)
class TemplateRestored(Event):
    """A deleted template back in the table as it was: an undo."""

    TYPE = "template.restored"
    template_id: int


@_event
@dataclass(frozen=True, slots=True)
class BallotCast(Event):
    """One person's whole ballot; it replaces their previous one on that poll."""

    TYPE = "ballot.cast"
    poll_id: int
    choice: Choice
    flags: tuple[str, ...] = ()  # filter hits on an open answer or wordcloud words
    lang: str | None = None  # open answers and word clouds: declared or detected language
    terms: tuple[str, ...] = ()  # the listed terms the filters matched (the flags' reason)
    held: tuple[str, ...] = ()  # wordcloud words that tripped a filter: kept for review


@_event
@dataclass(frozen=True, slots=True)
class AnswerApproved(Event):
    TYPE = "answer.approved"
    answer_id: int
    text: str | None = None  # the moderator's edit, if any


@_event
@dataclass(frozen=True, slots=True)
class AnswerRejected(Event):
    TYPE = "answer.rejected"
    answer_id: int
    reason: str


@_event
@dataclass(frozen=True, slots=True)
class AnswerRestored(Event):
    """A rejected answer back among those waiting for review: an undo (the audit keeps why)."""

    TYPE = "answer.restored"
    answer_id: int


# -- questions -------------------------------------------------------------------------------


@_event
@dataclass(frozen=True, slots=True)
class QuestionAsked(Event):
    TYPE = "question.asked"
    text: str
    anonymous: bool
    flags: tuple[str, ...] = ()
    lang: str | None = None  # declared by the client or detected from the text
    terms: tuple[str, ...] = ()  # the listed terms the filters matched (the flags' reason)


@_event
@dataclass(frozen=True, slots=True)
class QuestionUpvoted(Event):
    TYPE = "question.upvoted"
    question_id: int


@_event
@dataclass(frozen=True, slots=True)
class QuestionDownvoted(Event):
    TYPE = "question.downvoted"
    question_id: int


@_event
@dataclass(frozen=True, slots=True)
class QuestionUnvoted(Event):
    TYPE = "question.unvoted"
    question_id: int


@_event
@dataclass(frozen=True, slots=True)
class QuestionWithdrawn(Event):
    TYPE = "question.withdrawn"
    question_id: int


@_event
@dataclass(frozen=True, slots=True)
class QuestionApproved(Event):
    TYPE = "question.approved"
    question_id: int
    text: str | None = None  # the moderator's edit; the original stays in state and audit


@_event
@dataclass(frozen=True, slots=True)
class QuestionRejected(Event):
    TYPE = "question.rejected"
    question_id: int
    reason: str


@_event
@dataclass(frozen=True, slots=True)
class QuestionRestored(Event):
    """A rejected question back in the queue, pending, as before: an undo."""

    TYPE = "question.restored"
    question_id: int


@_event
@dataclass(frozen=True, slots=True)
class QuestionHidden(Event):
    TYPE = "question.hidden"
    question_id: int
    reason: str | None = None


@_event
@dataclass(frozen=True, slots=True)
class QuestionAnswered(Event):
    TYPE = "question.answered"
    question_id: int
    text: str = ""  # empty: answered aloud


@_event
@dataclass(frozen=True, slots=True)
class QuestionPinned(Event):
    TYPE = "question.pinned"
    question_id: int


@_event
@dataclass(frozen=True, slots=True)
class QuestionUnpinned(Event):
    TYPE = "question.unpinned"
    question_id: int


@_event
@dataclass(frozen=True, slots=True)
class QuestionArchived(Event):
    TYPE = "question.archived"
    question_id: int


@_event
@dataclass(frozen=True, slots=True)
class QuestionLabelled(Event):
    TYPE = "question.labelled"
    question_id: int
    labels: tuple[str, ...] = field(default=())


# -- the floor -------------------------------------------------------------------------------


@_event
@dataclass(frozen=True, slots=True)
class SpeakerRequested(Event):
    TYPE = "speaker.requested"
    topic: str


@_event
@dataclass(frozen=True, slots=True)
class SpeakerWithdrawn(Event):
    TYPE = "speaker.withdrawn"


@_event
@dataclass(frozen=True, slots=True)
class SpeakerCalled(Event):
    """`participant_id` leaves the queue and takes the floor; whoever had it is done."""

    TYPE = "speaker.called"
    participant_id: str
    time_limit_s: int


@_event
@dataclass(frozen=True, slots=True)
class SpeakerSkipped(Event):
    TYPE = "speaker.skipped"
    participant_id: str


@_event
@dataclass(frozen=True, slots=True)
class SpeakerFinished(Event):
    TYPE = "speaker.finished"
    participant_id: str


@_event
@dataclass(frozen=True, slots=True)
class ReactionSent(Event):
    TYPE = "reaction.sent"
    emoji: str


@_event
@dataclass(frozen=True, slots=True)
class ReactionsCounted(Event):
    """The reactions one server process counted in a short window, written once for all of
    them (rooms/reaction_windows.py): the log grows with time, not with how hard people tap."""

    TYPE = "reactions.counted"
    window_start: int  # ms since the epoch
    counts: Mapping[str, int]  # emoji -> how many


# -- the big screen --------------------------------------------------------------------------


@_event
@dataclass(frozen=True, slots=True)
class ScreenShown(Event):
    """A moderator chose what the big screen (and an overlay that follows it) shows."""

    TYPE = "screen.shown"
    target: str  # one of rooms.presenting.TARGETS
    target_id: int | None = None  # the poll's or question's id, for the targets that name one
@_event
@dataclass(frozen=True, slots=True)
class TranslationAttached(Event):
    """An interpreter's (or a moderator's) translation of a question or a poll: the original
    stays; attaching the same language again replaces that language's text."""

    TYPE = "translation.attached"
    target: str  # "question" or "poll"
    target_id: int
    lang: str  # a BCP-47 tag, canonical case (moderation.language)
    text: str  # the question's text, or the poll's question
    options: tuple[str, ...] = ()  # a poll's options, in order


# -- wire form -------------------------------------------------------------------------------


def _to_wire(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_to_wire(v) for v in value]
    return value


def _from_wire(value: Any) -> Any:
    # JSON and msgpack give lists back; events hold tuples (hashable, immutable).
    if isinstance(value, list):
        return tuple(_from_wire(v) for v in value)
    return value


# Each event class's field names, looked up once: `dataclasses.fields` builds its answer anew
# on every call, and every op and every applied entry converts an event.
_FIELD_NAMES: dict[type[Event], tuple[str, ...]] = {}


def _field_names(cls: type[Event]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


def event_to_dict(event: Event) -> dict[str, Any]:
    data = {}
    for name in _field_names(type(event)):
        value = getattr(event, name)
        data[name] = _to_wire(value) if isinstance(value, tuple) else value
    return {"type": event.TYPE, "data": data}


def event_from_dict(d: Mapping[str, Any]) -> Event:
    """Rebuild an event from `{"type", "data"}` (extra keys, such as a store entry's, ignored).

    Raises ValueError for an unknown type or data that does not fit it: a log we cannot read
    is a server bug, not a user error.
    """
    cls = EVENT_TYPES.get(d.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown event type {d.get('type')!r}")
    data = d.get("data") or {}
    names = _field_names(cls)
    try:
        return cls(**{k: _from_wire(v) for k, v in data.items() if k in names})
    except TypeError as exc:
        raise ValueError(f"bad {cls.TYPE} data: {exc}") from None
