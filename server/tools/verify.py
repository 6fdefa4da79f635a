"""Check an exported transcript: the hash chain, then a recount with the pure reducer.

    result = verify_lines(open("ROOM.jsonl"), receipts=[(12, "ab12...")])
    result.ok, result.first_bad_seq, result.problems, result.polls, result.receipts

Every line is `{room, seq, at, actor, op_id, type, data, prev, hash}`. The first entry links
to GENESIS, each next one to the hash before it, seq runs 1, 2, 3, ... in one room, and each
`hash` is `rooms.chain.entry_hash` of the line. Anything after the first broken line is
untrusted, so checking stops there and names that seq. An intact chain is then folded through
`rooms.apply` (the reducer the server runs) to recount every poll. A receipt (`seq`, `hash`
from a vote's ack) is found when the entry at that seq has that hash: it shows the vote is in
this very log. What a chain cannot show alone is a log cut short at the end: a receipt from
the last minutes, or the head hash published by the organiser, covers that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from rooms import RoomState, apply, new_room
from rooms.chain import GENESIS, entry_hash
from rooms.quiz import leaderboard
from rooms.render import poll_results
from rooms.transcript import record_from_dict

__all__ = ["Verification", "parse_receipt", "render_text", "verify_lines"]

_KEYS = ("room", "seq", "at", "actor", "op_id", "type", "data", "prev", "hash")


@dataclass
class Verification:
    ok: bool = True
    room: str = ""
    entries: int = 0
    head_hash: str = GENESIS
    first_bad_seq: int | None = None
    problems: list[str] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)
    state: RoomState | None = None

    def fail(self, seq: int | None, message: str) -> None:
        self.ok = False
        if seq is not None and self.first_bad_seq is None:
            self.first_bad_seq = seq
        self.problems.append(message if seq is None else f"seq {seq}: {message}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "room": self.room,
            "entries": self.entries,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problems": list(self.problems),
            "receipts": list(self.receipts),
            "polls": list(self.polls),
        }


def parse_receipt(text: str) -> tuple[int, str]:
    """`SEQ:HASH` (as `townhall verify --receipt` takes it) -> (seq, hash)."""
    seq, sep, digest = text.strip().partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise ValueError(f"a receipt is SEQ:HASH (64 hex digits), not {text!r}")
    try:
        int(digest, 16)
    except ValueError:
        raise ValueError(f"a receipt is SEQ:HASH (64 hex digits), not {text!r}") from None
    return int(seq), digest.lower()


def _line_problem(d: Any) -> str | None:
    if not isinstance(d, dict):
        return "not a JSON object"
    missing = [k for k in _KEYS if k not in d]
    if missing:
        return "missing " + ", ".join(missing)
    if not all(isinstance(d[k], str) for k in ("room", "actor", "op_id", "type", "prev", "hash")):
        return "room, actor, op_id, type, prev and hash must be strings"
    if not all(isinstance(d[k], int) and not isinstance(d[k], bool) for k in ("seq", "at")):
        return "seq and at must be integers"
    if not isinstance(d["data"], dict):
        return "data must be an object"
    return None


def verify_lines(
    lines: Iterable[str | bytes], receipts: Sequence[tuple[int, str]] = ()
) -> Verification:
    out = Verification()
    hashes: dict[int, str] = {}
    state = new_room()
    prev = GENESIS
    chain_ok = True
    for number, raw in enumerate(lines, 1):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        expected_seq = out.entries + 1
        try:
            d = json.loads(text)
        except ValueError:
            out.fail(expected_seq, f"line {number} is not JSON")
            chain_ok = False
            break
        problem = _line_problem(d)
        if problem is not None:
            out.fail(expected_seq, f"line {number}: {problem}")
            chain_ok = False
            break
        seq = d["seq"]
        if not out.room:
            out.room = d["room"]
        if d["room"] != out.room:
            out.fail(seq, f"belongs to room {d['room']!r}, not {out.room!r}")
        elif seq != expected_seq:
            out.fail(expected_seq, f"missing: line {number} has seq {seq}")
        elif d["prev"] != prev:
            out.fail(seq, "prev does not match the hash of the entry before it")
        else:
            try:
                computed = entry_hash(
                    prev,
                    room=d["room"],
                    seq=seq,
                    at=d["at"],
                    actor=d["actor"],
                    op_id=d["op_id"],
                    type=d["type"],
                    data=d["data"],
                )
            except ValueError as exc:  # e.g. NaN in data
                out.fail(seq, f"cannot hash: {exc}")
            else:
                if computed != d["hash"]:
                    out.fail(seq, "hash mismatch: the entry was changed after it was written")
        if not out.ok:
            chain_ok = False
            break
        try:  # a record the reducer refused (a lost race) is fine; an unreadable one is not
            apply(state, record_from_dict(d))
        except ValueError as exc:
            out.fail(seq, f"cannot be replayed: {exc}")
            chain_ok = False
            break
        prev = d["hash"]
        hashes[seq] = prev
        out.entries = seq
    out.head_hash = prev
    if out.entries == 0 and out.ok:
        out.fail(None, "the transcript is empty")
    for seq, digest in receipts:
        found = hashes.get(seq) == digest
        out.receipts.append({"seq": seq, "hash": digest, "found": found})
        if not found:
            where = "beyond the end of the log" if seq > out.entries else "not in the log"
            out.fail(None, f"receipt {seq}:{digest[:12]}... {where}")
    if chain_ok:
        out.state = state
        out.polls = [
            {
                "poll_id": p.id,
                "kind": p.defn.kind,
                "question": p.defn.question,
                "options": list(p.defn.options),
                "state": p.state,
                "results": poll_results(state, p),
            }
            for p in state.polls.values()
            if not p.deleted
        ]
    return out


def render_text(result: Verification) -> str:
    """What `townhall verify` prints."""
    lines = []
    if result.state is not None:
        lines.append(f"room {result.room}: {result.entries} entries, head {result.head_hash}")
        for poll in result.polls:
            lines.append(
                f"poll {poll['poll_id']} ({poll['kind']}, {poll['state']}): {poll['question']}"
            )
            lines.append("  " + json.dumps(poll["results"], ensure_ascii=False, sort_keys=True))
        board = leaderboard(result.state)
        if board:  # the revealed quizzes' points, recounted like the rest
            shown = ", ".join(
                f"{row['rank']}. {row['name'] or row['tag']} {row['points']}" for row in board
            )
            lines.append(f"quiz leaderboard: {shown}")
    for receipt in result.receipts:
        mark = "found" if receipt["found"] else "MISSING"
        lines.append(f"receipt {receipt['seq']}:{receipt['hash']} {mark}")
    for problem in result.problems:
        lines.append(f"FAIL {problem}")
    if result.ok:
        lines.append("OK: every hash and link checks out")
    elif result.first_bad_seq is not None:
        lines.append(f"FAILED at seq {result.first_bad_seq}")
    else:
        lines.append("FAILED")
    return "\n".join(lines)
