"""`/r/{code}/check`: a resident checks their receipt against the published record.

    GET /r/{code}/check                    the form, and the recount in the browser
    GET /r/{code}/check?receipt=SEQ:HEX    ... and what the record says of that receipt

The server's answer comes from the published record (the chain at that seq, then the recount
by docs/TRANSCRIPT.md); works without JavaScript. static/js/verify.js, on the same page,
downloads that record and recomputes every hash and every poll itself, trusting nothing the
server says. Rate-limited per address like the record's download; no token needed.

A meeting with revealed quizzes also shows their leaderboard as recounted from the record: the
first BOARD_ROWS players by rank under their pseudonymous ballot keys, with their points (the
server's recount without JavaScript; verify.js puts its own in the same rows).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rooms import CommandError
from rooms.recount import Recount, leaderboard, recount
from server.edge import pages
from server.edge.gate import room_of
from server.edge.runtime import client_bucket, runtime_of
from server.tools.exports import read_entries
from server.tools.verify import SHORT, parse_receipt

__all__ = ["BOARD_ROWS", "board_rows", "check_routes", "receipt_status"]

RECEIPT_MAX = 100  # characters of a pasted receipt read at all
BOARD_ROWS = 10  # a table a person reads; every player is in the record and data-leaderboard
KEY_SHOWN = 10  # "b-" and 8 hex digits of a ballot key: enough to tell players apart here
# (room, log length, head hash) -> its recount
_RECOUNTS: OrderedDict[tuple[str, int, str], Recount] = OrderedDict()
_RECOUNTS_MAX = 32


def receipt_status(
    entries: list[dict[str, object]], seq: int, digest: str, tally: Recount | None = None
) -> str:
    """What the published chain says of receipt (seq, digest): "counted", "replaced",
    "not_counted", "not_ballot" or "missing". `tally`: the entries' recount, if made."""
    if not 1 <= seq <= len(entries) or len(digest) < SHORT:
        return "missing"
    entry = entries[seq - 1]
    if not str(entry["hash"]).startswith(digest):
        return "missing"
    if entry["type"] != "ballot.cast":
        return "not_ballot"
    tally = tally if tally is not None else recount(entries)
    if seq in tally.counted:
        return "counted"
    return "replaced" if seq in tally.cast else "not_counted"


async def _recount(entries: list[dict[str, object]]) -> Recount:
    """The recount of a published log, kept while its head stays the same: a closed room's
    log only grows by erasures, and every visitor of the page would recount the same one.
    (The cache is touched on the event loop only; the recount itself runs off it.)"""
    room = str(entries[0].get("room", "")) if entries else ""
    key = (room, len(entries), str(entries[-1].get("hash", "")) if entries else "")
    found = _RECOUNTS.get(key)
    if found is None:
        # A recount of a long log takes a while: off the event loop (it is pure).
        found = await asyncio.to_thread(recount, entries)
        _RECOUNTS[key] = found
        while len(_RECOUNTS) > _RECOUNTS_MAX:
            _RECOUNTS.popitem(last=False)
    _RECOUNTS.move_to_end(key)
    return found


def board_rows(tally: Recount) -> tuple[list[dict[str, Any]], int]:
    """The leaderboard rows a person reads (rank, the ballot key shortened and whole, points)
    and how many players the record holds in all."""
    board = leaderboard(tally.players)
    rows = [
        {
            "rank": row["rank"],
            "player": row["player"],
            "short": row["player"][:KEY_SHOWN],
            "points": row["points"],
        }
        for row in board[:BOARD_ROWS]
    ]
    return rows, len(board)


@pages.page
async def check(request: Request) -> Response:
    host = await room_of(request)
    if not runtime_of(request).reads_per_ip.take(client_bucket(request), time.monotonic()):
        raise CommandError("rate.limited")
    published = host.state.transcript_public
    raw = request.query_params.get("receipt", "")[:RECEIPT_MAX].strip()
    status: str | None = None
    board: list[dict[str, Any]] = []
    players = 0
    if published:
        entries = [e.to_dict() for e in await read_entries(host.deps.store, host.code)]
        tally = await _recount(entries)
        board, players = board_rows(tally)
        if raw:
            try:
                seq, digest = parse_receipt(raw)
            except ValueError:
                status = "invalid"
            else:
                status = receipt_status(entries, seq, digest, tally)
    return pages.render(
        request,
        "check.html",
        code=host.code,
        title=host.state.title,
        published=published,
        receipt=raw,
        outcome=status,
        board=board,
        players=players,
        record_url=f"/api/rooms/{host.code}/published",
    )


def check_routes() -> list[BaseRoute]:
    return [Route("/r/{code:str}/check", check)]
