"""The lifecycle tables, and the engine following them.

Each table gets a given/when/then test that an illegal move is refused with its code and
changes nothing (when decided, and when a stale event is applied after another moved the
item), and a property: any sequence of ops either moves the item as its table says or is
refused, with the table's code where the table refuses it, and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.roles import OPS
from rooms import CommandError, Event, RoomState, to_snapshot
from rooms.events import (
    EVENT_TYPES,
    PollClosed,
    PollEdited,
    PollOpened,
    PollRevealed,
    QuestionUpvoted,
    ReactionSent,
    RoomClosed,
    RoomCreated,
    SpeakerCalled,
    TranscriptPublished,
)
from rooms.lifecycles import (
    ANSWER,
    BAN,
    MODERATOR,
    PIN,
    POLL,
    PUBLISHED,
    QUESTION,
    RESULTS,
    ROOM,
    SPEAKER,
    TRANSCRIPT,
    AnswerState,
    Lifecycle,
    PollState,
    QuestionState,
    RoomPhase,
    SpeakerState,
)
from tests.rooms.harness import ORG, Room

TABLES: list[Lifecycle[Any]] = [
    ROOM,
    TRANSCRIPT,
    BAN,
    MODERATOR,
    POLL,
    RESULTS,
    ANSWER,
    QUESTION,
    PIN,
    SPEAKER,
]


# -- the tables themselves ---------------------------------------------------------------------


def test_states_are_the_typed_states() -> None:
    assert POLL.states == get_args(PollState) == ("draft", "open", "closed")
    assert set(QUESTION.states) == set(get_args(QuestionState))
    assert set(ANSWER.states) == set(get_args(AnswerState))
    assert set(SPEAKER.states) == set(get_args(SpeakerState))
    assert set(ROOM.states) == set(get_args(RoomPhase))


def test_published_is_where_a_question_can_be_voted_on() -> None:
    votable = {s for s in QUESTION.states if QUESTION.refusal(s, QuestionUpvoted) is None}
    assert votable == PUBLISHED


def test_every_refusal_is_a_catalogued_code() -> None:
    for table in TABLES:
        for state in table.states:
            for move in EVENT_TYPES.values():
                try:
                    code = table.refusal(state, move)
                except ValueError:
                    continue  # not a move of this lifecycle
                if code is not None:
                    CommandError(code)  # raises for a code outside rooms.errors.CODES


def test_a_row_keyed_by_event_covers_every_other_event() -> None:
    assert ROOM.next("open", ReactionSent) == "open"
    assert ROOM.next("open", RoomClosed) == "closed"
    assert ROOM.refusal("open", RoomCreated) == "room.exists"  # the specific entry wins
    assert ROOM.refusal("new", ReactionSent) == "room.not_found"
    assert ROOM.refusal("closed", RoomClosed) == "room.closed"
    assert ROOM.next("closed", TranscriptPublished) == "closed"


def test_a_table_with_a_hole_or_a_stray_state_is_refused() -> None:
    with pytest.raises(ValueError, match="says nothing of PollClosed in 'draft'"):
        Lifecycle("t", {"draft": {}, "open": {PollClosed: "draft"}}, refusals={})
    with pytest.raises(ValueError, match="leads to unknown state 'gone'"):
        Lifecycle("t", {"draft": {PollClosed: "gone"}}, refusals={})
    with pytest.raises(ValueError, match="says nothing of PollRevealed in 'open'"):
        POLL.next("open", PollRevealed)  # not a move of this lifecycle: a server bug
    with pytest.raises(ValueError, match="no state 'lost'"):
        POLL.next("lost", PollOpened)  # type: ignore[arg-type]


def test_next_raises_the_code_and_refusal_names_it() -> None:
    with pytest.raises(CommandError) as err:
        POLL.next("draft", PollClosed)
    assert err.value.code == "poll.not_open" and err.value.message == "the poll is not open"
    assert POLL.refusal("closed", PollClosed) == "poll.closed"
    assert POLL.refusal("closed", PollOpened) is None
    assert POLL.refusal("open", PollEdited) == "poll.not_draft"


# -- illegal moves change nothing: one example per table ----------------------------------------


def unchanged_but_seq(room: Room, before: dict[str, Any]) -> None:
    after = to_snapshot(room.state)
    before = {**before, "seq": after["seq"], "ops": after["ops"]}
    assert after == before


def lost_race(room: Room, actor: str, event: Event, code: str) -> None:
    """Apply a stale event: refused with `code`, nothing but seq and op memory moved."""
    before = to_snapshot(room.state)
    applied = room.commit(actor, event)
    assert applied.error is not None and applied.error.code == code
    unchanged_but_seq(room, before)


def test_room_closed_refuses_all_but_publishing() -> None:
    room = Room()
    room.join("alice")
    react = room.decide("alice", "react", emoji="👍")
    room.do(ORG, "room.close")
    assert room.refuse("alice", "react", emoji="👍") == "room.closed"
    assert room.refuse(ORG, "room.close") == "room.closed"
    assert room.refuse(ORG, "room.create", code="TOWN", title="Again") == "room.exists"
    lost_race(room, "alice", react, "room.closed")
    room.do(ORG, "room.publish")
    assert room.state.transcript_public


def test_transcript_is_published_once() -> None:
    room = Room()
    room.do(ORG, "room.close")
    publish = room.decide(ORG, "room.publish")
    room.do(ORG, "room.publish")
    assert room.refuse(ORG, "room.publish") == "room.already_published"
    lost_race(room, ORG, publish, "room.already_published")


def test_an_unban_needs_a_ban_and_a_moderator_is_revoked_once() -> None:
    room = Room()
    room.join("alice")
    mod = room.do(ORG, "moderator.add", name="Mo")["moderator_id"]
    assert room.refuse(ORG, "participant.unban", participant_id="alice") == (
        "participant.not_banned"
    )
    room.do(ORG, "participant.ban", participant_id="alice", reason="spam")
    unban = room.decide(ORG, "participant.unban", participant_id="alice")
    room.do(ORG, "participant.ban", participant_id="alice", reason="abusive")  # again: allowed
    room.do(ORG, "participant.unban", participant_id="alice")
    lost_race(room, ORG, unban, "participant.not_banned")
    revoke = room.decide(ORG, "moderator.revoke", moderator_id=mod)
    room.do(ORG, "moderator.revoke", moderator_id=mod)
    assert room.refuse(ORG, "moderator.revoke", moderator_id=mod) == "moderator.revoked"
    lost_race(room, ORG, revoke, "moderator.revoked")


def test_a_closed_poll_cannot_be_closed_or_voted_in() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll()
    close = room.decide(ORG, "poll.close", poll_id=poll_id)
    vote = room.decide("alice", "vote", poll_id=poll_id, choice=1)
    room.do(ORG, "poll.close", poll_id=poll_id)
    assert room.refuse(ORG, "poll.close", poll_id=poll_id) == "poll.closed"
    assert room.refuse(ORG, "poll.edit", poll_id=poll_id, question="Q?") == "poll.not_draft"
    lost_race(room, ORG, close, "poll.closed")
    lost_race(room, "alice", vote, "poll.closed")


def test_results_are_revealed_and_hidden_from_any_state() -> None:
    room = Room()
    poll_id = room.poll(open_=False)
    for op in ("poll.reveal", "poll.reveal", "poll.hide", "poll.hide"):
        room.do(ORG, op, poll_id=poll_id)
        assert room.state.polls[poll_id].revealed == (op == "poll.reveal")


def test_a_rejected_answer_stays_rejected() -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll("open")
    answer_id = room.do("alice", "vote", poll_id=poll_id, choice="More parks")["answer_id"]
    approve = room.decide(ORG, "answer.approve", answer_id=answer_id)
    room.do(ORG, "answer.reject", answer_id=answer_id, reason="spam")
    assert room.refuse(ORG, "answer.approve", answer_id=answer_id) == "answer.not_pending"
    lost_race(room, ORG, approve, "answer.not_pending")


def test_a_rejected_question_cannot_be_published_or_withdrawn() -> None:
    room = Room()
    room.join("alice")
    qid = room.ask("alice", approve=False)
    approve = room.decide(ORG, "question.approve", question_id=qid)
    room.do(ORG, "question.reject", question_id=qid, reason="spam")
    assert room.refuse(ORG, "question.approve", question_id=qid) == "question.not_pending"
    assert room.refuse(ORG, "question.pin", question_id=qid) == "question.not_visible"
    assert room.refuse("alice", "question.withdraw", question_id=qid) == "question.not_visible"
    lost_race(room, ORG, approve, "question.not_pending")
    room2 = Room()
    room2.join("alice")
    gone = room2.ask("alice")
    room2.do("alice", "question.withdraw", question_id=gone)
    assert room2.refuse("alice", "question.withdraw", question_id=gone) == "question.not_found"


def test_only_the_pinned_question_can_be_unpinned_and_leaving_unpins() -> None:
    room = Room()
    room.join("alice")
    first, second = room.ask("alice", "One?"), room.ask("alice", "Two?")
    assert room.refuse(ORG, "question.unpin", question_id=first) == "question.not_pinned"
    room.do(ORG, "question.pin", question_id=first)
    unpin_first = room.decide(ORG, "question.unpin", question_id=first)
    room.do(ORG, "question.pin", question_id=second)  # one pin: it moves
    assert room.state.pinned == second
    lost_race(room, ORG, unpin_first, "question.not_pinned")
    room.do(ORG, "question.archive", question_id=second)
    assert room.state.pinned is None


def test_the_speaker_queue() -> None:
    room = Room()
    room.join("alice", "bob")
    room.do("alice", "speaker.request")
    withdraw = room.decide("alice", "speaker.withdraw")
    room.do(ORG, "speaker.next")
    assert room.state.speaker_state("alice") == "speaking"
    assert room.refuse("alice", "speaker.request") == "speaker.already_queued"
    assert room.refuse("alice", "speaker.withdraw") == "speaker.not_queued"
    lost_race(room, "alice", withdraw, "speaker.not_queued")
    room.do("bob", "speaker.request")
    room.do(ORG, "speaker.next")  # calling the next ends the current turn
    assert room.state.speaker_state("alice") == "idle"
    assert room.state.speaker_state("bob") == "speaking"
    lost_race(
        room, ORG, SpeakerCalled(participant_id="alice", time_limit_s=60), "speaker.not_queued"
    )


# -- properties: any sequence of ops follows the tables -----------------------------------------

Track = tuple[str, Lifecycle[Any], Callable[[RoomState], Any]]


def _concerns(table: Lifecycle[Any], move: type[Event]) -> bool:
    named = {m for row in table.moves.values() for m in row} | set(table.refusals)
    return any(issubclass(move, m) for m in named)


@dataclass
class Machine:
    """One item's lifecycles driven through the engine, op by op, some decided early."""

    room: Room
    tracks: list[Track]
    ops: list[tuple[str, str, dict[str, Any]]]
    guards: frozenset[str] = frozenset()  # refusals by rules outside the lifecycles
    held: list[tuple[str, Event]] = field(default_factory=list)

    def now(self) -> dict[str, Any]:
        return {key: get(self.room.state) for key, _t, get in self.tracks}

    def expect(self, actor: str, move: type[Event], target: Any) -> tuple[str | None, Any]:
        """The table's verdict: (refusal code, None) or (None, the tracked states after)."""
        after = self.now()
        for key, table, get in self.tracks:
            if _concerns(table, move):
                code = table.refusal(get(self.room.state), move)
                if code is not None:
                    return code, None
                after[key] = table.next(get(self.room.state), move)
        return None, after

    def target_of_op(self, actor: str, op: str, fields: dict[str, Any]) -> Any:
        return None

    def target_of_event(self, actor: str, event: Event) -> Any:
        return None

    def precheck(self, actor: str, op: str, target: Any) -> str | None:
        """A refusal the engine gives before the tables are consulted, if any."""
        return None

    def decide_step(self, actor: str, op: str, fields: dict[str, Any], hold: bool) -> None:
        move = EVENT_TYPES[OPS[op].event]
        target = self.target_of_op(actor, op, fields)
        code = self.precheck(actor, op, target)
        after = None
        if code is None:
            code, after = self.expect(actor, move, target)
        before = to_snapshot(self.room.state)
        try:
            event = self.room.decide(actor, op, **fields)
        except CommandError as err:
            assert to_snapshot(self.room.state) == before
            assert err.code == code if code is not None else err.code in self.guards, (
                f"{op} from {self.now()}: {err.code}, the table says {code}"
            )
            return
        assert code is None, f"{op} from {self.now()} was decided; the table says {code}"
        if hold:
            self.held.append((actor, event))
            return
        applied = self.room.commit(actor, event)
        assert applied.error is None
        assert self.now() == after, f"{op}: {self.now()}, the table says {after}"

    def apply_step(self) -> None:
        actor, event = self.held.pop(0)
        target = self.target_of_event(actor, event)
        code = self.precheck(actor, _op_of(event), target)
        after = None
        if code is None:
            code, after = self.expect(actor, type(event), target)
        before = to_snapshot(self.room.state)
        applied = self.room.commit(actor, event)
        if applied.error is not None:
            assert (
                applied.error.code == code
                if code is not None
                else (applied.error.code in self.guards)
            ), f"stale {event.TYPE} from {self.now()}: {applied.error.code}, table says {code}"
            unchanged_but_seq(self.room, before)
            return
        assert code is None, f"stale {event.TYPE} from {self.now()} applied; table says {code}"
        assert self.now() == after

    def run(self, data: st.DataObject) -> None:
        for _ in range(data.draw(st.integers(1, 30), label="steps")):
            if self.held and data.draw(st.booleans(), label="apply a stale event"):
                self.apply_step()
                continue
            actor, op, fields = data.draw(st.sampled_from(self.ops), label="op")
            self.decide_step(actor, op, fields, hold=data.draw(st.integers(0, 3)) == 0)


