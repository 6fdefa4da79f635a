"""Random command streams from many people keep the engine's invariants.

Commands are decided in small batches against the same state and then committed in order,
as concurrent processes would: later ones in a batch may lose a race in apply.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.audit import REJECT_REASONS
from moderation.filters import TextFilters
from moderation.roles import OPS, Role
from rooms import (
    Change,
    CommandError,
    Record,
    RoomState,
    apply,
    decide,
    from_snapshot,
    personal_frames,
    quiz,
    snapshot_view,
    to_snapshot,
    view_frames,
)
from rooms.events import event_to_dict
from rooms.floor_ops import REACTIONS
from rooms.item_index import ItemIndex
from rooms.poll_kinds import KINDS
from rooms.polls import recount
from rooms.recount import FULL
from rooms.recount import recount as recount_log
from rooms.render import poll_results
from rooms.transcript import replay
from tests.rooms.harness import ORG, T0, Room, role_of

PEOPLE = ["a1", "a2", "a3", "a4", "a5", "a6"]
FILTERS = TextFilters(profanity={"en": frozenset({"darn"})})
TEXTS = ["Why?", "why", "What about parks?", "darn buses", "see www.spam.com", "", " ", "x" * 300]


def ids(state: RoomState, what: str) -> st.SearchStrategy[Any]:
    pool = list(getattr(state, what))
    if not pool:
        return st.just(1)
    return st.one_of(
        st.sampled_from(pool), st.sampled_from(pool), st.sampled_from([999, "7", True])
    )


def good_choice(data: st.DataObject, state: RoomState, poll_id: Any) -> Any:
    poll = state.polls.get(poll_id) if isinstance(poll_id, int) else None
    kind = poll.defn.kind if poll is not None else "single"
    n = len(poll.defn.options) if poll is not None else 3
    d = data.draw
    if kind in ("single", "quiz"):
        return d(st.integers(0, n - 1))
    if kind == "multiple":
        return d(st.lists(st.integers(0, n - 1), min_size=1, max_size=2, unique=True))
    if kind == "rating":
        return d(st.integers(1, 5))
    if kind == "ranking":
        return d(st.permutations(list(range(n))))
    if kind == "budget":
        return d(st.dictionaries(st.sampled_from([str(i) for i in range(n)]), st.integers(0, 5)))
    if kind == "wordcloud":
        return d(
            st.lists(
                st.sampled_from(["Sun", "rain", "darn", "sun", "wind"]), min_size=1, max_size=2
            )
        )
    return d(st.sampled_from(["More parks", "Buses!", "darn it", "more parks"]))


def fields_for(data: st.DataObject, state: RoomState, op: str) -> dict[str, Any]:
    d = data.draw
    if op == "participant.join":
        return {"name": d(st.sampled_from([None, "Ann", "", 5])), "district": None}
    if op == "poll.create":
        kind = d(st.sampled_from([*KINDS, "nope"]))
        f: dict[str, Any] = {"kind": kind, "question": d(st.sampled_from(["Q?", "", 3]))}
        f["options"] = d(st.sampled_from([["A", "B", "C"], ["A"], ["A", "A"], None]))
        f["allow_changes"] = d(st.sampled_from([None, True, False]))
        if kind == "budget":
            f["total"] = d(st.sampled_from([10, 0, None]))
            f["caps"] = d(st.sampled_from([None, [5, 5, 10], [1]]))
        if kind == "multiple":
            f["max_selections"] = d(st.sampled_from([None, 2, 9]))
        if kind == "wordcloud":
            f["max_words"] = d(st.sampled_from([None, 2]))
        if kind == "quiz":
            f["correct"] = d(st.sampled_from([[0], [0, 2], 1, [], [0, 1, 2], [5], None]))
            f["window_s"] = d(st.sampled_from([None, 5, 2]))
        return f
    if op == "translation.attach":
        target = d(st.sampled_from(["question", "poll", "nope"]))
        pool = "questions" if target == "question" else "polls"
        return {
            "target": target,
            "target_id": d(ids(state, pool)),
            "lang": d(st.sampled_from(["es", "pt-br", "zh-Hans", "x", "", None, "fr"])),
            "text": d(st.sampled_from(["¿Dónde?", "", "Où ?"])),
            "options": d(st.sampled_from([["a", "b", "c"], ["a"], None, []])),
        }
    if op in ("poll.open", "poll.close", "poll.reveal", "poll.hide", "poll.delete", "poll.edit",
              "poll.restore", "template.save"):
        f = {"poll_id": d(ids(state, "polls"))}
        if op == "poll.edit":
            f["question"] = d(st.sampled_from(["New?", ""]))
        return f
    if op in ("template.delete", "template.restore"):
        return {"template_id": d(ids(state, "templates"))}
    if op == "vote":
        poll_id = d(ids(state, "polls"))
        if d(st.integers(0, 3)):
            return {"poll_id": poll_id, "choice": good_choice(data, state, poll_id)}
        choice = d(
            st.one_of(
                st.integers(-1, 6),
                st.lists(st.integers(0, 3), max_size=4),
                st.sampled_from(TEXTS),
                st.lists(st.sampled_from(["Sun", "rain", "darn", "sun"]), max_size=3),
                st.dictionaries(st.sampled_from(["0", "1", "2", 1, "x"]), st.integers(-1, 12)),
                st.booleans(),
            )
        )
        return {"poll_id": d(ids(state, "polls")), "choice": choice}
    if op == "question.ask":
        return {
            "text": d(st.sampled_from(TEXTS)),
            "anonymous": d(st.sampled_from([True, False, 1])),
        }
    if op.startswith("question."):
        f = {"question_id": d(ids(state, "questions"))}
        if op in ("question.reject", "question.hide"):
            f["reason"] = d(st.sampled_from([*REJECT_REASONS, "meh", None]))
        if op in ("question.approve", "question.answer"):
            f["text"] = d(st.sampled_from([None, "Edited?", ""]))
        if op == "question.label":
            f["labels"] = d(st.sampled_from([["parks"], [], ["a", "a"], [1]]))
        return f
    if op.startswith("answer."):
        return {
            "answer_id": d(ids(state, "answers")),
            "reason": d(st.sampled_from([*REJECT_REASONS, "meh"])),
            "text": d(st.sampled_from([None, "Fixed"])),
        }
    if op in ("participant.ban", "participant.unban"):
        return {"participant_id": d(st.sampled_from(PEOPLE)), "reason": "abusive"}
    if op == "moderator.revoke":
        return {"moderator_id": d(st.sampled_from(["m2", "m3", "m9"]))}
    if op == "moderator.add":
        return {"name": "Mo", "role": d(st.sampled_from([None, "interpreter", "moderator", "x"]))}
    if op == "room.update":
        return {
            "settings": {
                "moderation": d(st.sampled_from(["pre", "post"])),
                "vote_changes": d(st.booleans()),
                "downvotes": d(st.booleans()),
                "reactions": d(st.booleans()),
                "anonymous_questions": d(st.booleans()),
            }
        }
    if op == "speaker.request":
        return {"topic": d(st.sampled_from(["Parks", "", None]))}
    if op == "react":
        return {"emoji": d(st.sampled_from([*REACTIONS[:2], "🦄"]))}
    if op == "screen.show":
        pool = [*state.polls, *state.questions, 99, None]
        return {
            "target": d(st.sampled_from(["auto", "poll", "question", "speaker", "tv"])),
            "target_id": d(st.sampled_from(pool)),
        }
    return {}


ATTENDEE_OPS = [
    "vote",
    "vote",
    "vote",
    "question.ask",
    "question.upvote",
    "question.unvote",
    "question.downvote",
    "question.withdraw",
    "speaker.request",
    "speaker.withdraw",
    "react",
    "participant.join",
]
MODERATOR_OPS = [
    "poll.create",
    "poll.create",
    "poll.open",
    "poll.open",
    "poll.close",
    "poll.reveal",
    "poll.hide",
    "poll.delete",
    "poll.restore",
    "template.save",
    "template.delete",
    "template.restore",
    "poll.edit",
    "question.approve",
    "question.approve",
    "question.reject",
    "question.restore",
    "question.hide",
    "question.answer",
    "question.pin",
    "question.unpin",
    "question.archive",
    "question.label",
    "answer.approve",
    "answer.reject",
    "answer.restore",
    "speaker.next",
    "speaker.skip",
    "speaker.finish",
    "participant.ban",
    "participant.unban",
    "room.update",
    "moderator.add",
    "moderator.revoke",
    "screen.show",
    "translation.attach",
]


def check_invariants(state: RoomState) -> None:
    for poll in state.polls.values():
        assert poll.tally == recount(poll)
        assert poll.tally.voters == len(poll.ballots)
        if poll.defn.kind == "open":
            assert set(poll.answer_of) == set(poll.ballots)
            assert list(poll.answer_ids) == [
                a for a in state.answers if state.answers[a].poll_id == poll.id
            ]
    # The indexes the views read are what filing every item afresh gives (rooms/item_index.py).
    assert state.question_index == ItemIndex.of(state.questions.values())
    assert state.answer_index == ItemIndex.of(state.answers.values())
    for q in state.questions.values():
        assert not q.upvoters & q.downvoters
        assert q.author not in q.upvoters | q.downvoters
    if state.pinned is not None:
        assert state.questions[state.pinned].state in ("approved", "answered")
    for who in state.queue:
        assert not state.participants[who].banned
    for poll in state.polls.values():
        if poll.defn.kind == "quiz":
            assert poll.defn.correct and set(poll.cast_at) == set(poll.ballots)
            assert all(0 <= quiz.points(poll, who) <= quiz.MAX_POINTS for who in poll.ballots)
        assert all(len(t.options) == len(poll.defn.options) for t in poll.translations.values())
    board = quiz.leaderboard(state, size=100)
    assert [row["points"] for row in board] == sorted((r["points"] for r in board), reverse=True)
    assert all(row["tag"] is None or row["tag"] not in state.participants for row in board)


def check_recount(records: list[Record], state: RoomState) -> None:
    """The written recount (rooms/recount.py, from the log alone, its refused and resent
    entries included) reaches the reducer's results and quiz scores. Here actors are
    participant ids: one key per person, as a quiz's ballot key is for the whole room."""
    entries = [
        {"seq": r.seq, "at": r.at, "actor": r.actor, "op_id": r.op_id, **event_to_dict(r.event)}
        for r in records
    ]
    tally = recount_log(entries)
    for poll in state.polls.values():
        if poll.deleted or not poll.was_public:
            assert poll.id not in tally.results
            continue
        ours = tally.results[poll.id]
        theirs = poll_results(state, poll)
        if poll.defn.kind in FULL:
            if "average" in theirs:
                assert ours.pop("average") == pytest.approx(theirs["average"], abs=0.0051)
            assert ours == {k: theirs[k] for k in ours}, poll.defn.kind
        else:
            assert ours == {"voters": theirs["voters"]}
    scores = {
        k: {"points": s.points, "right": s.right, "answered": s.answered, "time_ms": s.time_ms}
        for k, s in quiz.scores(state).items()
    }
    assert tally.players == scores


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_random_streams_keep_invariants(data: st.DataObject) -> None:
    room = Room(filters=FILTERS)
    room.do(ORG, "moderator.add", name="Mo")  # m2
    room.do(ORG, "moderator.add", name="Max")  # m3
    assert room.interpreter() == "m4"
    room.join("a1", "a2", "a3", "a4", "a5")
    for kind in KINDS:
        room.poll(
            kind,
            options=["A", "B", "C"]
            if kind in ("single", "multiple", "ranking", "budget", "quiz")
            else None,
        )
    room.ask("a1", "Where is the bus?")
    room.ask("a2", "When is the vote?", approve=False)
    state = room.state
    changes: list[Change] = []
    for _step in range(data.draw(st.integers(5, 40), label="steps")):
        batch = []
        for _ in range(data.draw(st.integers(1, 3))):
            if data.draw(st.integers(0, 2)) == 0:
                actor = data.draw(st.sampled_from([ORG, "m2", "m3", "m4", "system", "screen1"]))
                op = data.draw(st.sampled_from(MODERATOR_OPS))
            else:
                actor = data.draw(st.sampled_from(PEOPLE))
                op = data.draw(st.sampled_from(ATTENDEE_OPS))
            fields = fields_for(data, state, op)
            ctx = room.ctx(actor, role=Role.INTERPRETER if actor == "m4" else None)
            before = to_snapshot(state)
            try:
                event = decide(state, op, fields, ctx, FILTERS)
            except CommandError:
                assert to_snapshot(state) == before  # refused: nothing changed
                continue
            assert OPS[op].event == event.TYPE  # the op table names the event it produces
            batch.append(Record(0, ctx.at, actor, ctx.op_id, event))
        if batch and data.draw(st.booleans()):
            old = data.draw(st.sampled_from(room.records))
            batch.append(old)  # a resend of an op already applied
        for pending in batch:
            record = Record(state.seq + 1, pending.at, pending.actor, pending.op_id, pending.event)
            before = to_snapshot(state)
            applied = apply(state, record)
            room.records.append(record)
            if applied.error is not None or applied.duplicate:
                after = to_snapshot(state)
                if applied.error is not None and record.op_id and not applied.duplicate:
                    # A lost race: its op_id now answers with this refusal, for good.
                    key = (record.actor, record.op_id)
                    assert state.ops.refusal(key) == (record.seq, applied.error.code)
                    before["ops"] = after["ops"]
                before["seq"] = state.seq
                assert after == before  # lost race or resend: only seq (and op memory) moved
                assert not applied.changes
            changes.extend(applied.changes)
        check_invariants(state)

    check_recount(room.records, state)
    live = to_snapshot(state)
    assert json.loads(json.dumps(live)) == live
    assert to_snapshot(replay(room.records)) == live
    mid = data.draw(st.integers(0, len(room.records)), label="midpoint")
    restored = from_snapshot(json.loads(json.dumps(to_snapshot(replay(room.records[:mid])))))
    assert to_snapshot(replay(room.records[mid:], restored)) == live
    check_invariants(restored)

    for role in Role:
        for who in (None, "a1", "a5", ORG):
            json.dumps(snapshot_view(state, role, who))
        json.dumps(view_frames(state, role, changes))
    json.dumps(personal_frames(state, changes))


