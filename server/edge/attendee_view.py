"""What the attendee's templates read: the public room and the person's own facts, apart.

The attendee page is one set of templates rendered three ways: the whole page for one
person (what a browser without JavaScript gets, after every post), the public part alone
(`/r/{code}/live`: the same bytes for everyone, rendered once per room version and language,
revalidated by ETag), and the personal blocks alone (`/r/{code}/mine`, fetched only after the
person's own actions). The page script morphs the public part in and toggles the personal
facts it holds (ballots, upvotes) on the server-rendered markup, so a room of thousands of
phones costs one render per version, not one per phone.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any

from rooms import RoomState
from rooms.names import name_locked

__all__ = [
    "PUBLIC_YOU",
    "FragmentCache",
    "attendee_context",
    "poll_param",
    "question_order",
    "receipt_of",
]

# A receipt as the ack gives it and `townhall verify --receipt` takes it: SEQ:HASH, the
# short code's 16 hex digits (what the phone shows) or the whole hash (older links).
_RECEIPT = re.compile(r"([0-9]{1,15}):([0-9a-f]{16}|[0-9a-f]{64})")
_SORTS = ("top", "new")
SEARCH_MAX = 100

# The public render's "you": nobody's ballots, upvotes or questions.
PUBLIC_YOU: dict[str, Any] = {
    "ballots": {},
    "upvotes": [],
    "questions": [],
    "answers": [],
    "speaker": {"position": None, "speaking": False},
}


def receipt_of(raw: str | None) -> str | None:
    """A receipt from the address (the no-JavaScript redirect after a vote), or None."""
    return raw if raw is not None and _RECEIPT.fullmatch(raw) else None


def poll_param(raw: str) -> int | None:
    """A poll id from the address (`?poll=3`), or None: ASCII digits only ("²" is a digit
    to str.isdigit, not to int)."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 16 else None


def question_order(questions: list[dict[str, Any]], sort: str, search: str) -> list[dict[str, Any]]:
    """The published questions as the list shows them: the pinned one ("now answering") is
    apart, the rest by votes (ties: oldest first) or newest first, filtered by a search."""
    needle = search.casefold().strip()[:SEARCH_MAX]
    shown = [
        q
        for q in questions
        if not q.get("pinned")
        and (not needle or needle in q["text"].casefold() or needle in _labels(q))
    ]
    if sort == "new":
        return sorted(shown, key=lambda q: -q["question_id"])
    return sorted(shown, key=lambda q: (-q["score"], q["question_id"]))


def _labels(q: dict[str, Any]) -> str:
    return " ".join(q.get("labels", ())).casefold()


def attendee_context(
    state: RoomState,
    view: dict[str, Any],
    *,
    personal: bool,
    sort: str = "top",
    search: str = "",
    receipt: str | None = None,
    receipt_poll: int | None = None,
) -> dict[str, Any]:
    """The templates' context: `room` (public), `you` (this person's, or PUBLIC_YOU), and
    what the page derives from both."""
    room = view["room"]
    you = {**PUBLIC_YOU, **view["you"]} if personal else dict(PUBLIC_YOU)
    polls = room.get("polls", [])
    newest_first = list(reversed(polls))
    questions = room.get("questions", [])
    pinned = next((q for q in questions if q.get("pinned")), None)
    sort = sort if sort in _SORTS else "top"
    pid = view["you"].get("participant_id") if personal else None
    return {
        "room": room,
        "you": you,
        "personal": personal,
        "closed": room.get("state") == "closed",
        "open_polls": [p for p in newest_first if p["state"] == "open"],
        "closed_polls": [p for p in newest_first if p["state"] != "open"],
        "pinned_q": pinned,
        "listed": question_order(questions, sort, search),
        "qsort": sort,
        "qsearch": search[:SEARCH_MAX],
        "receipt": receipt,
        "receipt_poll": receipt_poll,
        "name_locked": bool(pid) and name_locked(state, str(pid)),
        "floor_ends": _floor_ends(room),
        "needs_code": state.settings.access_code is not None,
    }


def _floor_ends(room: dict[str, Any]) -> int | None:
    current = (room.get("speaker") or {}).get("current")
    if not current or not current.get("time_limit_s"):
        return None
    return int(current["since"]) + int(current["time_limit_s"]) * 1000


class FragmentCache:
    """The public fragment's bytes by (room, version, language): a few versions kept."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int, str], bytes] = OrderedDict()

    def get(self, key: tuple[str, int, str]) -> bytes | None:
        body = self._items.get(key)
        if body is not None:
            self._items.move_to_end(key)
        return body

    def put(self, key: tuple[str, int, str], body: bytes) -> None:
        self._items[key] = body
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
