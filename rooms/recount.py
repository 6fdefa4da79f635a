"""Every poll recounted from the public chain alone, by the rules of docs/TRANSCRIPT.md.

    tallies = recount(entries)      # entries: the published record's `entries`, in seq order

Written apart from the reducer on purpose: it reads only what the published file holds (no
participant, no private record) and follows the written rules, as static/js/verify.js does
in the browser. `townhall verify` compares its result with the results the record publishes.

An entry that repeats an earlier one's actor and op id is a resend (two processes took
the same op): it changes nothing, as in the reducer. A ballot counts when its poll is open
at its place in the log and before the poll's deadline; a later ballot under the same key
replaces it, unless changes are not allowed on that poll (then the later one does not
count). Kinds whose ballots are moderated texts (open answers, word clouds) are recounted
as voters only: what they show waits for review, so `answer.approved`, `answer.rejected` and
its undo `answer.restored` (entries that name an answer, not a poll) change no count.

A quiz is recounted in full, and so is its leaderboard: the chain holds each quiz's right
options and window (in `poll.created`), when it first opened and when each ballot was cast
(every entry's `at`), and a quiz's ballots stand under one key per player for the whole
room, so every player's points add up under that key (`players`, ranked as the record's
`leaderboard`). Scores count once a quiz is revealed, and a ballot after its reveal counts
for nothing, as rooms/quiz.py says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FULL", "SCORED", "Recount", "leaderboard", "recount"]

# Kinds whose whole results a recount reproduces; the others, their voters.
FULL = frozenset({"single", "multiple", "rating", "ranking", "budget", "quiz"})
# Kinds whose ballots earn points (docs/TRANSCRIPT.md, "Recounting a quiz").
SCORED = frozenset({"quiz"})
MAX_POINTS, MIN_POINTS = 1000, 500


@dataclass(slots=True)
class _Poll:
    defn: dict[str, Any]
    state: str = "draft"
    closes_at: int | None = None
    deleted: bool = False
    ballots: dict[str, Any] = field(default_factory=dict)  # ballot key -> choice
    # Quizzes only: shown to all, first opening, window, and when each standing ballot came.
    revealed: bool = False
    opened_at: int | None = None
    window_ms: int = 0
    cast_at: dict[str, int] = field(default_factory=dict)


def _tally(defn: Mapping[str, Any], ballots: Iterable[Any]) -> dict[str, Any]:
    kind, options = defn["kind"], defn.get("options") or []
    chosen = list(ballots)
    out: dict[str, Any] = {"voters": len(chosen)}
    if kind in ("single", "multiple", "quiz"):
        counts = [0] * len(options)
        for choice in chosen:
            for i in [choice] if kind != "multiple" else choice:
                counts[i] += 1
        out["counts"] = counts
        if kind == "quiz":
            right = sorted(defn.get("correct") or [])
            out["correct"] = right
            out["right"] = sum(counts[i] for i in right)
    elif kind == "rating":
        counts = [0] * int(defn.get("scale") or 0)
        for value in chosen:
            counts[value - 1] += 1
        out["counts"] = counts
        out["average"] = round(sum(chosen) / len(chosen), 2) if chosen else None
    elif kind in ("ranking", "budget"):
        points = [0] * len(options)
        last = len(options) - 1
        for choice in chosen:
            for pos, value in enumerate(choice):
                if kind == "ranking":
                    points[value] += last - pos  # Borda: n-1 for the first ... 0 for the last
                else:
                    points[pos] += value
        out["points"] = points
    return out


@dataclass(frozen=True, slots=True)
class Recount:
    # poll id -> {"voters", and for FULL kinds what the kind counts}: every poll ever opened
    # and not deleted.
    results: dict[int, dict[str, Any]]
    counted: frozenset[int]  # seqs of the ballots that stand at the end
    cast: frozenset[int]  # seqs of every ballot that counted when cast (since replaced or not)
    # Quiz player key -> {points, right, answered, time_ms} over the revealed quizzes.
    players: dict[str, dict[str, int]] = field(default_factory=dict)


def _score(polls: Iterable[_Poll]) -> dict[str, dict[str, int]]:
    """Points for being right and quick: MAX_POINTS the instant the quiz first opened,
    falling linearly (integer division) to MIN_POINTS at the end of its window and staying
    there; 0 when wrong. `time_ms` adds up every answer's delay, right or wrong."""
    out: dict[str, dict[str, int]] = {}
    span = MAX_POINTS - MIN_POINTS
    for p in polls:
        right = list(p.defn.get("correct") or [])  # a list: a forged choice need not hash
        window = max(p.window_ms, 1)
        for key, choice in p.ballots.items():
            s = out.setdefault(key, {"points": 0, "right": 0, "answered": 0, "time_ms": 0})
            s["answered"] += 1
            if p.opened_at is None:
                continue
            elapsed = max(p.cast_at.get(key, p.opened_at) - p.opened_at, 0)
            s["time_ms"] += elapsed
            if choice in right:
                s["points"] += MIN_POINTS + span * (window - min(elapsed, window)) // window
                s["right"] += 1
    return out


