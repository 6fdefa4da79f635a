"""The published record of a closed room: what anyone may download and recount.

    record = published_record(state, entries)   # entries: (public dict, private record | None)

One JSON document (docs/TRANSCRIPT.md, "The published record"): the chain exactly as it was
hashed live, the results, the approved questions and answers (the author only where they
chose to be named), moderation counts by reason (never the rejected text), and `reveals`:
the sealed values the record may show, each with its salt, so anyone can check it against
the commitment in the chain. Nothing in it names a participant: no id, no district, and the
only names are those of people who signed a question they asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rooms import quiz
from rooms.lifecycles import PUBLISHED
from rooms.poll_kinds import KINDS
from rooms.render import poll_results
from rooms.state import RoomState

__all__ = ["FORMAT", "published_record"]

FORMAT = "townhall.published/1"
ERASED = "erased"  # what stands where a person erased their name


def _reveal(private: Mapping[str, Any] | None, field: str) -> dict[str, Any] | None:
    if private is None:
        return None
    fields, salts = private.get("fields") or {}, private.get("salts") or {}
    if field not in fields or field not in salts:
        return None
    return {"value": fields[field], "salt": salts[field]}


def _author(state: RoomState, participant_id: str) -> str | None:
    person = state.participants.get(participant_id)
    if person is None:
        return None
    return ERASED if person.erased else person.name


def _leaderboard(
    state: RoomState, entries: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]]
) -> list[dict[str, Any]]:
    """The room's quiz scores (rooms/quiz.py, from the reducer's state) under each player's
    ballot key as the chain shows it, never their participant id or name: every player, so
    anyone holding a receipt finds their own row, ranked as docs/TRANSCRIPT.md says (ties by
    time, then by key, since the live board's tags derive from ids the record does not hold).
    """
    key_of: dict[str, str] = {}  # participant id -> their quiz ballot key
    scored = {p.id for p in state.polls.values() if KINDS[p.defn.kind].scored}
    for public, private in entries:
        data = public.get("data") or {}
        if public.get("type") == "ballot.cast" and data.get("poll_id") in scored and private:
            key_of[str(private.get("actor", ""))] = str(public["actor"])
    table = quiz.scores(state)
    ranked = sorted(
        ((key_of[pid], s) for pid, s in table.items() if pid in key_of),
        key=lambda ks: (-ks[1].points, ks[1].time_ms, ks[0]),
    )
    board: list[dict[str, Any]] = []
    rank, last = 0, None
    for place, (key, s) in enumerate(ranked, start=1):
        if s.points != last:
            rank, last = place, s.points
        board.append(
            {
                "rank": rank,
                "player": key,
                "points": s.points,
                "right": s.right,
                "answered": s.answered,
                "time_ms": s.time_ms,
            }
        )
    return board


def published_record(
    state: RoomState, entries: Sequence[tuple[Mapping[str, Any], Mapping[str, Any] | None]]
) -> dict[str, Any]:
    private_at = {int(public["seq"]): private for public, private in entries}
    reveals: dict[str, dict[str, Any]] = {}

    def reveal(seq: int, field: str) -> None:
        found = _reveal(private_at.get(seq), field)
        if found is not None:
            reveals.setdefault(str(seq), {})[field] = found

    questions = []
    for q in state.questions.values():
        if q.state not in PUBLISHED:
            continue
        reveal(q.id, "text")  # the text as asked; a moderator's edit is in the chain
        questions.append(
            {
                "question_id": q.id,
                "text": q.text,
                "author": None if q.anonymous else _author(state, q.author),
                "upvotes": len(q.upvoters),
                "downvotes": len(q.downvoters),
                "state": q.state,
                "answer": q.answer,
            }
        )
    polls = []
    for poll in state.polls.values():
        if poll.deleted or not poll.was_public:
            continue
        if KINDS[poll.defn.kind].answers:
            for answer_id in poll.answer_ids:
                if state.answers[answer_id].state == "approved":
                    reveal(answer_id, "choice")
        polls.append(
            {
                "poll_id": poll.id,
                "kind": poll.defn.kind,
                "question": poll.defn.question,
                "options": list(poll.defn.options),
                "state": poll.state,
                "results": poll_results(state, poll),
            }
        )
    moderation: dict[str, dict[str, int]] = {"questions": {}, "answers": {}}
    rejected = [
        *(("questions", q.state, q.reason) for q in state.questions.values()),
        *(("answers", a.state, a.reason) for a in state.answers.values()),
    ]
    for kind, item_state, reason in rejected:
        if item_state == "rejected" and reason is not None:
            counts = moderation[kind]
            counts[reason] = counts.get(reason, 0) + 1
    chain = [dict(public) for public, _ in entries]
    head = chain[-1] if chain else {"seq": 0, "hash": ""}
    return {
        "format": FORMAT,
        "room": state.code,
        "title": state.title,
        "closed": state.closed,
        "head": {"seq": head["seq"], "hash": head["hash"]},
        "polls": polls,
        "questions": questions,
        "moderation": moderation,
        "reveals": reveals,
        "leaderboard": _leaderboard(state, entries),
        "entries": chain,
    }
