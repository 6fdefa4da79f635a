"""The evaluation report: figures about a meeting, computed from its transcript alone.

    report = evaluate(records)      # records: the room's whole log, seq 1, 2, 3, ...

Pure like the rest of `rooms/`: it folds the records through the same reducer (`apply`), so
a record that changed nothing (a lost race, a duplicate op) counts for nothing here either.
Same log, same report, on any machine. Times are the records' `at` (ms since the epoch);
durations in the report are seconds.

Definitions (also returned under "definitions", so the numbers explain themselves):

* joined: distinct people with a `participant.joined`; active: those who also did anything
  (voted, asked, upvoted, reacted, asked to speak, ...).
* peak_active: connections are not in the log, so this is the largest number of distinct
  people who *did something* within any window of `window_ms` (5 minutes by default).
* participation_rate of a poll: its voters / people who had joined by the time it (last)
  closed, or by the end of the log if it never closed.
* timeline buckets: one per minute from the room's creation (wider if the log spans more
  than 720 minutes, so there are never more than 720 buckets).
* time to moderation: from asking to the first approve / reject / hide of a pending
  question (post-moderated questions published at once are not counted); time to answer:
  from asking to the first answer.
* top_upvoted: the ten published questions with the most upvotes (ties: asked first).
* speaking time: from `speaker.called` until the floor ends (finish, next call, ban); a
  floor still held at the end of the log counts until the last record.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable
from typing import Any

from moderation.roles import OP_BY_EVENT, Role
from rooms import quiz
from rooms.districts import joined_breakdown, poll_breakdown
from rooms.events import (
    BallotCast,
    ParticipantBanned,
    ParticipantJoined,
    PollClosed,
    QuestionAnswered,
    QuestionApproved,
    QuestionAsked,
    QuestionHidden,
    QuestionRejected,
    ReactionsCounted,
    ReactionSent,
    SpeakerCalled,
    SpeakerRequested,
    SpeakerSkipped,
    SpeakerWithdrawn,
)
from rooms.floor_ops import REACTIONS
from rooms.records import Record
from rooms.reducer import apply, new_room
from rooms.render import poll_results
from rooms.state import Floor, RoomState
from rooms.translations import poll_translations

__all__ = ["DEFINITIONS", "evaluate"]

WINDOW_MS = 5 * 60_000
BUCKET_MS = 60_000
MAX_BUCKETS = 720
TOP_QUESTIONS = 10
REPORT_BOARD = 50  # players the report lists

DEFINITIONS = {
    "joined": "distinct people who joined the room",
    "active": "people who joined and did anything: voted, asked, upvoted, reacted, asked to speak",
    "peak_active": (
        "connections are not recorded in the transcript: this is the largest number of "
        "distinct people who did something within any 5-minute window"
    ),
    "participation_rate": "voters / people who had joined when the poll (last) closed",
    "timeline": "counts per bucket (one minute unless the meeting is longer than 12 hours)",
    "median_moderation_s": "asking to the first approve, reject or hide of a pending question",
    "median_answer_s": "asking to the first answer",
    "top_answered_share": "share of the ten most upvoted published questions that were answered",
    "speaking_time_s": "from being called until the floor ended (finish, next call or ban)",
    "by_district": (
        "no district is shown with fewer people than the room's minimum cell size: smaller "
        "groups are counted together as 'other', 'other' itself is never smaller (the next "
        "smallest group joins it), and with fewer people in all there is no breakdown"
    ),
    "weighted": (
        "each shown group's results per voter, weighted by its districts' share of the "
        "population the organiser entered ('other' takes the sum of its districts'); people "
        "who gave no district, when shown on their own, stand for no share and count only in "
        "the raw figures"
    ),
    "quiz": (
        "a right answer earns 1000 points at the quiz's opening, falling linearly to 500 at "
        "the end of its window (its timer, or the seconds set for it); revealed quizzes only"
    ),
}


def _median_s(values: list[int]) -> float | None:
    return round(statistics.median(values) / 1000, 1) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _peak(actions: list[tuple[int, str]], window_ms: int) -> tuple[int, int | None]:
    """Most distinct actors within any `window_ms`, and where such a window starts."""
    best, best_at = 0, None
    inside: Counter[str] = Counter()
    left = 0
    for at, actor in actions:
        inside[actor] += 1
        while at - actions[left][0] >= window_ms:
            gone = actions[left][1]
            inside[gone] -= 1
            if not inside[gone]:
                del inside[gone]
            left += 1
        if len(inside) > best:
            best, best_at = len(inside), actions[left][0]
    return best, best_at


class _Tracker:
    """What the state alone forgets: when things happened, and in which order."""

    def __init__(self) -> None:
        self.first_at: int | None = None
        self.last_at = 0
        self.entries = 0
        self.ineffective = 0
        self.closed_at: int | None = None
        self.actions: list[tuple[int, str]] = []
        self.votes: list[int] = []
        self.asked: list[int] = []
        self.reactions: list[int] = []
        self.ballots_cast: Counter[int] = Counter()
        self.poll_closed_at: dict[int, int] = {}
        self.published_at_once: set[int] = set()
        self.approved: set[int] = set()
        self.rejected: dict[int, str] = {}
        self.hidden: dict[int, str] = {}
        self.answered_at: dict[int, int] = {}
        self.moderation_ms: list[int] = []
        self.requests = 0
        self.withdrawn = 0
        self.called = 0
        self.skipped = 0
        self.waits: list[int] = []
        self.speakers: set[str] = set()
        self.speaking_ms = 0
        self.bans = 0

    def fold(self, state: RoomState, rec: Record) -> None:
        ev = rec.event
        self.entries += 1
        if self.first_at is None:
            self.first_at = rec.at
        self.last_at = max(self.last_at, rec.at)
        # What `apply` is about to change, read before it does.
        question = None
        qid = getattr(ev, "question_id", None)
        if isinstance(qid, int):
            question = state.questions.get(qid)
        pending_before = question is not None and question.state == "pending"
        request = state.queue.get(ev.participant_id) if isinstance(ev, SpeakerCalled) else None
        floor_before = state.floor

        applied = apply(state, rec)
        if applied.error is not None or applied.duplicate:
            self.ineffective += 1
            return
        self._floor_ended(floor_before, state.floor, rec.at)
        if OP_BY_EVENT[ev.TYPE].by is Role.ATTENDEE and not isinstance(ev, ParticipantJoined):
            self.actions.append((rec.at, rec.actor))
        if isinstance(ev, BallotCast):
            self.votes.append(rec.at)
            self.ballots_cast[ev.poll_id] += 1
        elif isinstance(ev, PollClosed):
            self.poll_closed_at[ev.poll_id] = rec.at
        elif isinstance(ev, QuestionAsked):
            self.asked.append(rec.at)
            if state.questions[rec.seq].state == "approved":
                self.published_at_once.add(rec.seq)
        elif isinstance(ev, ReactionSent):
            self.reactions.append(rec.at)
        elif isinstance(ev, ReactionsCounted):  # a window's reactions, at its start
            self.reactions.extend([ev.window_start] * sum(ev.counts.values()))
        elif isinstance(ev, QuestionApproved | QuestionRejected | QuestionHidden):
            assert question is not None  # the applier found it
            if pending_before:
                self.moderation_ms.append(rec.at - question.at)
            if isinstance(ev, QuestionApproved):
                self.approved.add(ev.question_id)
            elif isinstance(ev, QuestionRejected):
                self.rejected[ev.question_id] = ev.reason
            else:
                self.hidden[ev.question_id] = ev.reason or "unspecified"
        elif isinstance(ev, QuestionAnswered):
            self.answered_at.setdefault(ev.question_id, rec.at)
        elif isinstance(ev, SpeakerRequested):
            self.requests += 1
        elif isinstance(ev, SpeakerWithdrawn):
            self.withdrawn += 1
        elif isinstance(ev, SpeakerCalled):
            self.called += 1
            self.speakers.add(ev.participant_id)
            if request is not None:
                self.waits.append(rec.at - request.at)
        elif isinstance(ev, SpeakerSkipped):
            self.skipped += 1
        elif isinstance(ev, ParticipantBanned):
            self.bans += 1
        if state.closed and self.closed_at is None:
            self.closed_at = rec.at

    def _floor_ended(self, before: Floor | None, after: Floor | None, at: int) -> None:
        if before is not None and (after is None or after.since != before.since):
            self.speaking_ms += at - before.since


def _buckets(times: list[int], start: int, size: int, n: int) -> list[int]:
    out = [0] * n
    for at in times:
        out[min(max((at - start) // size, 0), n - 1)] += 1
    return out


def _polls(state: RoomState, t: _Tracker, end: int, districts: bool) -> list[dict[str, Any]]:
    out = []
    for poll in state.polls.values():
        if poll.deleted:
            continue
        closed = t.poll_closed_at.get(poll.id) if poll.state == "closed" else None
        cutoff = end if closed is None else closed
        eligible = sum(1 for p in state.participants.values() if p.joined_at <= cutoff)
        d = poll.defn
        entry: dict[str, Any] = {
            "poll_id": poll.id,
            "kind": d.kind,
            "question": d.question,
            "options": list(d.options),
            "state": poll.state,
            "voters": poll.tally.voters,
            "ballots_cast": t.ballots_cast[poll.id],
            "eligible": eligible,
            "participation_rate": _rate(poll.tally.voters, eligible),
            "results": poll_results(state, poll),
        }
        if poll.translations:
            entry["translations"] = poll_translations(poll)
        if districts:
            entry["by_district"] = poll_breakdown(state, poll)
        out.append(entry)
    return out


def _questions(state: RoomState, t: _Tracker) -> dict[str, Any]:
    published = [q for q in state.questions.values() if q.was_public]
    top = sorted(published, key=lambda q: (-len(q.upvoters), q.id))[:TOP_QUESTIONS]
    answered_top = sum(1 for q in top if q.id in t.answered_at)
    return {
        "asked": len(t.asked),
        "published_at_once": len(t.published_at_once),
        "approved": len(t.approved),
        "rejected": len(t.rejected),
        "rejected_by_reason": dict(sorted(Counter(t.rejected.values()).items())),
        "hidden": len(t.hidden),
        "hidden_by_reason": dict(sorted(Counter(t.hidden.values()).items())),
        "answered": len(t.answered_at),
        "final_states": dict(sorted(Counter(q.state for q in state.questions.values()).items())),
        "median_moderation_s": _median_s(t.moderation_ms),
        "median_answer_s": _median_s(
            [at - state.questions[qid].at for qid, at in t.answered_at.items()]
        ),
        "top_upvoted": [
            {
                "question_id": q.id,
                "text": q.text,
                "upvotes": len(q.upvoters),
                "state": q.state,
                "answered": q.id in t.answered_at,
                "translations": dict(q.translations),
            }
            for q in top
        ],
        "top_answered_share": _rate(answered_top, len(top)),
    }


def evaluate(
    records: Iterable[Record],
    *,
    window_ms: int = WINDOW_MS,
    bucket_ms: int = BUCKET_MS,
    into: RoomState | None = None,
) -> dict[str, Any]:
    """The report of a room from its whole log (read once, in order). Raises ValueError for a
    broken log. `into`: a new room to fold the log into, for a caller that needs the replayed
    room as well (an export), so that the log is read only once."""
    state = into if into is not None else new_room()
    t = _Tracker()
    for rec in records:
        t.fold(state, rec)
    if t.first_at is None:
        raise ValueError("the log is empty")
    if state.floor is not None:
        t.speaking_ms += t.last_at - state.floor.since
    start, end = state.created_at or t.first_at, t.last_at
    size = bucket_ms
    while (end - start) // size + 1 > MAX_BUCKETS:
        size += bucket_ms
    n = (end - start) // size + 1
    joined = state.participants
    active = {actor for _at, actor in t.actions}
    peak, peak_from = _peak(sorted(t.actions), window_ms)
    districts = bool(state.settings.districts) or any(p.district for p in joined.values())
    by_emoji = Counter[str]()
    for counts in state.reactions.values():
        by_emoji.update(counts)
    return {
        "room": {
            "code": state.code,
            "title": state.title,
            "created_at": start,
            "closed_at": t.closed_at,
            "last_at": end,
            "duration_s": round((end - start) / 1000, 1),
            "districts": list(state.settings.districts),
            "min_cell_size": state.settings.min_cell_size,
            "district_weights": dict(state.settings.district_weights) or None,
            "transcript_public": state.transcript_public,
        },
        "log": {"entries": t.entries, "head_seq": state.seq, "ineffective": t.ineffective},
        "participants": {
            "joined": len(joined),
            "active": len(active & joined.keys()),
            "banned": sum(1 for p in joined.values() if p.barred),
            "erased": sum(1 for p in joined.values() if p.erased),  # their district too
            "peak_active": peak,
            "peak_window_s": window_ms // 1000,
            "peak_window_from": peak_from,
            "by_district": joined_breakdown(state) if districts else None,
        },
        "polls": _polls(state, t, end, districts),
        "timeline": {
            "start": start,
            "bucket_s": size // 1000,
            "votes": _buckets(t.votes, start, size, n),
            "questions": _buckets(t.asked, start, size, n),
            "reactions": _buckets(t.reactions, start, size, n),
        },
        "questions": _questions(state, t),
        "speakers": {
            "requests": t.requests,
            "called": t.called,
            "skipped": t.skipped,
            "withdrawn": t.withdrawn,
            "speakers": len(t.speakers),
            "median_wait_s": _median_s(t.waits),
            "speaking_time_s": round(t.speaking_ms / 1000, 1),
        },
        "reactions": {
            "total": len(t.reactions),
            "by_emoji": {e: by_emoji[e] for e in REACTIONS if by_emoji[e]},
        },
        "moderation": {
            "actions": dict(sorted(Counter(e.action for e in state.audit).items())),
            "bans": t.bans,
        },
        # Every revealed quiz's points added up per player (names or pseudonym tags).
        "quiz": {"leaderboard": quiz.leaderboard(state, size=REPORT_BOARD)},
        "definitions": dict(DEFINITIONS),
    }
