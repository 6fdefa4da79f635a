"""Exports of a room for organisers and evaluators: CSV files, the report, the JSONL log.

Served over HTTP by server/edge/export_routes.py (moderator or organiser token):

    GET /api/rooms/{code}/export/questions.csv
    GET /api/rooms/{code}/export/polls/{poll_id}.csv          results
    GET /api/rooms/{code}/export/polls/{poll_id}-ballots.csv  ballots, without identities
    GET /api/rooms/{code}/report                               the evaluation report (JSON)

and `townhall export ROOM`, which reads the store directly and writes the same files.

Cells that a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a
leading apostrophe: exports are opened in spreadsheets and the text is the public's.
Ballots carry no participant id and are sorted by their choice, so neither who voted nor
in which order can be read from them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rooms import RoomState
from rooms.evaluation import evaluate
from rooms.poll_kinds import KINDS
from rooms.published import ERASED, published_record
from rooms.room_ops import LOG_FORMAT
from rooms.state import Poll
from rooms.transcript import records_of
from server.store.base import Committed, Store
from server.store.files import private_dir, write_private_file

__all__ = [
    "ballots_csv",
    "iso",
    "load_published",
    "load_report",
    "poll_csv",
    "published_json",
    "questions_csv",
    "read_entries",
    "transcript_lines",
    "write_export",
]

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def iso(ms: int | None) -> str:
    """ms since the epoch as ISO 8601 UTC (seconds), or "" for None."""
    if ms is None:
        return ""
    return (
        datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([v if isinstance(v, int | float) else _cell(v) for v in row])
    return buffer.getvalue()


# -- reading a log ---------------------------------------------------------------------------


async def read_entries(store: Store, room: str) -> list[Committed]:
    entries: list[Committed] = []
    while True:
        page = await store.read(room, after=entries[-1].seq if entries else 0, limit=5000)
        if not page:
            return entries
        entries.extend(page)


def transcript_lines(entries: Iterable[Committed]) -> Iterator[bytes]:
    for entry in entries:
        yield json.dumps(entry.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
        yield b"\n"


# -- CSV -------------------------------------------------------------------------------------


def questions_csv(state: RoomState) -> str:
    """Every question in any state, in asking order; the author only when not anonymous."""
    rows = []
    for q in state.questions.values():
        author = ""
        if not q.anonymous:
            person = state.participants.get(q.author)
            if person is not None and person.erased:
                author = ERASED
            else:
                author = (person.name if person is not None else None) or q.author
        rows.append(
            [
                q.id,
                iso(q.at),
                q.state,
                q.text,
                q.original_text or "",
                len(q.upvoters),
                len(q.downvoters),
                iso(q.answered_at),
                q.answer or "",
                "; ".join(q.labels),
                q.reason or "",
                "; ".join(q.flags),
                author,
                # interpreters' translations beside the original: {"es": "..."} as JSON
                json.dumps(q.translations, ensure_ascii=False, sort_keys=True)
                if q.translations
                else "",
            ]
        )
    header = [
        "question_id",
        "asked_at",
        "state",
        "text",
        "original_text",
        "upvotes",
        "downvotes",
        "answered_at",
        "answer",
        "labels",
        "reason",
        "flags",
        "author",
        "translations",
    ]
    return _csv(header, rows)


def _poll(state: RoomState, poll_id: int) -> Poll:
    poll = state.polls.get(poll_id)
    if poll is None or poll.deleted:
        raise KeyError(poll_id)
    return poll


def poll_csv(state: RoomState, poll_id: int) -> str:
    """A poll's results as a table; its columns are its kind's (rooms.poll_kinds.KINDS)."""
    poll = _poll(state, poll_id)
    kind = KINDS[poll.defn.kind]
    return _csv(kind.columns, kind.rows(state, poll, iso))


def ballots_csv(state: RoomState, poll_id: int) -> str:
    """One row per counted ballot, without who cast it, sorted by the choice itself.

    Not for kinds whose ballots are free-text answers (open): a text can name its author (the
    moderated answers are in the results export instead). Raises KeyError for an unknown
    poll, ValueError for such a kind.
    """
    poll = _poll(state, poll_id)
    kind = KINDS[poll.defn.kind]
    if kind.answers:
        raise ValueError("open-text answers are exported with the results, not as ballots")
    canonical = sorted(
        json.dumps(list(c) if isinstance(c, tuple) else c, ensure_ascii=False)
        for c in poll.ballots.values()
    )
    rows = []
    for raw in canonical:
        value = json.loads(raw)
        choice = tuple(value) if isinstance(value, list) else value
        rows.append([kind.label(poll.defn, choice), raw])
    return _csv(["ballot", "choice"], rows)


def write_export(state: RoomState, entries: Sequence[Committed], out: Path) -> list[Path]:
    """What `townhall export` writes: the log, questions, each poll's results and ballots,
    and the evaluation report as JSON. The files are 0600, folders it creates 0700 (an
    existing folder, such as the one you run it in, is left as it is)."""
    private_dir(out, tighten=False)
    code = state.code or (entries[0].room if entries else "room")
    written: list[Path] = []

    def put(name: str, content: bytes) -> None:
        path = out / name
        write_private_file(path, content)
        written.append(path)

    put(f"{code}.jsonl", b"".join(transcript_lines(entries)))  # the chain: its public form
    if state.closed and state.log_format >= LOG_FORMAT:
        put(f"{code}-published.json", published_json(state, entries))
    put(f"{code}-questions.csv", questions_csv(state).encode("utf-8"))
    for poll in state.polls.values():
        if poll.deleted:
            continue
        put(f"{code}-poll-{poll.id}.csv", poll_csv(state, poll.id).encode("utf-8"))
        if not KINDS[poll.defn.kind].answers:
            put(f"{code}-poll-{poll.id}-ballots.csv", ballots_csv(state, poll.id).encode("utf-8"))
    report = evaluate(records_of(entries))
    put(f"{code}-report.json", json.dumps(report, ensure_ascii=False, indent=2).encode("utf-8"))
    return written


def published_json(state: RoomState, entries: Sequence[Committed]) -> bytes:
    """The published record (rooms/published.py) as the file anyone downloads."""
    record = published_record(state, [(e.to_dict(), e.private) for e in entries])
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


async def load_published(store: Store, state: RoomState) -> bytes:
    """The published record of a hosted room, its whole log read from the store."""
    entries = await read_entries(store, state.code)
    # The live state may be ahead of what was read: the record is the log's, up to its head.
    return await asyncio.to_thread(lambda: published_json(state, entries))


async def load_report(store: Store, room: str) -> dict[str, Any]:
    """The evaluation report of a room, from its whole log in the store."""
    entries = await read_entries(store, room)
    # Folding a long log takes a while: off the event loop (evaluate is pure).
    return await asyncio.to_thread(lambda: evaluate(records_of(entries)))