def _op_of(event: Event) -> str:
    return next(op.name for op in OPS.values() if op.event == event.TYPE)


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(st.data())
def test_rooms_and_transcripts_follow_their_tables(data: st.DataObject) -> None:
    room = Room()
    room.join("alice")
    Machine(
        room,
        [
            ("room", ROOM, lambda s: s.phase),
            ("transcript", TRANSCRIPT, lambda s: s.transcript_public),
        ],
        [
            (ORG, "room.close", {}),
            (ORG, "room.publish", {}),
            (ORG, "room.update", {"title": "Renamed"}),
            (ORG, "room.create", {"code": "TOWN", "title": "Again"}),
            ("alice", "react", {"emoji": "👍"}),
        ],
    ).run(data)


@PROPERTY
@given(st.data())
def test_bans_and_revocations_follow_their_tables(data: st.DataObject) -> None:
    room = Room()
    room.join("alice")
    mod = room.do(ORG, "moderator.add", name="Mo")["moderator_id"]
    Machine(
        room,
        [
            ("ban", BAN, lambda s: s.participants["alice"].banned),
            ("moderator", MODERATOR, lambda s: s.moderators[mod].active),
        ],
        [
            (ORG, "participant.ban", {"participant_id": "alice", "reason": "spam"}),
            (ORG, "participant.unban", {"participant_id": "alice"}),
            (ORG, "moderator.revoke", {"moderator_id": mod}),
        ],
    ).run(data)


