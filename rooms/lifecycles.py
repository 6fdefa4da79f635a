"""Every lifecycle in a room, as tables: what may happen to an item in each state, and what
it becomes. The tables are the documentation and the check.

Each table maps a state to the moves (event classes) allowed from it and the state each
leads to, in the style of h11's `_state.py`. A move a row does not allow is refused with the
code under `refusals` (one code for the move, or one per state), raised as CommandError
before anything changes. A row keyed by `Event` stands for every event that row does not
name; for any (state, move) pair the most specific class in the move's MRO decides.
Deciders check the move they are about to make; appliers check it again (another record
may have moved the item meanwhile) and take the new state from the table.

Moves not named in a table do not depend on that lifecycle: a poll is revealed, hidden and
deleted in any state, and a question labelled or unvoted. A deleted poll is a tombstone (every
later op on it is `poll.not_found`) that DELETED lets one op bring back, `poll.restore`; a
rejected question may go back to the queue (`question.restore`), a rejected open answer to
review (`answer.restore`), a deleted template to the builder (`template.restore`, TEMPLATE).
These are the undos.
Where a state is stored, its wire strings are those of the public contract (`draft`, `open`,
`closed`; `pending`, `approved`, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Generic, Literal, TypeVar

from rooms.errors import CommandError
from rooms.events import (
    AnswerApproved,
    AnswerRejected,
    AnswerRestored,
    BallotCast,
    Event,
    ModeratorRevoked,
    ParticipantBanned,
    ParticipantErased,
    ParticipantForgotten,
    ParticipantUnbanned,
    PollClosed,
    PollDeleted,
    PollEdited,
    PollHidden,
    PollOpened,
    PollRestored,
    PollRevealed,
    QuestionAnswered,
    QuestionApproved,
    QuestionArchived,
    QuestionDownvoted,
    QuestionHidden,
    QuestionPinned,
    QuestionRejected,
    QuestionRestored,
    QuestionUnpinned,
    QuestionUpvoted,
    QuestionWithdrawn,
    RoomClosed,
    RoomCreated,
    SpeakerCalled,
    SpeakerFinished,
    SpeakerRequested,
    SpeakerSkipped,
    SpeakerWithdrawn,
    TemplateDeleted,
    TemplateRestored,
    TranscriptPublished,
)

__all__ = [
    "ANSWER",
    "BAN",
    "DELETED",
    "MODERATOR",
    "PIN",
    "POLL",
    "PUBLISHED",
    "QUESTION",
    "RESULTS",
    "ROOM",
    "SPEAKER",
    "TEMPLATE",
    "TRANSCRIPT",
    "AnswerState",
    "Lifecycle",
    "PollState",
    "QuestionState",
    "RoomPhase",
    "SpeakerState",
]

S = TypeVar("S")
Move = type[Event]


class Lifecycle(Generic[S]):
    """One lifecycle: its states, the moves between them, the code for a refused move."""

    __slots__ = ("_allowed", "_refused", "moves", "name", "refusals")

    def __init__(
        self,
        name: str,
        moves: Mapping[S, Mapping[Move, S]],
        refusals: Mapping[Move, str | Mapping[S, str]],
    ) -> None:
        self.name = name
        self.moves = moves
        self.refusals = refusals
        # Every (state, move) answered so far: the next state, or the refusal code. A vote
        # asks twice (decide, apply), so the answer is one dict lookup after the first.
        self._allowed: dict[tuple[S, Move], S] = {}
        self._refused: dict[tuple[S, Move], str] = {}
        named = {m for row in moves.values() for m in row} | set(refusals)
        for state, row in moves.items():
            for move, to in row.items():
                if to not in moves:
                    raise ValueError(f"{name}: {move.__name__} leads to unknown state {to!r}")
            for move in named:
                self._learn(state, move)  # every named move has an answer in every state

    @property
    def states(self) -> tuple[S, ...]:
        return tuple(self.moves)

    def _learn(self, state: S, move: Move) -> None:
        row = self.moves.get(state)
        if row is None:
            raise ValueError(f"{self.name}: no state {state!r}")
        for cls in move.__mro__:  # the most specific entry decides
            if cls in row:
                self._allowed[state, move] = row[cls]
                return
            refused = self.refusals.get(cls)
            code = refused if isinstance(refused, str) or refused is None else refused.get(state)
            if code is not None:
                self._refused[state, move] = code
                return
        raise ValueError(f"{self.name}: the table says nothing of {move.__name__} in {state!r}")

    def refusal(self, state: S, move: Move) -> str | None:
        """The error code for `move` from `state`, or None when the table allows it."""
        key = (state, move)
        if key not in self._allowed and key not in self._refused:
            self._learn(state, move)
        return self._refused.get(key)

    def next(self, state: S, move: Move) -> S:
        """The state `move` leads to from `state`; CommandError when the table refuses it."""
        key = (state, move)
        try:
            return self._allowed[key]
        except KeyError:
            code = self.refusal(state, move)
            if code is not None:
                raise CommandError(code) from None
            return self._allowed[key]

    def check(self, state: S, move: Move) -> None:
        """`next` for a decider: refuse the move now if the table does."""
        if (state, move) not in self._allowed:
            self.next(state, move)


# -- the room ---------------------------------------------------------------------------------

RoomPhase = Literal["new", "open", "closed"]  # the wire shows "open" or "closed"

ROOM: Lifecycle[RoomPhase] = Lifecycle(
    "room",
    {
        "new": {RoomCreated: "open"},
        "open": {RoomClosed: "closed", Event: "open"},
        # The transcript is made public after the meeting, and only then (its ballots and
        # moderation are final); people may still erase their data. Nothing else happens.
        "closed": {
            TranscriptPublished: "closed",
            ParticipantErased: "closed",
            ParticipantForgotten: "closed",
        },
    },
    refusals={
        RoomCreated: "room.exists",
        TranscriptPublished: {"open": "room.not_closed"},
        Event: {"new": "room.not_found", "closed": "room.closed"},
    },
)

# RoomState.transcript_public: the organiser publishes the log once, after closing.
TRANSCRIPT: Lifecycle[bool] = Lifecycle(
    "transcript",
    {False: {TranscriptPublished: True}, True: {}},
    refusals={TranscriptPublished: "room.already_published"},
)

# Participant.banned: a ban may be repeated (a new reason), an unban needs a ban. A banned
# person can do nothing at all: rooms/standing.py refuses them before any table is read.
BAN: Lifecycle[bool] = Lifecycle(
    "ban",
    {
        False: {ParticipantBanned: True},
        True: {ParticipantBanned: True, ParticipantUnbanned: False},
    },
    refusals={ParticipantUnbanned: "participant.not_banned"},
)

# Moderator.active: a co-moderator is revoked once, for good.
MODERATOR: Lifecycle[bool] = Lifecycle(
    "moderator",
    {True: {ModeratorRevoked: False}, False: {}},
    refusals={ModeratorRevoked: "moderator.revoked"},
)

# -- polls ------------------------------------------------------------------------------------

PollState = Literal["draft", "open", "closed"]

POLL: Lifecycle[PollState] = Lifecycle(
    "poll",
    {
        "draft": {PollEdited: "draft", PollOpened: "open"},
        # A ballot after `closes_at` is refused too (`poll.closed`): a deadline, not a state.
        "open": {BallotCast: "open", PollClosed: "closed"},
        "closed": {PollOpened: "open"},  # reopened: its ballots stay
    },
    refusals={
        PollEdited: "poll.not_draft",
        PollOpened: "poll.already_open",
        PollClosed: {"draft": "poll.not_open", "closed": "poll.closed"},
        BallotCast: {"draft": "poll.not_open", "closed": "poll.closed"},
    },
)

# Poll.deleted: a tombstone that an undo lifts. Restoring brings the poll back as it was
# (its state, ballots and reveal are untouched by deleting), so the recount is the same.
DELETED: Lifecycle[bool] = Lifecycle(
    "deleted",
    {False: {PollDeleted: True}, True: {PollRestored: False}},
    refusals={PollDeleted: "poll.not_found", PollRestored: "poll.not_deleted"},
)

# PollTemplate.deleted: the same tombstone for a room's saved templates (template.restore).
TEMPLATE: Lifecycle[bool] = Lifecycle(
    "template",
    {False: {TemplateDeleted: True}, True: {TemplateRestored: False}},
    refusals={TemplateDeleted: "template.not_found", TemplateRestored: "template.not_deleted"},
)

# Poll.revealed: whether attendees see the results. Never refused.
RESULTS: Lifecycle[bool] = Lifecycle(
    "results",
    {
        False: {PollRevealed: True, PollHidden: False},
        True: {PollRevealed: True, PollHidden: False},
    },
    refusals={},
)

# An open poll's answers, moderated like questions. One starts pending, or approved when the
# room is post-moderated and no filter flagged it; a new ballot replaces its author's answer.
AnswerState = Literal["pending", "approved", "rejected"]

ANSWER: Lifecycle[AnswerState] = Lifecycle(
    "answer",
    {
        "pending": {AnswerApproved: "approved", AnswerRejected: "rejected"},
        "approved": {AnswerRejected: "rejected"},  # a post-moderation take-down
        # The undo of either rejection: back to review, where a moderator decides again (an
        # approved answer taken down by mistake is one "Approve" from the screen).
        "rejected": {AnswerRestored: "pending"},
    },
    refusals={
        AnswerApproved: "answer.not_pending",
        AnswerRejected: "answer.not_pending",
        AnswerRestored: "answer.not_rejected",
    },
)

# -- questions --------------------------------------------------------------------------------

# A question starts pending, or approved when the room is post-moderated and no filter
# flagged it.
QuestionState = Literal[
    "pending", "approved", "rejected", "answered", "archived", "hidden", "withdrawn"
]
# What attendees and the screen see; only these may be voted on, pinned, answered, archived.
PUBLISHED: frozenset[QuestionState] = frozenset({"approved", "answered"})

QUESTION: Lifecycle[QuestionState] = Lifecycle(
    "question",
    {
        "pending": {
            QuestionApproved: "approved",
            QuestionRejected: "rejected",
            QuestionWithdrawn: "withdrawn",  # by its author
        },
        "approved": {
            QuestionAnswered: "answered",
            QuestionHidden: "hidden",
            QuestionArchived: "archived",
            QuestionWithdrawn: "withdrawn",
            QuestionPinned: "approved",
            QuestionUpvoted: "approved",
            QuestionDownvoted: "approved",
        },
        "answered": {
            QuestionAnswered: "answered",  # a better answer
            QuestionHidden: "hidden",
            QuestionArchived: "archived",
            QuestionWithdrawn: "withdrawn",
            QuestionPinned: "answered",
            QuestionUpvoted: "answered",
            QuestionDownvoted: "answered",
        },
        "hidden": {QuestionApproved: "approved"},  # a post-moderation take-down, undone
        # Only a pending question is rejected, so its undo is exact: back to pending.
        "rejected": {QuestionRestored: "pending"},
        "archived": {},
        "withdrawn": {},
    },
    refusals={
        QuestionApproved: "question.not_pending",
        QuestionRejected: "question.not_pending",
        QuestionRestored: "question.not_rejected",
        QuestionAnswered: "question.not_visible",
        QuestionHidden: "question.not_visible",
        QuestionArchived: "question.not_visible",
        QuestionPinned: "question.not_visible",
        QuestionUpvoted: "question.not_visible",
        QuestionDownvoted: "question.not_visible",
        QuestionWithdrawn: {
            "rejected": "question.not_visible",
            "archived": "question.not_visible",
            "hidden": "question.not_visible",
            "withdrawn": "question.not_found",
        },
    },
)

# Whether a question is the pinned one ("now answering"; RoomState.pinned). There is one pin:
# pinning a question unpins the one pinned before. A question that leaves PUBLISHED unpins.
PIN: Lifecycle[bool] = Lifecycle(
    "pin",
    {
        False: {
            QuestionPinned: True,
            QuestionAnswered: False,
            QuestionHidden: False,
            QuestionArchived: False,
            QuestionWithdrawn: False,
        },
        True: {
            QuestionPinned: True,
            QuestionUnpinned: False,
            QuestionAnswered: False,  # answered: the pin moves on
            QuestionHidden: False,
            QuestionArchived: False,
            QuestionWithdrawn: False,
        },
    },
    refusals={QuestionUnpinned: "question.not_pinned"},
)

# -- the floor --------------------------------------------------------------------------------

# One person's place at the speaker queue (RoomState.speaker_state): not in it, waiting in
# it, or holding the floor. The floor holds one person: calling the next ends the turn of
# whoever spoke (speaking -> idle).
SpeakerState = Literal["idle", "waiting", "speaking"]

SPEAKER: Lifecycle[SpeakerState] = Lifecycle(
    "speaker",
    {
        "idle": {SpeakerRequested: "waiting", ParticipantBanned: "idle"},
        "waiting": {
            SpeakerWithdrawn: "idle",
            SpeakerCalled: "speaking",
            SpeakerSkipped: "idle",
            ParticipantBanned: "idle",
        },
        "speaking": {SpeakerFinished: "idle", ParticipantBanned: "idle"},
    },
    refusals={
        SpeakerRequested: "speaker.already_queued",
        SpeakerWithdrawn: "speaker.not_queued",
        SpeakerCalled: "speaker.not_queued",
        SpeakerSkipped: "speaker.not_queued",
        SpeakerFinished: "speaker.no_floor",
    },
)
