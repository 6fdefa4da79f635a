"""A room's state: the fold of its log. Mutable, for speed; only `apply` mutates it.

Entities here are plain slotted dataclasses; their behaviour lives in the op modules
(rooms/poll_ops.py, rooms/question_ops.py, ...) and their lifecycles in rooms/lifecycles.py.
Everything derived (tallies, scores, the ledger) can be recomputed from the rest, and tests
check that it always is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moderation.audit import AuditEntry
from rooms.events import Choice
from rooms.item_index import ItemIndex
from rooms.lifecycles import AnswerState, PollState, QuestionState, RoomPhase, SpeakerState
from rooms.op_memory import OpMemory
from rooms.settings import RoomSettings

__all__ = [
    "Answer",
    "ContentBan",
    "Floor",
    "Moderator",
    "Participant",
    "Poll",
    "PollDef",
    "PollText",
    "Presenting",
    "Question",
    "RoomState",
    "SpeakerRequest",
    "Tally",
]


@dataclass(frozen=True, slots=True)
class ContentBan:
    """A ban made through content that does not name its author to staff (an anonymous
    question, an open answer): staff hold it by `ban_id` and `via`, never by the person."""

    ban_id: str  # "b<seq>" of the ban's record
    via: str  # "question:5", "answer:7"
    reason: str
    at: int


@dataclass(slots=True)
class Participant:
    id: str
    name: str | None
    district: str | None
    joined_at: int
    banned: bool = False
    ban_reason: str | None = None
    erased: bool = False  # name and district erased (participant.erased or .forgotten)
    questions: list[int] = field(default_factory=list)
    # Normalised texts this person has asked, for `text.repeated`.
    asked: set[str] = field(default_factory=set)
    # Content bans by ban id, in ban order. `banned` is the plain ban staff see on the person.
    content_bans: dict[str, ContentBan] = field(default_factory=dict)

    @property
    def barred(self) -> bool:
        """Refused by the room: banned by name or through any content."""
        return self.banned or bool(self.content_bans)

    @property
    def barred_reason(self) -> str | None:
        """What the person is told: the plain ban's reason, else the latest content ban's."""
        if self.banned:
            return self.ban_reason
        last = next(reversed(self.content_bans.values()), None)
        return last.reason if last is not None else None


@dataclass(slots=True)
class Moderator:
    """A co-moderator, or an interpreter (`role`): both are invited and revoked alike."""

    id: str
    name: str
    added_at: int
    active: bool = True
    role: str = "moderator"  # "moderator" or "interpreter" (moderation.roles.INVITED)


@dataclass(frozen=True, slots=True)
class PollText:
    """A poll's words in another language: its question and each of its options."""

    question: str
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PollDef:
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
    correct: tuple[int, ...] | None = None  # quiz: the right options (sealed until revealed)
    window_s: int = 0  # quiz: seconds over which points fall when the poll has no timer


@dataclass(slots=True)
class Tally:
    """Running sums over a poll's ballots; always equal to `polls.recount(poll)`."""

    voters: int = 0
    counts: list[int] = field(default_factory=list)  # per option, or per rating value
    points: list[int] = field(default_factory=list)  # ranking (Borda) and budget
    total: int = 0  # sum of rating values, for the average
    words: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class Poll:
    id: int
    defn: PollDef
    created_at: int
    state: PollState = "draft"  # rooms.lifecycles.POLL
    revealed: bool = False
    deleted: bool = False
    was_public: bool = False  # attendees have seen it: deleting it must tell them
    closes_at: int | None = None
    ballots: dict[str, Choice] = field(default_factory=dict)
    # open polls: participant -> their current answer id; answers in poll order
    answer_of: dict[str, int] = field(default_factory=dict)
    answer_ids: dict[int, None] = field(default_factory=dict)
    tally: Tally = field(default_factory=Tally)
    # Scored kinds (quiz, rooms/quiz.py): when it first opened, the span over which points
    # fall (ms), and when each voter cast their current ballot (the record's `at`).
    opened_at: int | None = None
    window_ms: int = 0
    cast_at: dict[str, int] = field(default_factory=dict)
    # The seq of its latest ballot (scored kinds): what the cached leaderboard is keyed by. A
    # cache key only, so never snapshotted (a restored state starts with no cache).
    ballots_seq: int = 0
    # Interpreters' translations (rooms/translations.py): lang -> the question and options.
    translations: dict[str, PollText] = field(default_factory=dict)


@dataclass(slots=True)
class Answer:
    """A free-text answer to an open poll, moderated like a question."""

    id: int
    poll_id: int
    author: str
    text: str
    at: int
    state: AnswerState = "pending"  # rooms.lifecycles.ANSWER
    flags: tuple[str, ...] = ()
    original_text: str | None = None
    reason: str | None = None
    lang: str | None = None
    terms: tuple[str, ...] = ()  # what the filters matched
    # A word cloud's held words (text = the words); approving adds them to the ballot.
    wordcloud: bool = False


