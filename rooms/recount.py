"""Every poll recounted from the public chain alone, by the rules of docs/TRANSCRIPT.md.

    tallies = recount(entries)      # entries: the published record's `entries`, in seq order

Written apart from the reducer on purpose: it reads only what the published file holds (no
participant, no private record) and follows the written rules, as static/js/verify.js does
in the browser. `townhall verify` compares its result with the results the record publishes.

A ballot counts when its poll is open at its place in the log and before the poll's
deadline; a later ballot under the same key replaces it, unless changes are not allowed on
that poll (then the later one does not count). Kinds whose ballots are moderated texts
(open answers, word clouds) are recounted as voters only: what they show waits for review.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FULL", "Recount", "recount"]

# Kinds whose whole results a recount reproduces; the others, their voters.
FULL = frozenset({"single", "multiple", "rating", "ranking", "budget"})


@dataclass(slots=True)
class _Poll:
    defn: dict[str, Any]
    state: str = "draft"
    closes_at: int | None = None
    deleted: bool = False
    ballots: dict[str, Any] = field(default_factory=dict)  # ballot key -> choice


def _tally(defn: Mapping[str, Any], ballots: Iterable[Any]) -> dict[str, Any]:
    kind, options = defn["kind"], defn.get("options") or []
    chosen = list(ballots)
    out: dict[str, Any] = {"voters": len(chosen)}
    if kind in ("single", "multiple"):
        counts = [0] * len(options)
        for choice in chosen:
            for i in [choice] if kind == "single" else choice:
                counts[i] += 1
        out["counts"] = counts
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


def recount(entries: Iterable[Mapping[str, Any]]) -> Recount:
    vote_changes = True
    seq_of: dict[tuple[int, str], int] = {}  # (poll, key) -> seq of the ballot that stands
    cast: set[int] = set()
    polls: dict[int, _Poll] = {}
    for e in entries:
        type_, data, at = e["type"], e.get("data") or {}, e["at"]
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
        elif type_ == "poll.closed" and poll.state == "open":
            poll.state = "closed"
        elif type_ == "poll.deleted":
            poll.deleted = True
        elif type_ == "poll.restored":  # an undone delete: its ballots never left
            poll.deleted = False
        elif type_ == "ballot.cast" and poll.state == "open":
            if poll.closes_at is not None and at >= poll.closes_at:
                continue
            allowed = poll.defn.get("allow_changes")
            changes = vote_changes if allowed is None else allowed
            if e["actor"] in poll.ballots and not changes:
                continue
            poll.ballots[e["actor"]] = data.get("choice")
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
    return Recount(results, counted, frozenset(cast))
