"""Poll ops: create, edit, open, close, reveal, hide, delete, vote; open-answer moderation.

Each decider validates and returns one event; each applier re-checks what another process's
commit could have changed in between, raises before its first mutation, then mutates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any, cast

from moderation.filters import TextFilters, Verdict, holds, normalise
from rooms import lookup, quiz
from rooms.changes import Applier, Decider, Effects
from rooms.context import Context
from rooms.errors import CommandError
from rooms.events import (
    AnswerApproved,
    AnswerRejected,
    AnswerRestored,
    BallotCast,
    Event,
    PollClosed,
    PollCreated,
    PollDeleted,
    PollEdited,
    PollHidden,
    PollOpened,
    PollRestored,
    PollRevealed,
)
from rooms.fields import clean_text, opt_int, opt_str, req_id
from rooms.lifecycles import ANSWER, DELETED, POLL, RESULTS
from rooms.poll_kinds import KINDS, WORD_MAX
from rooms.polls import apply_ballot, parse_definition, read_choice, reset_tally
from rooms.records import Record
from rooms.screening import screen, text_language
from rooms.state import Answer, Poll, PollDef, RoomState

__all__ = ["APPLIERS", "DECIDERS", "MAX_DURATION_S", "definition_dict"]

# A timed poll runs at most a week.
MAX_DURATION_S = 7 * 24 * 3600

_DEF_FIELDS = tuple(f.name for f in fields(PollDef))


def definition_dict(d: PollDef) -> dict[str, Any]:
    out = asdict(d)
    out["options"] = list(d.options)
    out["caps"] = list(d.caps) if d.caps is not None else None
    out["correct"] = list(d.correct) if d.correct is not None else None
    return out


def _def_of(ev: PollCreated | PollEdited) -> PollDef:
    return PollDef(**{name: getattr(ev, name) for name in _DEF_FIELDS})


def _changes_allowed(state: RoomState, poll: Poll) -> bool:
    allow = poll.defn.allow_changes
    return state.settings.vote_changes if allow is None else allow


def _check_votable(state: RoomState, poll: Poll, voter: str, at: int) -> None:
    POLL.check(poll.state, BallotCast)
    if poll.closes_at is not None and at >= poll.closes_at:
        raise CommandError("poll.closed")
    if poll.revealed and KINDS[poll.defn.kind].scored:
        raise CommandError("poll.closed", "the quiz's answers are revealed")
    if voter in poll.ballots and not _changes_allowed(state, poll):
        raise CommandError("vote.duplicate")


# -- deciders --------------------------------------------------------------------------------


def decide_create(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    d = parse_definition(f, None)
    return PollCreated(**{name: getattr(d, name) for name in _DEF_FIELDS})


def decide_edit(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    poll = lookup.poll(state, req_id(f, "poll_id"))
    POLL.check(poll.state, PollEdited)
    d = parse_definition(f, poll.defn)
    return PollEdited(poll_id=poll.id, **{name: getattr(d, name) for name in _DEF_FIELDS})


def decide_open(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    poll = lookup.poll(state, req_id(f, "poll_id"))
    POLL.check(poll.state, PollOpened)
    duration = opt_int(f, "duration_s", 1, MAX_DURATION_S, 0)
    return PollOpened(poll_id=poll.id, closes_at=ctx.at + duration * 1000 if duration else None)


def decide_close(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    poll = lookup.poll(state, req_id(f, "poll_id"))
    POLL.check(poll.state, PollClosed)
    return PollClosed(poll_id=poll.id)


def _simple(cls: type[PollRevealed | PollHidden | PollDeleted]) -> Decider:
    def decide(state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters) -> Event:
        return cls(poll_id=lookup.poll(state, req_id(f, "poll_id")).id)

    return decide


def decide_vote(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    poll = lookup.poll(state, req_id(f, "poll_id"))
    _check_votable(state, poll, ctx.actor, ctx.at)
    if not KINDS[poll.defn.kind].screened:
        return BallotCast(
            poll_id=poll.id, choice=read_choice(poll.defn, f.get("choice"), _unread).choice
        )
    raw = f.get("choice")
    lang = text_language(f, " ".join(_texts(raw)))
    reading = read_choice(poll.defn, raw, lambda text: screen(state, filters, text, lang))
    choice = reading.choice
    if isinstance(choice, str):
        choice = clean_text(choice, state.settings.question_max_length)
    return BallotCast(
        poll_id=poll.id,
        choice=choice,
        flags=reading.verdict.flags,
        lang=lang,
        terms=reading.verdict.terms,
        held=reading.held,
    )


def _texts(raw: object) -> list[str]:
    # Only for detecting the language; read_choice validates the choice itself.
    if isinstance(raw, str):
        return [raw]
    return [t for t in raw if isinstance(t, str)] if isinstance(raw, list | tuple) else []


def _unread(text: str) -> Verdict:
    raise AssertionError("only open and wordcloud ballots hold text")


def _pending_answer(state: RoomState, f: Mapping[str, Any], cls: type[Event]) -> Answer:
    return _moderated(state, req_id(f, "answer_id"), cls)


def decide_answer_approve(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    found = _pending_answer(state, f, AnswerApproved)
    text = opt_str(f, "text")
    if text is not None:
        text = clean_text(text, state.settings.question_max_length)
        if text == found.text:
            text = None
    return AnswerApproved(answer_id=found.id, text=text)


def decide_answer_reject(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    found = _pending_answer(state, f, AnswerRejected)
    return AnswerRejected(answer_id=found.id, reason=lookup.reject_reason(f))


def decide_answer_restore(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    found = _moderated(state, req_id(f, "answer_id"), AnswerRestored)
    return AnswerRestored(answer_id=found.id)


def decide_restore(
    state: RoomState, f: Mapping[str, Any], ctx: Context, filters: TextFilters
) -> Event:
    poll = _tombstone(state, req_id(f, "poll_id"))
    DELETED.check(poll.deleted, PollRestored)
    return PollRestored(poll_id=poll.id)


def _tombstone(state: RoomState, poll_id: int) -> Poll:
    """The poll, deleted or not (lookup.poll hides deleted ones): only an undo looks here."""
    poll = state.polls.get(poll_id)
    if poll is None:
        raise CommandError("poll.not_found")
    return poll


DECIDERS: dict[str, Decider] = {
    "poll.create": decide_create,
    "poll.edit": decide_edit,
    "poll.open": decide_open,
    "poll.close": decide_close,
    "poll.reveal": _simple(PollRevealed),
    "poll.hide": _simple(PollHidden),
    "poll.delete": _simple(PollDeleted),
    "poll.restore": decide_restore,
    "vote": decide_vote,
    "answer.approve": decide_answer_approve,
    "answer.reject": decide_answer_reject,
    "answer.restore": decide_answer_restore,
}

# -- appliers --------------------------------------------------------------------------------


def _target(poll_id: int) -> str:
    return f"poll:{poll_id}"


def apply_created(state: RoomState, rec: Record, ev: PollCreated, fx: Effects) -> None:
    poll = Poll(id=rec.seq, defn=_def_of(ev), created_at=rec.at)
    reset_tally(poll)
    state.polls[poll.id] = poll
    fx.result = {"poll_id": poll.id}
    fx.target = _target(poll.id)
    fx.after = definition_dict(poll.defn)
    fx.touch("poll", poll.id, ev.TYPE)


def apply_edited(state: RoomState, rec: Record, ev: PollEdited, fx: Effects) -> None:
    poll = lookup.poll(state, ev.poll_id)
    poll.state = POLL.next(poll.state, PollEdited)
    fx.before = definition_dict(poll.defn)
    poll.defn = _def_of(ev)
    poll.translations.clear()  # they translated the words that were there before
    reset_tally(poll)  # a draft has no ballots; the shape may have changed
    fx.after = definition_dict(poll.defn)
    _done(fx, poll, ev)


def _done(fx: Effects, poll: Poll, ev: Event) -> None:
    fx.result = {"poll_id": poll.id}
    fx.target = _target(poll.id)
    fx.touch("poll", poll.id, ev.TYPE)


def apply_opened(state: RoomState, rec: Record, ev: PollOpened, fx: Effects) -> None:
    poll = lookup.poll(state, ev.poll_id)
    opened = POLL.next(poll.state, PollOpened)
    closes_at = ev.closes_at if ev.closes_at is not None else poll.defn.closes_at
    # A reopened poll whose deadline has passed runs until closed by hand.
    poll.closes_at = closes_at if closes_at is not None and closes_at > rec.at else None
    poll.state = opened
    poll.was_public = True
    if KINDS[poll.defn.kind].scored and poll.opened_at is None:
        # Points fall from the first opening: reopening a quiz gives nobody more time.
        poll.opened_at = rec.at
        poll.window_ms = quiz.window_ms(poll, rec.at, poll.closes_at)
    _done(fx, poll, ev)


def apply_closed(state: RoomState, rec: Record, ev: PollClosed, fx: Effects) -> None:
    poll = lookup.poll(state, ev.poll_id)
    poll.state = POLL.next(poll.state, PollClosed)
    _done(fx, poll, ev)


def apply_revealed(state: RoomState, rec: Record, ev: PollRevealed, fx: Effects) -> None:
    poll = lookup.poll(state, ev.poll_id)
    poll.revealed = RESULTS.next(poll.revealed, PollRevealed)
    _done(fx, poll, ev)


def apply_hidden(state: RoomState, rec: Record, ev: PollHidden, fx: Effects) -> None:
    poll = lookup.poll(state, ev.poll_id)
    poll.revealed = RESULTS.next(poll.revealed, PollHidden)
    _done(fx, poll, ev)


def apply_deleted(state: RoomState, rec: Record, ev: PollDeleted, fx: Effects) -> None:
    # A tombstone, not a removal: ids stay unique, the report still knows, and views can
    # tell attendees who saw it that it is gone.
    poll = lookup.poll(state, ev.poll_id)
    poll.deleted = DELETED.next(poll.deleted, PollDeleted)
    _done(fx, poll, ev)


def apply_restored(state: RoomState, rec: Record, ev: PollRestored, fx: Effects) -> None:
    poll = _tombstone(state, ev.poll_id)
    poll.deleted = DELETED.next(poll.deleted, PollRestored)
    _done(fx, poll, ev)


def apply_ballot_cast(state: RoomState, rec: Record, ev: BallotCast, fx: Effects) -> None:
    poll = lookup.poll(state, ev.poll_id)
    _check_votable(state, poll, rec.actor, rec.at)
    previous = apply_ballot(poll, rec.actor, ev.choice)
    fx.result = {"poll_id": poll.id, "replaced": previous is not None}
    if KINDS[poll.defn.kind].scored:
        poll.cast_at[rec.actor] = rec.at  # the ack says nothing of right or wrong
        poll.ballots_seq = rec.seq
    fx.touch("poll", poll.id, ev.TYPE)
    if KINDS[poll.defn.kind].screened:
        _review_item(state, rec, ev, poll, fx)


def _review_item(state: RoomState, rec: Record, ev: BallotCast, poll: Poll, fx: Effects) -> None:
    """An open answer, or a word cloud's held words: an item moderators approve or reject.

    A new ballot replaces the voter's previous item (its words or text no longer stand).
    Open answers wait in pre-moderation or when a flag holds them; held words always wait.
    """
    old = poll.answer_of.pop(rec.actor, None)
    if old is not None:
        del state.answers[old]
        del poll.answer_ids[old]
        state.answer_index.drop(old)
        fx.touch("answer", old, ev.TYPE)
    wordcloud = not KINDS[poll.defn.kind].answers  # its held words are the item
    if wordcloud and not ev.held:
        return
    waits = wordcloud or state.settings.moderation == "pre" or holds(ev.flags)
    answer = Answer(
        id=rec.seq,
        poll_id=poll.id,
        author=rec.actor,
        text=" ".join(ev.held) if wordcloud else str(ev.choice),
        at=rec.at,
        state="pending" if waits else "approved",
        flags=ev.flags,
        lang=ev.lang,
        terms=ev.terms,
        wordcloud=wordcloud,
    )
    state.answers[answer.id] = answer
    state.answer_index.file(answer)
    poll.answer_of[rec.actor] = answer.id
    poll.answer_ids[answer.id] = None
    fx.result.update(answer_id=answer.id, state=answer.state)
    if wordcloud:
        fx.result["held"] = list(ev.held)
    fx.touch("answer", answer.id, ev.TYPE)


def _moderated(state: RoomState, answer_id: int, cls: type[Event]) -> Answer:
    found = lookup.answer(state, answer_id)
    ANSWER.check(found.state, cls)
    return found


def apply_answer_approved(state: RoomState, rec: Record, ev: AnswerApproved, fx: Effects) -> None:
    found = _moderated(state, ev.answer_id, AnswerApproved)
    if ev.text is not None:
        fx.before, fx.after = found.text, ev.text
        found.original_text = found.text
        found.text = ev.text
    found.state = ANSWER.next(found.state, AnswerApproved)
    if found.wordcloud:
        _count_words(state, found, +1)
    _answer_done(state, fx, found, ev)


def apply_answer_rejected(state: RoomState, rec: Record, ev: AnswerRejected, fx: Effects) -> None:
    found = _moderated(state, ev.answer_id, AnswerRejected)
    if found.wordcloud and found.state == "approved":
        _count_words(state, found, -1)
    found.state = ANSWER.next(found.state, AnswerRejected)
    found.reason = fx.reason = ev.reason
    _answer_done(state, fx, found, ev)


def apply_answer_restored(state: RoomState, rec: Record, ev: AnswerRestored, fx: Effects) -> None:
    found = _moderated(state, ev.answer_id, AnswerRestored)
    # Pending again: a word cloud's words stay out of the ballot until approved again.
    found.state = ANSWER.next(found.state, AnswerRestored)
    fx.before, found.reason = found.reason, None  # the audit keeps why it had been rejected
    _answer_done(state, fx, found, ev)


def _count_words(state: RoomState, found: Answer, sign: int) -> None:
    """Approved held words join their voter's ballot (up to the poll's word limit); a
    take-down removes them again. The item is always the voter's current one: a new ballot
    deletes it."""
    poll = lookup.poll(state, found.poll_id)
    current = cast(tuple[str, ...], poll.ballots[found.author])
    words = [w for w in dict.fromkeys(normalise(found.text).split()) if len(w) <= WORD_MAX]
    if sign > 0:
        merged = [*current, *(w for w in words if w not in current)][: poll.defn.max_words]
    else:
        merged = [w for w in current if w not in words]
    apply_ballot(poll, found.author, tuple(merged))


def _answer_done(state: RoomState, fx: Effects, found: Answer, ev: Event) -> None:
    state.answer_index.file(found)  # where its move took it (rooms/item_index.py)
    fx.result = {"answer_id": found.id, "state": found.state}
    fx.target = f"answer:{found.id}"
    fx.touch("answer", found.id, ev.TYPE)
    fx.touch("poll", found.poll_id, "ballot.cast")  # the approved list is part of the results


APPLIERS: dict[type[Event], Applier] = {
    PollCreated: apply_created,
    PollEdited: apply_edited,
    PollOpened: apply_opened,
    PollClosed: apply_closed,
    PollRevealed: apply_revealed,
    PollHidden: apply_hidden,
    PollDeleted: apply_deleted,
    PollRestored: apply_restored,
    BallotCast: apply_ballot_cast,
    AnswerApproved: apply_answer_approved,
    AnswerRejected: apply_answer_rejected,
    AnswerRestored: apply_answer_restored,
}