@PROPERTY
@given(st.data())
def test_polls_follow_their_tables(data: st.DataObject) -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll(open_=False)
    Machine(
        room,
        [
            ("poll", POLL, lambda s: s.polls[poll_id].state),
            ("results", RESULTS, lambda s: s.polls[poll_id].revealed),
        ],
        [
            (ORG, "poll.edit", {"poll_id": poll_id, "question": "Colour?"}),
            (ORG, "poll.open", {"poll_id": poll_id}),
            (ORG, "poll.close", {"poll_id": poll_id}),
            (ORG, "poll.reveal", {"poll_id": poll_id}),
            (ORG, "poll.hide", {"poll_id": poll_id}),
            ("alice", "vote", {"poll_id": poll_id, "choice": 1}),
        ],
    ).run(data)


@PROPERTY
@given(st.data())
def test_open_answers_follow_their_table(data: st.DataObject) -> None:
    room = Room()
    room.join("alice")
    poll_id = room.poll("open")
    answer_id = room.do("alice", "vote", poll_id=poll_id, choice="Parks")["answer_id"]
    Machine(
        room,
        [("answer", ANSWER, lambda s: s.answers[answer_id].state)],
        [
            (ORG, "answer.approve", {"answer_id": answer_id}),
            (ORG, "answer.reject", {"answer_id": answer_id, "reason": "spam"}),
        ],
    ).run(data)