@dataclass(slots=True)
class Question:
    id: int
    author: str  # always kept, for moderation; views hide it when anonymous
    text: str
    anonymous: bool
    at: int
    state: QuestionState = "pending"  # rooms.lifecycles.QUESTION
    flags: tuple[str, ...] = ()
    original_text: str | None = None
    reason: str | None = None
    lang: str | None = None
    terms: tuple[str, ...] = ()  # what the filters matched
    answer: str | None = None
    answered_at: int | None = None
    answered_by: str | None = None  # the staff member's actor id: their badge comes from it
    labels: tuple[str, ...] = ()
    upvoters: set[str] = field(default_factory=set)
    downvoters: set[str] = field(default_factory=set)
    was_public: bool = False
    translations: dict[str, str] = field(default_factory=dict)  # lang -> text (interpreters)

    @property
    def score(self) -> int:
        return len(self.upvoters) - len(self.downvoters)


@dataclass(frozen=True, slots=True)
class SpeakerRequest:
    participant_id: str
    topic: str
    at: int


@dataclass(frozen=True, slots=True)
class Floor:
    """Who is speaking now, since when, for how long."""

    participant_id: str
    topic: str
    since: int
    time_limit_s: int


@dataclass(frozen=True, slots=True)
class Presenting:
    """What a moderator put on the big screen (rooms/presenting.py), and when."""

    target: str
    target_id: int | None
    since: int


@dataclass(frozen=True, slots=True)
class PollTemplate:
    """A poll saved as a starting point for the builder (op template.save): its definition
    without what belongs to one run of it (deadline, right answers)."""

    id: int  # the seq of its template.saved
    name: str
    kind: str
    question: str
    options: tuple[str, ...] = ()
    max_selections: int = 0
    scale: int = 0
    max_words: int = 0
    total: int = 0
    deleted: bool = False  # a tombstone template.restore lifts (rooms/lifecycles.py)


@dataclass(slots=True)
class RoomState:
    seq: int = 0
    created: bool = False
    closed: bool = False
    transcript_public: bool = False  # the organiser published the log (op room.publish)
    log_format: int = 1  # RoomCreated.format: 2 when the chain is sealed (rooms/privacy.py)
    # Generation of each shared link (organiser, screen, embed): a token of another
    # generation no longer stands (op links.rotate).
    link_generations: dict[str, int] = field(default_factory=dict)
    code: str = ""
    title: str = ""
    organiser: str = ""
    created_at: int = 0
    settings: RoomSettings = field(default_factory=RoomSettings)
    participants: dict[str, Participant] = field(default_factory=dict)
    moderators: dict[str, Moderator] = field(default_factory=dict)
    polls: dict[int, Poll] = field(default_factory=dict)
    answers: dict[int, Answer] = field(default_factory=dict)
    questions: dict[int, Question] = field(default_factory=dict)
    pinned: int | None = None
    queue: dict[str, SpeakerRequest] = field(default_factory=dict)  # insertion order = queue
    floor: Floor | None = None
    presenting: Presenting | None = None  # None: nobody chose; the screen follows the meeting
    reactions: dict[int, dict[str, int]] = field(default_factory=dict)  # window -> emoji -> n
    reaction_window: int | None = None  # the latest window that saw a reaction
    audit: list[AuditEntry] = field(default_factory=list)
    templates: dict[int, PollTemplate] = field(default_factory=dict)  # saved by moderators
    # Verified rooms: sha256 of each one-time attendee code -> who used it (None: unused).
    attendee_codes: dict[str, str | None] = field(default_factory=dict)
    # Answers to recent op_ids and every refusal at apply (see rooms/op_memory.py).
    ops: OpMemory = field(default_factory=OpMemory)
    # Questions and open answers filed by state (rooms/item_index.py): the moderation queue,
    # its counts and the ledger, read without a scan of every item. Derived; never snapshotted.
    question_index: ItemIndex = field(default_factory=ItemIndex, repr=False)
    answer_index: ItemIndex = field(default_factory=ItemIndex, repr=False)
    # Values derived from the state, kept with the key of what they were derived from (the
    # quiz ranking: every snapshot carries the leaderboard, which grows with every quiz
    # ballot). Never snapshotted, never compared.
    derived: dict[str, tuple[object, Any]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def phase(self) -> RoomPhase:
        """The room's place in rooms.lifecycles.ROOM."""
        if not self.created:
            return "new"
        return "closed" if self.closed else "open"

    def speaker_state(self, participant_id: str) -> SpeakerState:
        """Where `participant_id` stands in rooms.lifecycles.SPEAKER."""
        if self.floor is not None and self.floor.participant_id == participant_id:
            return "speaking"
        return "waiting" if participant_id in self.queue else "idle"

    def recall(self, actor: str, op_id: str) -> tuple[int, dict[str, Any]] | None:
        """(seq, result) of a recent op this actor already had applied, else None."""
        return self.ops.result((actor, op_id))

    def open_polls_closing(self) -> list[tuple[int, int]]:
        """[(poll_id, closes_at_ms)] of open polls with a deadline, for the server's timer."""
        return [
            (p.id, p.closes_at)
            for p in self.polls.values()
            if p.state == "open" and p.closes_at is not None and not p.deleted
        ]

    def is_moderator(self, actor: str) -> bool:
        """The organiser, or a co-moderator who has not been revoked."""
        if actor == self.organiser:
            return True
        mod = self.moderators.get(actor)
        return mod is not None and mod.active and mod.role == "moderator"

    def is_interpreter(self, actor: str) -> bool:
        """An invited interpreter who has not been revoked."""
        mod = self.moderators.get(actor)
        return mod is not None and mod.active and mod.role == "interpreter"
