"""`/r/{code}/check`: a resident checks their receipt against the published record.

    GET /r/{code}/check                    the form, and the recount in the browser
    GET /r/{code}/check?receipt=SEQ:HEX    ... and what the record says of that receipt

The server's answer comes from the published record (the chain at that seq, then the recount
by docs/TRANSCRIPT.md); works without JavaScript. static/js/verify.js, on the same page,
downloads that record and recomputes every hash and every poll itself, trusting nothing the
server says. Rate-limited per address like the record's download; no token needed.
"""

from __future__ import annotations

import asyncio
import time

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from rooms import CommandError
from rooms.recount import recount
from server.edge import pages
from server.edge.gate import room_of
from server.edge.runtime import client_bucket, runtime_of
from server.tools.exports import read_entries
from server.tools.verify import SHORT, parse_receipt

__all__ = ["check_routes", "receipt_status"]

RECEIPT_MAX = 100  # characters of a pasted receipt read at all


def receipt_status(entries: list[dict[str, object]], seq: int, digest: str) -> str:
    """What the published chain says of receipt (seq, digest): "counted", "replaced",
    "not_counted", "not_ballot" or "missing"."""
    if not 1 <= seq <= len(entries) or len(digest) < SHORT:
        return "missing"
    entry = entries[seq - 1]
    if not str(entry["hash"]).startswith(digest):
        return "missing"
    if entry["type"] != "ballot.cast":
        return "not_ballot"
    tally = recount(entries)
    if seq in tally.counted:
        return "counted"
    return "replaced" if seq in tally.cast else "not_counted"


@pages.page
async def check(request: Request) -> Response:
    host = await room_of(request)
    if not runtime_of(request).reads_per_ip.take(client_bucket(request), time.monotonic()):
        raise CommandError("rate.limited")
    published = host.state.transcript_public
    raw = request.query_params.get("receipt", "")[:RECEIPT_MAX].strip()
    status: str | None = None
    if raw and published:
        try:
            seq, digest = parse_receipt(raw)
        except ValueError:
            status = "invalid"
        else:
            entries = [e.to_dict() for e in await read_entries(host.deps.store, host.code)]
            # A recount of a long log takes a while: off the event loop (it is pure).
            status = await asyncio.to_thread(receipt_status, entries, seq, digest)
    return pages.render(
        request,
        "check.html",
        code=host.code,
        title=host.state.title,
        published=published,
        receipt=raw,
        outcome=status,
        record_url=f"/api/rooms/{host.code}/published",
    )


def check_routes() -> list[BaseRoute]:
    return [Route("/r/{code:str}/check", check)]
