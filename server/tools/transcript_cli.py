"""`townhall export | verify | report | replay`: the transcript tools, after the meeting.

    townhall export ROOM [--store URL] [--out DIR]     log (JSONL), CSVs, report.json,
                                                       and the published record once closed
    townhall verify FILE [--receipt SEQ:HASH ...] [--json]   a log, or a published record
    townhall report ROOM|FILE.jsonl [--store URL] [--format json|html] [--lang en] [--out F]
    townhall replay FILE [--seq N]                     the moderator's view, as JSON

report FILE and replay take logs written before the chain was sealed: a sealed log's
private fields live in the store beside it (docs/TRANSCRIPT.md), so use report ROOM.

export and report read the store directly (TOWNHALL_STORE_URL, default the SQLite file of
`townhall serve`); a running server does not have to be stopped (SQLite WAL readers).
Exit codes: 0 fine, 1 verification failed, 2 bad input (no such room, unreadable file).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from moderation.roles import Role
from rooms import snapshot_view
from rooms.evaluation import evaluate
from rooms.records import Record
from rooms.transcript import BadLine, records_from_lines, replay
from server.edge.i18n import cli_gettext as _
from server.store import Store, open_store, sqlite_path
from server.store.files import write_private_file
from server.tools.exports import export_room, load_report
from server.tools.verify import parse_receipt, render_text, verify_lines

__all__ = ["add_commands", "run"]


class Refused(Exception):
    """Bad input: printed as `townhall: ...`, exit status 2."""


def add_commands(commands: Any) -> None:
    store_help = _("store URL (default: $TOWNHALL_STORE_URL or the serve default)")
    export = commands.add_parser(
        "export", help=_("write a room's log, CSVs and report to a folder")
    )
    export.add_argument("room")
    export.add_argument("--store", help=store_help)
    export.add_argument("--out", default=".", help=_("folder to write into (default: here)"))

    verify = commands.add_parser(
        "verify", help=_("check a transcript's hash chain and recount it")
    )
    verify.add_argument("file", help=_("a transcript (JSON Lines), '-' for stdin"))
    verify.add_argument(
        "--receipt",
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help=_("a vote's receipt to look for (repeatable)"),
    )
    verify.add_argument("--json", action="store_true", help=_("print the result as JSON"))

    report = commands.add_parser("report", help=_("the evaluation report of a room"))
    report.add_argument("room", help=_("a room code, or a transcript file (.jsonl)"))
    report.add_argument("--store", help=store_help)
    report.add_argument("--format", choices=("json", "html"), default="json")
    report.add_argument("--lang", default="en", help=_("language of the HTML report"))
    report.add_argument("--out", help=_("file to write (default: stdout)"))

    replay_ = commands.add_parser("replay", help=_("rebuild a room from its log and print it"))
    replay_.add_argument("file", help=_("a transcript (JSON Lines), '-' for stdin"))
    replay_.add_argument("--seq", type=int, help=_("stop after this seq"))


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "export":
            return _export(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "report":
            return _report(args)
        if args.command == "replay":
            return _replay(args)
    except Refused as exc:
        print(f"townhall: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(args.command)


def _store_url(given: str | None) -> str:
    from server.config import default_store_url

    url = given or default_store_url()
    if url.split(":", 1)[0].lower() == "sqlite":
        path = sqlite_path(url)
        if path != ":memory:" and not Path(path).exists():
            raise Refused(
                _("no store at %(path)s (set --store or TOWNHALL_STORE_URL)", path=path)
            )
    return url


async def _open_room(url: str, room: str) -> tuple[Store, int]:
    """The opened store and the room's head, or Refused naming the rooms it holds."""
    store = open_store(url)
    await store.open()
    head = await store.head(room)
    if head == 0:
        known = await store.rooms()
        await store.close()
        rooms = ", ".join(sorted(known)[:20])
        hint = _("; rooms: %(rooms)s", rooms=rooms) if known else ""
        raise Refused(_("no room %(room)r in the store", room=room) + hint)
    return store, head


def _progress(total: int) -> Any:
    """A progress bar on a terminal (stderr), nothing otherwise: a long room takes a while."""
    return tqdm(
        total=total,
        unit=" entries",
        unit_scale=True,
        file=sys.stderr,
        disable=not sys.stderr.isatty(),
        leave=False,
    )


async def _export_room(url: str, room: str, out: Path) -> list[Path]:
    store, head = await _open_room(url, room)
    try:
        with _progress(head) as bar:
            return await export_room(store, room, out, bar.update)
    finally:
        await store.close()


async def _room_report(url: str, room: str) -> dict[str, Any]:
    store, head = await _open_room(url, room)
    try:
        with _progress(head) as bar:
            return await load_report(store, room, bar.update)
    finally:
        await store.close()


def _lines(path: str) -> list[str]:
    if path == "-":
        return sys.stdin.read().splitlines()
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise Refused(_("cannot read %(path)s: %(error)s", path=path, error=exc)) from None


def _records_from_file(path: str) -> list[Record]:
    try:
        records = records_from_lines(_lines(path))
    except BadLine as exc:
        raise Refused(
            _("%(path)s line %(line)s: %(error)s", path=path, line=exc.line, error=exc.error)
        ) from None
    if not records:
        raise Refused(_("%(path)s holds no entries", path=path))
    return records


def _export(args: argparse.Namespace) -> int:
    for path in asyncio.run(_export_room(_store_url(args.store), args.room, Path(args.out))):
        print(path)
    return 0


def _verify(args: argparse.Namespace) -> int:
    try:
        receipts = [parse_receipt(r) for r in args.receipt]
    except ValueError as exc:
        raise Refused(str(exc)) from None
    result = verify_lines(_lines(args.file), receipts)
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(render_text(result))
    return 0 if result.ok else 1


def _report(args: argparse.Namespace) -> int:
    try:
        if args.room.endswith(".jsonl") or args.room == "-":
            report = evaluate(_records_from_file(args.room))
        else:
            report = asyncio.run(_room_report(_store_url(args.store), args.room))
    except Refused:
        raise
    except ValueError as exc:
        raise Refused(_("cannot evaluate this log: %(error)s", error=exc)) from None
    if args.format == "html":
        from server.edge.report_page import render_report_html

        text = render_report_html(report, args.lang)
    else:
        text = json.dumps(report, ensure_ascii=False, indent=2)
    if args.out:
        write_private_file(Path(args.out), text.encode("utf-8"))  # 0600: names, questions
    else:
        print(text)
    return 0


def _replay(args: argparse.Namespace) -> int:
    records = _records_from_file(args.file)
    if args.seq is not None:
        records = [r for r in records if r.seq <= args.seq]
    try:
        state = replay(records)
    except ValueError as exc:
        raise Refused(_("cannot replay this log: %(error)s", error=exc)) from None
    view = snapshot_view(state, Role.ORGANISER, state.organiser)
    print(json.dumps({"seq": state.seq, **view}, ensure_ascii=False, indent=2))
    return 0