def leaderboard(players: Mapping[str, Mapping[str, int]]) -> list[dict[str, Any]]:
    """Every player, best first: more points, then less time, then the key (code point
    order); equal points share a rank (1, 2, 2, 4)."""
    ranked = sorted(players.items(), key=lambda kv: (-kv[1]["points"], kv[1]["time_ms"], kv[0]))
    out: list[dict[str, Any]] = []
    rank, last = 0, None
    for place, (key, s) in enumerate(ranked, start=1):
        if s["points"] != last:
            rank, last = place, s["points"]
        out.append({"rank": rank, "player": key, **{k: s[k] for k in _SCORE_KEYS}})
    return out


_SCORE_KEYS = ("points", "right", "answered", "time_ms")


def recount(entries: Iterable[Mapping[str, Any]]) -> Recount:
    vote_changes = True
    seq_of: dict[tuple[int, str], int] = {}  # (poll, key) -> seq of the ballot that stands
    cast: set[int] = set()
    polls: dict[int, _Poll] = {}
    seen: set[tuple[str, str]] = set()  # (actor, op_id) of every entry with an op_id
    for e in entries:
        type_, data, at = e["type"], e.get("data") or {}, e["at"]
        op_id = e.get("op_id") or ""
        if op_id:
            if (e["actor"], op_id) in seen:
                continue  # a resend of an op already in the log: answered by the first copy
            seen.add((e["actor"], op_id))
        settings = data.get("settings") or {}
        if type_ in ("room.created", "room.updated") and "vote_changes" in settings:
            vote_changes = bool(settings["vote_changes"])
        if type_ == "poll.created":
            polls[e["seq"]] = _Poll(defn=dict(data))
            continue
        poll = polls.get(data.get("poll_id"))  # type: ignore[arg-type]
        if poll is None:
            continue
        if type_ == "poll.edited" and poll.state == "draft":
            poll.defn = {k: v for k, v in data.items() if k != "poll_id"}
        elif type_ == "poll.opened" and poll.state != "open":
            deadline = data.get("closes_at")
            if deadline is None:
                deadline = poll.defn.get("closes_at")
            poll.closes_at = deadline if deadline is not None and deadline > at else None
            poll.state = "open"
            if poll.defn["kind"] in SCORED and poll.opened_at is None:
                # Points fall from the first opening; the window is fixed then.
                poll.opened_at = at
                if poll.closes_at is not None:
                    poll.window_ms = poll.closes_at - at
                else:
                    poll.window_ms = max(int(poll.defn.get("window_s") or 0), 1) * 1000
        elif type_ == "poll.closed" and poll.state == "open":
            poll.state = "closed"
        elif type_ == "poll.deleted":
            poll.deleted = True
        elif type_ in ("poll.revealed", "poll.hidden"):
            poll.revealed = type_ == "poll.revealed"
        elif type_ == "poll.restored":  # an undone delete: its ballots never left
            poll.deleted = False
        elif type_ == "ballot.cast" and poll.state == "open":
            if poll.closes_at is not None and at >= poll.closes_at:
                continue
            scored = poll.defn["kind"] in SCORED
            if scored and poll.revealed:
                continue  # its answers are out: too late
            allowed = poll.defn.get("allow_changes")
            changes = vote_changes if allowed is None else allowed
            if e["actor"] in poll.ballots and not changes:
                continue
            poll.ballots[e["actor"]] = data.get("choice")
            if scored:
                poll.cast_at[e["actor"]] = at  # a changed answer counts from its change
            seq_of[data["poll_id"], e["actor"]] = e["seq"]
            cast.add(e["seq"])
    results = {
        pid: (
            _tally(p.defn, p.ballots.values())
            if p.defn["kind"] in FULL
            else {"voters": len(p.ballots)}
        )
        for pid, p in polls.items()
        if not p.deleted and p.state != "draft"
    }
    counted = frozenset(s for (pid, _), s in seq_of.items() if pid in results)
    quizzes = [
        p for p in polls.values() if p.defn["kind"] in SCORED and p.revealed and not p.deleted
    ]
    return Recount(results, counted, frozenset(cast), _score(quizzes))
