"""Check a transcript: the hash chain, the reveals, then a recount by the published rules.

    result = verify_lines(open("ROOM.json"), receipts=[(12, "ab12...")])
    result.ok, result.first_bad_seq, result.problems, result.polls, result.receipts

The file is a published record (one JSON document, `rooms/published.py`) or a log in JSON
Lines, one entry `{room, seq, at, actor, op_id, type, data, prev, hash}` a line. The first
entry links to GENESIS, each next one to the hash before it, seq runs 1, 2, 3, ... in one
room, and each `hash` is `rooms.chain.entry_hash` of the entry. Anything after the first
broken entry is untrusted, so checking stops there and names that seq. An intact chain is
then recounted from its public entries alone (`rooms/recount.py`, the rules of
docs/TRANSCRIPT.md); for a published record the recount must equal every poll's published
results and every reveal must open its commitment. A receipt (`seq` and the hash, or its
first 16 hex digits, from a vote's ack) is found when the entry at that seq has that hash:
the vote is in this very log, and the recount says whether it stands. What a chain cannot
show alone is a log cut short at the end: a receipt from the last minutes, or the head hash
published by the organiser, covers that.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rooms.chain import GENESIS, entry_hash
from rooms.privacy import commitment
from rooms.published import FORMAT
from rooms.recount import FULL, Recount, leaderboard, recount

__all__ = ["Verification", "parse_receipt", "render_text", "verify_lines"]

_KEYS = ("room", "seq", "at", "actor", "op_id", "type", "data", "prev", "hash")
SHORT = 16  # hex digits of a short receipt


@dataclass
class Verification:
    ok: bool = True
    room: str = ""
    entries: int = 0
    head_hash: str = GENESIS
    first_bad_seq: int | None = None
    published: bool = False
    problems: list[str] = field(default_factory=list)
    receipts: list[dict[str, Any]] = field(default_factory=list)
    polls: list[dict[str, Any]] = field(default_factory=list)
    recount: Recount | None = None

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
            "published": self.published,
            "problems": list(self.problems),
            "receipts": list(self.receipts),
            "polls": list(self.polls),
            "leaderboard": leaderboard(self.recount.players) if self.recount else [],
        }


def parse_receipt(text: str) -> tuple[int, str]:
    """`SEQ:HASH` (the hash, or its first 16 hex digits) -> (seq, hash in lower case)."""
    seq, sep, digest = text.strip().partition(":")
    bad = ValueError(f"a receipt is SEQ:HASH (16 or 64 hex digits), not {text!r}")
    if not sep or not seq.isascii() or not seq.isdigit() or len(digest) not in (SHORT, 64):
        raise bad
    if not all(c in "0123456789abcdefABCDEF" for c in digest):
        raise bad
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


def _documents(lines: Iterable[str | bytes]) -> tuple[list[str], dict[str, Any] | None]:
    """The input's lines, and the published record when the input is one JSON document."""
    texts = [raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw for raw in lines]
    whole = "".join(t if t.endswith("\n") else t + "\n" for t in texts)
    if whole.lstrip().startswith("{") and '"format"' in whole[:4096]:
        try:
            doc = json.loads(whole)
        except ValueError:
            doc = None
        if isinstance(doc, dict) and doc.get("format") == FORMAT:
            return [], doc
    return texts, None


def _entries(texts: list[str], doc: dict[str, Any] | None, out: Verification) -> Iterable[Any]:
    if doc is not None:
        entries = doc.get("entries")
        if not isinstance(entries, list):
            out.fail(1, "the record holds no entries list")
            return
        yield from ((n, e) for n, e in enumerate(entries, 1))
        return
    for number, text in enumerate(texts, 1):
        if not text.strip():
            continue
        try:
            yield number, json.loads(text)
        except ValueError:
            yield number, ValueError(f"line {number} is not JSON")


