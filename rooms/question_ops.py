"""Q&A ops: ask, vote on, withdraw; moderate, answer, pin, archive, label.

Which move each question state allows, and the pin's, are the QUESTION and PIN tables in
rooms/lifecycles.py. Attendees and the screen see PUBLISHED (approved and answered)
questions only. Votes on one's own question are refused (`upvote.own`): a score should
measure other people's interest.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moderation.audit import REJECT_REASONS
from moderation.filters import TextFilters, holds, normalise
from rooms import lookup
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import (
    Event,
    QuestionAnswered,
    QuestionApproved,
    QuestionArchived,
    QuestionAsked,
    QuestionDownvoted,
    QuestionHidden,
    QuestionLabelled,
    QuestionPinned,
    QuestionRejected,
    QuestionRestored,
    QuestionUnpinned,
    QuestionUnvoted,
    QuestionUpvoted,
    QuestionWithdrawn,
)
from rooms.fields import clean_line, clean_text, opt_bool, opt_str, req_id, req_text, str_list
from rooms.lifecycles import PIN, QUESTION
from rooms.records import Record
from rooms.screening import screen, text_language
from rooms.state import Question, RoomState

__all__ = ["APPLIERS", "DECIDERS"]

ANSWER_MAX = 2000
LABEL_MAX = 30
MAX_LABELS = 10


def _moving(state: RoomState, question_id: int, move: type[Event]) -> Question:
    """The question, if the QUESTION table allows `move` from its state."""
    q = lookup.question(state, question_id)
    QUESTION.check(q.state, move)
    return q


# -- rules shared by decide and apply (state that can change in between) --------------------


def repeat_key(text: str) -> str:
    """What makes two questions of one person "the same": the words, compared loosely; for a
    text without words (emoji only), the text itself, or every such question would repeat."""
    return normalise(text) or "\0" + text.strip()


def _check_ask(state: RoomState, actor: str, text: str, anonymous: bool) -> None:
    if anonymous and not state.settings.anonymous_questions:
        raise CommandError("question.anonymous_disabled")
    if repeat_key(text) in state.participants[actor].asked:
        raise CommandError("text.repeated")


MINUTE_MS = 60_000


def _check_flood(state: RoomState, actor: str, at: int) -> None:
    """The room's per-person limits on asking (`questions_pending_max`, `questions_per_minute`).

    Checked at decide only, with the command's own time: a transcript written under other
    limits (or before they existed) must replay to the same room, so apply never re-checks.
    Two asks decided at once may pass together; the edge's op budget bounds that overshoot.
    """
    settings = state.settings
    mine = state.participants[actor].questions
    pending = sum(1 for qid in mine if state.questions[qid].state == "pending")
    if pending >= settings.questions_pending_max:
        raise CommandError("question.too_many_pending")
    recent = 0
    for qid in reversed(mine):  # asking order: stop at the first one older than a minute
        if state.questions[qid].at <= at - MINUTE_MS:
            break
        recent += 1
    if recent >= settings.questions_per_minute:
        raise CommandError("question.too_fast")


def _check_upvote(state: RoomState, q: Question, actor: str) -> None:
    QUESTION.check(q.state, QuestionUpvoted)
    if q.author == actor:
        raise CommandError("upvote.own")
    if actor in q.upvoters:
        raise CommandError("upvote.duplicate")


def _check_downvote(state: RoomState, q: Question, actor: str) -> None:
    if not state.settings.downvotes:
        raise CommandError("downvote.disabled")
    QUESTION.check(q.state, QuestionDownvoted)
    if q.author == actor:
        raise CommandError("upvote.own")
    if actor in q.downvoters:
        raise CommandError("downvote.duplicate")


def _check_unvote(q: Question, actor: str) -> None:
    if actor not in q.upvoters and actor not in q.downvoters:
        raise CommandError("upvote.not_found")


def _check_withdraw(q: Question, actor: str) -> None:
    if q.author != actor:
        raise CommandError("auth.forbidden", "only the author may withdraw a question")
    QUESTION.check(q.state, QuestionWithdrawn)


# -- deciders --------------------------------------------------------------------------------

D = Mapping[str, Any]


def decide_ask(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    text = req_text(f, "text", state.settings.question_max_length)
    anonymous = opt_bool(f, "anonymous", False)
    _check_ask(state, ctx.actor, text, anonymous)
    _check_flood(state, ctx.actor, ctx.at)
    lang = text_language(f, text)
    verdict = screen(state, filters, text, lang)
    return QuestionAsked(
        text=text, anonymous=anonymous, flags=verdict.flags, lang=lang, terms=verdict.terms
    )


def _decide_on(
    cls: type[QuestionUpvoted | QuestionDownvoted | QuestionUnvoted | QuestionWithdrawn],
) -> Decider:
    def decide(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
        q = lookup.question(state, req_id(f, "question_id"))
        _CHECKS[cls](state, q, ctx.actor)
        return cls(question_id=q.id)

    return decide


_CHECKS: dict[type[Event], Any] = {
    QuestionUpvoted: _check_upvote,
    QuestionDownvoted: _check_downvote,
    QuestionUnvoted: lambda state, q, actor: _check_unvote(q, actor),
    QuestionWithdrawn: lambda state, q, actor: _check_withdraw(q, actor),
}


def decide_approve(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = _moving(state, req_id(f, "question_id"), QuestionApproved)
    text = opt_str(f, "text")
    if text is not None:
        text = clean_text(text, state.settings.question_max_length)
        if text == q.text:
            text = None
    return QuestionApproved(question_id=q.id, text=text)


def decide_reject(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = _moving(state, req_id(f, "question_id"), QuestionRejected)
    return QuestionRejected(question_id=q.id, reason=lookup.reject_reason(f))


def decide_restore(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = _moving(state, req_id(f, "question_id"), QuestionRestored)
    return QuestionRestored(question_id=q.id)


def decide_hide(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = _moving(state, req_id(f, "question_id"), QuestionHidden)
    reason = f.get("reason")
    if reason is not None and reason not in REJECT_REASONS:
        raise CommandError("reason.invalid")
    return QuestionHidden(question_id=q.id, reason=reason)


def decide_answer(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = _moving(state, req_id(f, "question_id"), QuestionAnswered)
    text = opt_str(f, "text") or ""
    if text.strip():
        text = clean_text(text, ANSWER_MAX)
    elif len(text) > ANSWER_MAX:
        raise CommandError("text.too_long")
    return QuestionAnswered(question_id=q.id, text=text.strip())


def decide_pin(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = _moving(state, req_id(f, "question_id"), QuestionPinned)
    return QuestionPinned(question_id=q.id)


def decide_unpin(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = lookup.question(state, req_id(f, "question_id"))
    PIN.check(state.pinned == q.id, QuestionUnpinned)
    return QuestionUnpinned(question_id=q.id)


def decide_archive(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = _moving(state, req_id(f, "question_id"), QuestionArchived)
    return QuestionArchived(question_id=q.id)


def decide_label(state: RoomState, f: D, ctx: Context, filters: TextFilters) -> Event:
    q = lookup.question(state, req_id(f, "question_id"))
    raw = f.get("labels")
    if raw is None:
        raise CommandError("field.missing", "labels is required")
    labels: list[str] = []
    for label in str_list(raw, "labels", max_items=MAX_LABELS):
        cleaned = clean_line(label, LABEL_MAX)
        if cleaned not in labels:
            labels.append(cleaned)
    return QuestionLabelled(question_id=q.id, labels=tuple(labels))


DECIDERS: dict[str, Decider] = {
    "question.ask": decide_ask,
    "question.upvote": _decide_on(QuestionUpvoted),
    "question.downvote": _decide_on(QuestionDownvoted),
    "question.unvote": _decide_on(QuestionUnvoted),
    "question.withdraw": _decide_on(QuestionWithdrawn),
    "question.approve": decide_approve,
    "question.reject": decide_reject,
    "question.restore": decide_restore,
    "question.hide": decide_hide,
    "question.answer": decide_answer,
    "question.pin": decide_pin,
    "question.unpin": decide_unpin,
    "question.archive": decide_archive,
    "question.label": decide_label,
}

# -- appliers --------------------------------------------------------------------------------


def _done(state: RoomState, fx: Effects, q: Question, ev: Event) -> None:
    """Every applier that touches a question (votes aside) ends here, so the question index
    follows each move of its state or reason."""
    state.question_index.file(q)
    fx.result = {"question_id": q.id, "state": q.state}
    fx.target = f"question:{q.id}"
    fx.touch("question", q.id, ev.TYPE)


def _move_and_unpin(state: RoomState, q: Question, ev: Event, fx: Effects) -> None:
    """Move `q` where the QUESTION table says `ev` leads, and off the pin: PIN says which
    moves do (answered, hidden, archived, withdrawn)."""
    q.state = QUESTION.next(q.state, type(ev))
    if state.pinned == q.id and not PIN.next(True, type(ev)):
        state.pinned = None
        fx.touch("question", q.id, QuestionUnpinned.TYPE)


def apply_asked(state: RoomState, rec: Record, ev: QuestionAsked, fx: Effects) -> None:
    _check_ask(state, rec.actor, ev.text, ev.anonymous)
    # Post-moderation publishes at once, unless a filter's flag holds the text: then it waits
    # (a mild flag does not hold; moderators see it either way).
    public = state.settings.moderation == "post" and not holds(ev.flags)
    q = Question(
        id=rec.seq,
        author=rec.actor,
        text=ev.text,
        anonymous=ev.anonymous,
        at=rec.at,
        state="approved" if public else "pending",
        flags=ev.flags,
        lang=ev.lang,
        terms=ev.terms,
        was_public=public,
    )
    state.questions[q.id] = q
    person = state.participants[rec.actor]
    person.questions.append(q.id)
    person.asked.add(repeat_key(ev.text))
    _done(state, fx, q, ev)


def apply_upvoted(state: RoomState, rec: Record, ev: QuestionUpvoted, fx: Effects) -> None:
    q = lookup.question(state, ev.question_id)
    _check_upvote(state, q, rec.actor)
    q.downvoters.discard(rec.actor)  # one opinion per person: an upvote replaces a downvote
    q.upvoters.add(rec.actor)
    _voted(fx, q, ev)


def apply_downvoted(state: RoomState, rec: Record, ev: QuestionDownvoted, fx: Effects) -> None:
    q = lookup.question(state, ev.question_id)
    _check_downvote(state, q, rec.actor)
    q.upvoters.discard(rec.actor)
    q.downvoters.add(rec.actor)
    _voted(fx, q, ev)


def apply_unvoted(state: RoomState, rec: Record, ev: QuestionUnvoted, fx: Effects) -> None:
    q = lookup.question(state, ev.question_id)
    _check_unvote(q, rec.actor)
    q.upvoters.discard(rec.actor)
    q.downvoters.discard(rec.actor)
    _voted(fx, q, ev)


def _voted(fx: Effects, q: Question, ev: Event) -> None:
    fx.result = {"question_id": q.id, "upvotes": len(q.upvoters), "score": q.score}
    fx.touch("question", q.id, ev.TYPE)


def apply_withdrawn(state: RoomState, rec: Record, ev: QuestionWithdrawn, fx: Effects) -> None:
    q = lookup.question(state, ev.question_id)
    _check_withdraw(q, rec.actor)
    _move_and_unpin(state, q, ev, fx)
    _done(state, fx, q, ev)


def apply_approved(state: RoomState, rec: Record, ev: QuestionApproved, fx: Effects) -> None:
    q = _moving(state, ev.question_id, QuestionApproved)
    if ev.text is not None:
        fx.before, fx.after = q.text, ev.text
        if q.original_text is None:
            q.original_text = q.text
        q.text = ev.text
    q.state = QUESTION.next(q.state, QuestionApproved)
    q.reason = None
    q.was_public = True
    _done(state, fx, q, ev)


def apply_rejected(state: RoomState, rec: Record, ev: QuestionRejected, fx: Effects) -> None:
    q = _moving(state, ev.question_id, QuestionRejected)
    q.state = QUESTION.next(q.state, QuestionRejected)
    q.reason = fx.reason = ev.reason
    _done(state, fx, q, ev)


def apply_restored(state: RoomState, rec: Record, ev: QuestionRestored, fx: Effects) -> None:
    q = _moving(state, ev.question_id, QuestionRestored)
    q.state = QUESTION.next(q.state, QuestionRestored)
    fx.before, q.reason = q.reason, None  # the audit keeps why it had been rejected
    _done(state, fx, q, ev)


def apply_hidden(state: RoomState, rec: Record, ev: QuestionHidden, fx: Effects) -> None:
    q = _moving(state, ev.question_id, QuestionHidden)
    _move_and_unpin(state, q, ev, fx)
    q.reason = fx.reason = ev.reason
    _done(state, fx, q, ev)


def apply_answered(state: RoomState, rec: Record, ev: QuestionAnswered, fx: Effects) -> None:
    q = _moving(state, ev.question_id, QuestionAnswered)
    fx.before, fx.after = q.answer, ev.text
    # Answered means done with it: the "now answering" pin moves on.
    _move_and_unpin(state, q, ev, fx)
    q.answer = ev.text
    q.answered_at = rec.at
    q.answered_by = rec.actor
    _done(state, fx, q, ev)


def apply_pinned(state: RoomState, rec: Record, ev: QuestionPinned, fx: Effects) -> None:
    q = _moving(state, ev.question_id, QuestionPinned)
    previous = state.pinned
    if previous is not None and previous != q.id:
        fx.touch("question", previous, QuestionUnpinned.TYPE)
    state.pinned = q.id
    _done(state, fx, q, ev)


def apply_unpinned(state: RoomState, rec: Record, ev: QuestionUnpinned, fx: Effects) -> None:
    q = lookup.question(state, ev.question_id)
    PIN.check(state.pinned == q.id, QuestionUnpinned)
    state.pinned = None
    _done(state, fx, q, ev)


def apply_archived(state: RoomState, rec: Record, ev: QuestionArchived, fx: Effects) -> None:
    q = _moving(state, ev.question_id, QuestionArchived)
    _move_and_unpin(state, q, ev, fx)
    _done(state, fx, q, ev)


def apply_labelled(state: RoomState, rec: Record, ev: QuestionLabelled, fx: Effects) -> None:
    q = lookup.question(state, ev.question_id)
    fx.before, fx.after = list(q.labels), list(ev.labels)
    q.labels = ev.labels
    _done(state, fx, q, ev)


APPLIERS: dict[type[Event], Applier] = {
    QuestionAsked: apply_asked,
    QuestionUpvoted: apply_upvoted,
    QuestionDownvoted: apply_downvoted,
    QuestionUnvoted: apply_unvoted,
    QuestionWithdrawn: apply_withdrawn,
    QuestionApproved: apply_approved,
    QuestionRejected: apply_rejected,
    QuestionRestored: apply_restored,
    QuestionHidden: apply_hidden,
    QuestionAnswered: apply_answered,
    QuestionPinned: apply_pinned,
    QuestionUnpinned: apply_unpinned,
    QuestionArchived: apply_archived,
    QuestionLabelled: apply_labelled,
}