def test_many_voters_tally_stays_derived() -> None:
    room = Room()
    people = [f"p{i}" for i in range(300)]
    room.join(*people)
    polls = {
        kind: room.poll(kind) for kind in ("single", "multiple", "rating", "ranking", "budget")
    }
    for i, who in enumerate(people):
        room.do(who, "vote", poll_id=polls["single"], choice=i % 3)
        room.do(who, "vote", poll_id=polls["single"], choice=(i + 1) % 3)  # a change of mind
        room.do(who, "vote", poll_id=polls["multiple"], choice=[i % 3, (i + 1) % 3])
        room.do(who, "vote", poll_id=polls["rating"], choice=1 + i % 5)
        room.do(who, "vote", poll_id=polls["ranking"], choice=[i % 3, (i + 1) % 3, (i + 2) % 3])
        room.do(who, "vote", poll_id=polls["budget"], choice={str(i % 3): 60, "0": 10})
    for poll_id in polls.values():
        poll = room.state.polls[poll_id]
        assert poll.tally == recount(poll)
        assert poll.tally.voters == 300
    assert room.state.polls[polls["single"]].tally.counts == [100, 100, 100]
    assert room.state.seq == len(room.records) and room.records[0].at > T0
    assert role_of("m12") is Role.MODERATOR