def verify_lines(
    lines: Iterable[str | bytes], receipts: Sequence[tuple[int, str]] = ()
) -> Verification:
    out = Verification()
    texts, doc = _documents(lines)
    out.published = doc is not None
    hashes: dict[int, str] = {}
    chain: list[dict[str, Any]] = []
    prev = GENESIS
    where = "entry" if doc is not None else "line"
    for number, d in _entries(texts, doc, out):
        expected_seq = out.entries + 1
        if isinstance(d, ValueError):
            out.fail(expected_seq, str(d))
            break
        problem = _line_problem(d)
        if problem is not None:
            out.fail(expected_seq, f"{where} {number}: {problem}")
            break
        seq = d["seq"]
        if not out.room:
            out.room = d["room"]
        if d["room"] != out.room:
            out.fail(seq, f"belongs to room {d['room']!r}, not {out.room!r}")
        elif seq != expected_seq:
            out.fail(expected_seq, f"missing: {where} {number} has seq {seq}")
        elif d["prev"] != prev:
            out.fail(seq, "prev does not match the hash of the entry before it")
        else:
            try:
                computed = entry_hash(
                    prev,
                    **{k: d[k] for k in ("room", "seq", "at", "actor", "op_id", "type")},
                    data=d["data"],
                )
            except ValueError as exc:  # e.g. NaN in data
                out.fail(seq, f"cannot hash: {exc}")
            else:
                if computed != d["hash"]:
                    out.fail(seq, "hash mismatch: the entry was changed after it was written")
        if not out.ok:
            break
        prev = d["hash"]
        hashes[seq] = prev
        chain.append(d)
        out.entries = seq
    out.head_hash = prev
    if out.entries == 0 and out.ok:
        out.fail(None, "the transcript is empty")
    chain_ok = out.ok
    if chain_ok:
        out.recount = recount(chain)
        out.polls = [
            {"poll_id": pid, "kind": _kind(chain, pid), "results": results}
            for pid, results in out.recount.results.items()
        ]
        if doc is not None:
            _check_published(doc, chain, out.recount, out)
    for seq, digest in receipts:
        found = hashes.get(seq, "").startswith(digest) and len(digest) >= SHORT
        out.receipts.append(
            {"seq": seq, "hash": digest, "found": found, "ballot": _ballot(out, chain, seq)}
        )
        if not found:
            where_ = "beyond the end of the log" if seq > out.entries else "not in the log"
            out.fail(None, f"receipt {seq}:{digest[:12]}... {where_}")
    return out


def _kind(chain: list[dict[str, Any]], poll_id: int) -> str:
    return str(chain[poll_id - 1]["data"].get("kind", ""))


def _ballot(out: Verification, chain: list[dict[str, Any]], seq: int) -> str | None:
    """What the recount says of the ballot at `seq`: "counted" (it stands), "replaced" (a
    later ballot under the same key stands), "not counted", or None for another entry."""
    if out.recount is None or not 1 <= seq <= len(chain) or chain[seq - 1]["type"] != "ballot.cast":
        return None
    if seq in out.recount.counted:
        return "counted"
    return "replaced" if seq in out.recount.cast else "not counted"


def _check_published(
    doc: Mapping[str, Any], chain: list[dict[str, Any]], tally: Recount, out: Verification
) -> None:
    head = doc.get("head") or {}
    if head.get("seq") != out.entries or head.get("hash") != out.head_hash:
        out.fail(None, "the record's head is not its last entry")
    for key, fields in (doc.get("reveals") or {}).items():
        seq = int(key) if str(key).isdigit() else 0
        sealed = chain[seq - 1]["data"].get("sealed", {}) if 1 <= seq <= len(chain) else {}
        for name, shown in (fields or {}).items():
            if not isinstance(shown, Mapping) or sealed.get(name) != commitment(
                str(shown.get("salt", "")), shown.get("value")
            ):
                out.fail(None, f"reveal {key}.{name} does not open its commitment")
    published = {p.get("poll_id"): p for p in doc.get("polls") or [] if isinstance(p, Mapping)}
    if set(published) != set(tally.results):
        out.fail(None, "the record's polls are not the polls its log opened")
    for pid, ours in tally.results.items():
        theirs = (published.get(pid) or {}).get("results") or {}
        shown = (
            theirs
            if published.get(pid, {}).get("kind") in FULL
            else {"voters": theirs.get("voters")}
        )
        if {k: shown.get(k) for k in ours} != ours:
            out.fail(None, f"poll {pid}: the recount {ours} is not the published {shown}")
    # Records published before the leaderboard was part of them hold none: nothing to compare.
    if "leaderboard" in doc and doc["leaderboard"] != leaderboard(tally.players):
        out.fail(None, "the quiz leaderboard is not the recount's")


def render_text(result: Verification) -> str:
    """What `townhall verify` prints."""
    lines = []
    if result.recount is not None:
        lines.append(f"room {result.room}: {result.entries} entries, head {result.head_hash}")
        for poll in result.polls:
            lines.append(f"poll {poll['poll_id']} ({poll['kind']}) recounted:")
            lines.append("  " + json.dumps(poll["results"], ensure_ascii=False, sort_keys=True))
        for row in leaderboard(result.recount.players):
            lines.append(
                f"quiz #{row['rank']} {row['player']}: {row['points']} points,"
                f" {row['right']}/{row['answered']} right, {row['time_ms']} ms"
            )
    for receipt in result.receipts:
        mark = "found" if receipt["found"] else "MISSING"
        ballot = f", ballot {receipt['ballot']}" if receipt["ballot"] else ""
        lines.append(f"receipt {receipt['seq']}:{receipt['hash']} {mark}{ballot}")
    for problem in result.problems:
        lines.append(f"FAIL {problem}")
    if result.ok:
        checked = "and the recount matches the published results" if result.published else ""
        lines.append(f"OK: every hash and link checks out {checked}".rstrip())
    elif result.first_bad_seq is not None:
        lines.append(f"FAILED at seq {result.first_bad_seq}")
    else:
        lines.append("FAILED")
    return "\n".join(lines)
