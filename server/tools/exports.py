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
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from rooms import RoomState, new_room
from rooms.evaluation import evaluate
from rooms.poll_kinds import KINDS
from rooms.published import ERASED, published_record
from rooms.records import Record
from rooms.room_ops import LOG_FORMAT
from rooms.state import Poll
from rooms.transcript import records_of
from server.store.base import Committed, Store
from server.store.files import private_dir, write_private_file

__all__ = [
    "ballots_csv",
    "export_room",
    "iso",
    "load_published",
    "load_report",
    "pages_from",
    "poll_csv",
    "published_json",
    "questions_csv",
    "read_entries",
    "stream_records",
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

PAGE = 2000  # entries read from the store at a time: what an export holds of the log


async def read_entries(store: Store, room: str) -> list[Committed]:
    """The whole log in memory: for small rooms and tests. Exports and reports stream."""
    entries: list[Committed] = []
    while True:
        page = await store.read(room, after=entries[-1].seq if entries else 0, limit=5000)
        if not page:
            return entries
        entries.extend(page)


def pages_from(
    store: Store, room: str, loop: asyncio.AbstractEventLoop
) -> Iterator[list[Committed]]:
    """The log page by page, for a worker thread: each read runs on the store's loop."""
    after = 0
    while True:
        read = store.read(room, after=after, limit=PAGE)
        page = asyncio.run_coroutine_threadsafe(read, loop).result()
        if not page:
            return
        yield page
        after = page[-1].seq


def stream_records(
    pages: Iterable[Sequence[Committed]],
    *,
    sink: Callable[[Sequence[Committed]], object] | None = None,
    progress: Callable[[int], object] | None = None,
) -> Iterator[Record]:
    """The records of `pages`, one page in memory at a time; each page goes to `sink` (the
    log file being written) and its size to `progress` as it is read."""
    for page in pages:
        if sink is not None:
            sink(page)
        yield from records_of(page)
        if progress is not None:
            progress(len(page))


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
    # The chain in its public form, then the files made from the room.
    log = _put_private(out / f"{code}.jsonl", b"".join(transcript_lines(entries)))
    files = [log, *_room_files(state, evaluate(records_of(entries)), out, code)]
    if state.closed and state.log_format >= LOG_FORMAT:
        files.append(_put_private(out / f"{code}-published.json", published_json(state, entries)))
    return files


def _put_private(path: Path, content: bytes) -> Path:
    write_private_file(path, content)
    return path


def _private_open(path: Path) -> IO[bytes]:
    """`path` opened for writing as 0600 from the start (see write_private_file)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def _room_files(state: RoomState, report: dict[str, Any], out: Path, code: str) -> list[Path]:
    written: list[Path] = []

    def put(name: str, content: bytes) -> None:
        path = out / name
        write_private_file(path, content)
        written.append(path)

    put(f"{code}-questions.csv", questions_csv(state).encode("utf-8"))
    for poll in state.polls.values():
        if poll.deleted:
            continue
        put(f"{code}-poll-{poll.id}.csv", poll_csv(state, poll.id).encode("utf-8"))
        if not KINDS[poll.defn.kind].answers:
            put(f"{code}-poll-{poll.id}-ballots.csv", ballots_csv(state, poll.id).encode("utf-8"))
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


async def export_room(
    store: Store, room: str, out: Path, progress: Callable[[int], object] | None = None
) -> list[Path]:
    """`write_export` straight from the store, in bounded memory: the log is read once, a
    page at a time, written to the JSONL file and folded into the room and its report as it
    goes (in a worker thread: folding a long log takes a while)."""
    loop = asyncio.get_running_loop()

    def run() -> list[Path]:
        private_dir(out, tighten=False)
        log = out / f"{room}.jsonl"
        state = new_room()
        with _private_open(log) as file:
            records = stream_records(
                pages_from(store, room, loop),
                sink=lambda page: file.writelines(transcript_lines(page)),
                progress=progress,
            )
            report = evaluate(records, into=state)
        code = state.code or room
        files = [log, *_room_files(state, report, out, code)]
        if state.closed and state.log_format >= LOG_FORMAT:
            # The published record needs the whole log with its private records (to
            # open what was approved): read again, held for this one file only.
            entries = [e for page in pages_from(store, room, loop) for e in page]
            published = published_json(state, entries)
            files.append(_put_private(out / f"{code}-published.json", published))
        return files

    return await asyncio.to_thread(run)


async def load_report(
    store: Store, room: str, progress: Callable[[int], object] | None = None
) -> dict[str, Any]:
    """The evaluation report of a room, from its log in the store, read once a page at a
    time (never the whole log in memory) and folded off the event loop."""
    loop = asyncio.get_running_loop()
    records = stream_records(pages_from(store, room, loop), progress=progress)
    return await asyncio.to_thread(lambda: evaluate(records))