@PROPERTY
@given(st.data())
def test_questions_and_the_pin_follow_their_tables(data: st.DataObject) -> None:
    room = Room(downvotes=True)
    room.join("alice", "bob")
    qid = room.ask("alice", approve=False)
    q = {"question_id": qid}
    Machine(
        room,
        [
            ("question", QUESTION, lambda s: s.questions[qid].state),
            ("pin", PIN, lambda s: s.pinned == qid),
        ],
        [
            (ORG, "question.approve", q),
            (ORG, "question.reject", {**q, "reason": "off_topic"}),
            (ORG, "question.hide", q),
            (ORG, "question.answer", {**q, "text": "Next year"}),
            (ORG, "question.archive", q),
            (ORG, "question.pin", q),
            (ORG, "question.unpin", q),
            ("alice", "question.withdraw", q),
            ("bob", "question.upvote", q),
            ("bob", "question.downvote", q),
        ],
        guards=frozenset({"upvote.duplicate", "downvote.duplicate"}),
    ).run(data)


PEOPLE = ("alice", "bob", "carol")


class Floor(Machine):
    """Everyone's place at the queue; ops name a person, or the queue's head, or the floor."""

    def target_of_op(self, actor: str, op: str, fields: dict[str, Any]) -> Any:
        state = self.room.state
        if op in ("speaker.next", "speaker.skip"):
            return next(iter(state.queue), None)
        if op == "speaker.finish":
            return state.floor.participant_id if state.floor is not None else None
        return fields.get("participant_id", actor)

    def target_of_event(self, actor: str, event: Event) -> Any:
        return getattr(event, "participant_id", actor)

    def precheck(self, actor: str, op: str, target: Any) -> str | None:
        state = self.room.state
        if actor in state.participants and state.participants[actor].banned:
            return "auth.banned"
        if target is None:
            return "speaker.no_floor" if op == "speaker.finish" else "speaker.queue_empty"
        if op == "participant.unban" and not state.participants[target].banned:
            return "participant.not_banned"
        return None

    def expect(self, actor: str, move: type[Event], target: Any) -> tuple[str | None, Any]:
        after = self.now()
        if not _concerns(SPEAKER, move):
            return None, after  # an unban: nobody's place changes
        code = SPEAKER.refusal(after[target], move)
        if code is not None:
            return code, None
        if move is SpeakerCalled:  # the floor holds one person
            after = {p: "idle" if s == "speaking" else s for p, s in after.items()}
        after[target] = SPEAKER.next(self.now()[target], move)
        return None, after


@PROPERTY
@given(st.data())
def test_the_speaker_queue_follows_its_table(data: st.DataObject) -> None:
    room = Room()
    room.join(*PEOPLE)
    ops: list[tuple[str, str, dict[str, Any]]] = [
        (ORG, "speaker.next", {}),
        (ORG, "speaker.skip", {}),
        (ORG, "speaker.finish", {}),
    ]
    for p in PEOPLE:
        ops += [
            (p, "speaker.request", {}),
            (p, "speaker.withdraw", {}),
            (ORG, "participant.ban", {"participant_id": p, "reason": "spam"}),
            (ORG, "participant.unban", {"participant_id": p}),
        ]
    tracks: list[Track] = [(p, SPEAKER, lambda s, p=p: s.speaker_state(p)) for p in PEOPLE]
    Floor(room, tracks, ops).run(data)
