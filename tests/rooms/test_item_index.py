"""The question and answer indexes (rooms/item_index.py) follow every move the reducer makes,
and the views that read them render exactly what a scan of every item rendered."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moderation.audit import REJECT_REASONS
from moderation.filters import TextFilters
from moderation.roles import Role
from rooms import (
    Change,
    CommandError,
    RoomState,
    from_snapshot,
    personal_frames,
    snapshot_view,
    to_snapshot,
    view_frames,
)
from rooms.item_index import ItemIndex
from rooms.lifecycles import QuestionState
from rooms.render import content_ban, content_bans, question_view
from rooms.state import Answer, Question
from rooms.views import moderation_queue
from tests.rooms.harness import ORG, Room

FILTERS = TextFilters(profanity={"en": frozenset({"darn"})})
PEOPLE = ["p1", "p2", "p3", "p4"]
LANGS = ["en", "fr", "es", None]


def _q(
    qid: int, state: QuestionState = "pending", reason: str | None = None, lang: str | None = None
) -> Question:
    return Question(qid, "p1", "Why?", False, 0, state=state, reason=reason, lang=lang)


def test_an_item_is_filed_once_and_moves_with_its_state() -> None:
    index = ItemIndex()
    q = _q(5, lang="fr")
    index.file(q)
    index.file(q)  # filed again where it was: nothing moves
    assert index.buckets == {("pending", "fr"): [5]} and list(index.pending()) == [5]
    q.state, q.reason = "rejected", None
    index.file(q)
    assert index.buckets == {("rejected", "other"): [5]}  # no reason counts as "other"
    assert index.ledger() == {"pending": 0, "approved": 0, "rejected": {"other": 1}, "hidden": 0}
    index.drop(5)
    assert index == ItemIndex()  # an empty bucket is no bucket: equal indexes compare equal


def test_pending_items_come_in_asking_order_across_languages() -> None:
    index = ItemIndex.of([_q(9, lang="fr"), _q(3, lang="es"), _q(7), _q(4, lang="fr")])
    assert list(index.pending()) == [3, 4, 7, 9]
    assert list(index.pending("fr")) == [4, 9] and list(index.pending("de")) == []
    assert index.pending_count() == 4 and index.pending_count("fr") == 2
    assert index.pending_langs() == ["es", "fr"]  # an unknown language is none of them


def test_the_ledger_orders_reasons_by_their_first_item_as_a_scan_met_them() -> None:
    rejected = [_q(2, "rejected", "spam"), _q(3, "rejected", "abusive")]
    index = ItemIndex.of([*rejected, _q(6, "answered"), _q(8, "hidden")])
    assert list(index.ledger()["rejected"]) == ["spam", "abusive"]
    index.file(_q(1, "rejected", "abusive"))  # an earlier item: its reason now comes first
    assert index.ledger() == {
        "pending": 0,
        "approved": 1,
        "rejected": {"abusive": 2, "spam": 1},
        "hidden": 1,
    }


# -- against the scans the views made before the index -------------------------------------


def _scan_ledger(items: list[tuple[str, str | None]]) -> dict[str, Any]:
    out: dict[str, Any] = {"pending": 0, "approved": 0, "rejected": {}, "hidden": 0}
    for st_, reason in items:
        if st_ == "pending":
            out["pending"] += 1
        elif st_ in ("approved", "answered", "archived"):
            out["approved"] += 1
        elif st_ == "rejected":
            key = reason or "other"
            out["rejected"][key] = out["rejected"].get(key, 0) + 1
        elif st_ == "hidden":
            out["hidden"] += 1
    return out


class _Scan(ItemIndex):
    """Answers every question by reading every item, as rooms/views.py and rooms/render.py
    did before the index: a state holding it renders what those did."""

    __slots__ = ("items",)

    def __init__(self, items: dict[int, Question] | dict[int, Answer]) -> None:
        super().__init__()
        self.items = items

    def _pending_items(self) -> Iterator[Question | Answer]:
        return (q for q in self.items.values() if q.state == "pending")

    def pending(self, lang: str | None = None) -> Iterator[int]:
        return (q.id for q in self._pending_items() if lang is None or q.lang == lang)

    def pending_count(self, lang: str | None = None) -> int:
        return sum(1 for _ in self.pending(lang))

    def pending_langs(self) -> list[str]:
        return sorted({q.lang for q in self._pending_items() if q.lang})

    def ledger(self) -> dict[str, Any]:
        return _scan_ledger([(q.state, q.reason) for q in self.items.values()])


def _scanning(state: RoomState) -> RoomState:
    return dataclasses.replace(
        state, question_index=_Scan(state.questions), answer_index=_Scan(state.answers)
    )


def _scan_queue(state: RoomState, page: int, lang: str | None, size: int) -> dict[str, Any]:
    """moderation_queue as it was: every pending question listed, then one page cut."""
    pending_all = [q for q in state.questions.values() if q.state == "pending"]
    pending = [q for q in pending_all if lang is None or q.lang == lang]
    pages = max(1, -(-len(pending) // size))
    page = min(max(page, 0), pages - 1)
    shown = pending[page * size : (page + 1) * size]
    return {
        "questions": [question_view(state, q, Role.MODERATOR) for q in shown],
        "pending_total": len(pending),
        "page": page,
        "pages": pages,
        "first": page * size + 1 if shown else 0,
        "langs": sorted({q.lang for q in pending_all if q.lang}),
    }


def _same(new: object, old: object) -> None:
    assert json.dumps(new) == json.dumps(old)  # the same bytes, key order included


def _op(
    data: st.DataObject, state: RoomState, poll_id: int, n: int
) -> tuple[str, str, dict[str, Any]]:
    d = data.draw
    qid = d(st.sampled_from([*state.questions, 999]))
    aid = d(st.sampled_from([*state.answers, 999]))
    reason = d(st.sampled_from(REJECT_REASONS))
    who = d(st.sampled_from(PEOPLE))
    ban_ids = [b for p in state.participants.values() for b in p.content_bans] or ["b1"]
    lang = d(st.sampled_from(LANGS))
    hide_reason = d(st.sampled_from([None, reason]))
    moderation = d(st.sampled_from(["pre", "post"]))
    return d(
        st.sampled_from(
            [
                ("question.ask", who, {"text": f"Bus {n}? darn", "lang": lang}),
                ("question.ask", who, {"text": f"Where {n}?", "lang": lang}),
                ("question.approve", ORG, {"question_id": qid}),
                ("question.reject", ORG, {"question_id": qid, "reason": reason}),
                ("question.restore", ORG, {"question_id": qid}),
                ("question.hide", ORG, {"question_id": qid, "reason": hide_reason}),
                ("question.answer", ORG, {"question_id": qid, "text": "Soon."}),
                ("question.archive", ORG, {"question_id": qid}),
                ("question.pin", ORG, {"question_id": qid}),
                ("question.withdraw", who, {"question_id": qid}),
                ("question.upvote", who, {"question_id": qid}),
                ("vote", who, {"poll_id": poll_id, "choice": f"Parks {n}"}),
                ("answer.approve", ORG, {"answer_id": aid}),
                ("answer.reject", ORG, {"answer_id": aid, "reason": reason}),
                ("answer.restore", ORG, {"answer_id": aid}),
                ("participant.ban", ORG, {"question_id": qid, "reason": reason}),
                ("participant.unban", ORG, {"ban_id": d(st.sampled_from(ban_ids))}),
                ("room.update", ORG, {"settings": {"moderation": moderation}}),
            ]
        )
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_views_over_the_index_render_what_the_scans_rendered(data: st.DataObject) -> None:
    room = Room(filters=FILTERS, questions_pending_max=50, questions_per_minute=100)
    room.join(*PEOPLE)
    poll_id = room.poll("open")
    state = room.state
    for step in range(data.draw(st.integers(1, 25), label="ticks")):
        changes: list[Change] = []
        for n in range(data.draw(st.integers(1, 4))):
            op, actor, fields = _op(data, state, poll_id, step * 10 + n)
            with contextlib.suppress(CommandError):  # refused at decide: nothing to render
                changes.extend(room.commit(actor, room.decide(actor, op, **fields)).changes)
        assert state.question_index == ItemIndex.of(state.questions.values())
        assert state.answer_index == ItemIndex.of(state.answers.values())
        old = _scanning(state)
        for role in Role:
            _same(view_frames(state, role, changes), view_frames(old, role, changes))
        _same(personal_frames(state, changes), personal_frames(old, changes))
        for c in changes:
            if c.kind == "ban":  # one ban looked up, as it was picked out of the whole list
                listed = [b for b in content_bans(state) if b["ban_id"] == f"b{c.key}"]
                assert [content_ban(state, f"b{c.key}")] == (listed or [None])
    restored = from_snapshot(json.loads(json.dumps(to_snapshot(state))))
    assert restored.question_index == state.question_index
    assert restored.answer_index == state.answer_index
    old = _scanning(state)
    for role in Role:
        for who in (None, "p1", ORG):
            _same(snapshot_view(state, role, who), snapshot_view(old, role, who))
            _same(snapshot_view(restored, role, who), snapshot_view(old, role, who))
    for lang in (None, "en", "fr", "de"):
        for page in range(4):
            want = _scan_queue(state, page, lang, 2)
            _same(moderation_queue(state, page, lang, size=2), want)
            _same(moderation_queue(restored, page, lang, size=2), want)
