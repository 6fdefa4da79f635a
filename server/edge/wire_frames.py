"""The server's frames as types: every frame the views, the hub and the edge send.

Upsert frames are named after the event that touched their item and are derived from the
role table's events, so a new op's frame has a type without a line here. The role-filtered
item shapes (a poll, a question, ...) are objects here; docs/ENGINE.md describes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from msgspec import Struct

from moderation.roles import OPS
from rooms.errors import CODES
from rooms.fields import MAX_ID
from server.edge.wire_types import Id, OpId, _int, _name, _one_of, _opt, _text

__all__ = ["FRAME_TYPES", "ErrorBody", "ErrorDetail", "Receipt"]

Seq = _int(0, MAX_ID, "the room's seq this frame brings you up to")
Code = _one_of(tuple(CODES), "a stable error code (rooms/errors.py)")
_VIEW = dict[str, Any]  # the role-filtered shapes of docs/ENGINE.md (views)


class _Frame(Struct, tag_field="type", kw_only=True, omit_defaults=True):
    pass


Receipt = msgspec.defstruct(
    "Receipt",
    [("seq", Seq), ("hash", _text("your entry's hash in the transcript (townhall verify)"))],
    kw_only=True,
    module=__name__,
)
ErrorDetail = msgspec.defstruct(
    "ErrorDetail", [("code", Code), ("message", str)], kw_only=True, module=__name__
)
# `{"error": {"code", "message"}}`: every HTTP refusal.
ErrorBody = msgspec.defstruct("ErrorBody", [("error", ErrorDetail)], module=__name__)


def _frame(type_: str, fields: list[Any], doc: str) -> type[Struct]:
    return msgspec.defstruct(
        _name(type_, "Frame"),
        fields,
        bases=(_Frame,),
        tag=type_,
        kw_only=True,
        module=__name__,
        namespace={"__doc__": doc},
    )


_ACK_RESULT = [
    _opt(name, kind)
    for name, kind in (
        ("receipt", Receipt),
        ("duplicate", bool),
        ("counted", bool),
        ("poll_id", int),
        ("question_id", int),
        ("answer_id", int),
        ("participant_id", str),
        ("moderator_id", str),
        ("state", str),
        ("replaced", bool),
        ("held", list[str]),
        ("upvotes", int),
        ("score", int),
        ("position", int),
        ("count", int),
        ("codes", list[str]),
        ("link", str),
        ("generation", int),
        ("token", str),
        ("url", str),
        ("code", str),
    )
]

_FIXED: list[type[Struct]] = [
    _frame(
        "snapshot",
        [("seq", Seq), ("room", _VIEW), ("you", _VIEW)],
        "the whole room as your role sees it",
    ),
    _frame("you", [("seq", Seq), ("you", _VIEW)], "your own facts, after a resume from the window"),
    _frame("ack", [("op_id", OpId), ("seq", Seq), *_ACK_RESULT], "your op is durable"),
    _frame(
        "error", [_opt("op_id", str), ("code", Code), ("message", str)], "your op changed nothing"
    ),
    _frame("pong", [("seq", Seq)], "the answer to a ping"),
    _frame("poll.tally", [("seq", Seq), ("poll_id", Id), ("results", _VIEW)], "a poll's results"),
    _frame("poll.removed", [("seq", Seq), ("poll_id", Id)], "a poll you saw is gone"),
    _frame("question.removed", [("seq", Seq), ("question_id", Id)], "a question you saw is gone"),
    _frame("answer.removed", [("seq", Seq), ("answer_id", Id)], "moderators: an answer is gone"),
    _frame(
        "reaction.counts",
        [
            ("seq", Seq),
            ("window_start", int | None),
            ("window_ms", int),
            ("counts", dict[str, int]),
        ],
        "the current reaction window's counts",
    ),
    _frame(
        "moderation.queue",
        [("seq", Seq), ("pending_total", int), ("questions", list[_VIEW])],
        "moderators: the queue's first page, whole",
    ),
    _frame("moderation.ledger", [("seq", Seq), ("ledger", _VIEW)], "public moderation counts"),
    _frame(
        "speaker.queue",
        [("seq", Seq), ("queue", list[_VIEW]), _opt("current", _VIEW)],
        "the speaker queue and who has the floor",
    ),
    _frame("room.participants", [("seq", Seq), ("count", int)], "how many joined"),
    _frame("audit.entry", [("seq", Seq), ("entry", _VIEW)], "moderators: one audit entry"),
    _frame(
        "speaker.position", [_opt("seq", Seq), ("position", int)], "yours: your place in the queue"
    ),
    _frame(
        "speaker.called",
        [_opt("seq", Seq), ("topic", str), ("since", int), ("time_limit_s", int)],
        "yours: you have the floor",
    ),
    _frame("speaker.skipped", [_opt("seq", Seq)], "yours: the moderator skipped you"),
    _frame(
        "screen.shown",
        [_opt("seq", Seq), ("room", _VIEW)],
        "what the big screen shows changed: the room header's `presenting`",
    ),
    _frame(
        "quiz.leaderboard",
        [_opt("seq", Seq), ("leaderboard", list[_VIEW])],
        "the revealed quizzes' leaderboard, top 10",
    ),
    _frame(
        "quiz.scored",
        [_opt("seq", Seq), ("poll_id", Id), ("points", int), ("total", int)],
        "yours: what you scored on a quiz just revealed, and your total",
    ),
]

# Every other event type is an upsert frame of the item it touched, named after the event:
# replace your copy of the item by the one in the frame. Items a person owns also come to
# that person alone, as the personal fields (your question or answer moderated, your ban).
_ITEM_OF = {
    "room": "room",
    "poll": "poll",
    "question": "question",
    "answer": "answer",
    "ballot": "answer",
    "participant": "participant",
    "moderator": "moderator",
}
_PERSONAL: dict[str, list[Any]] = {
    "question": [
        _opt("question_id", int),
        _opt("state", str),
        _opt("text", str),
        _opt("reason", str),
    ],
    "answer": [
        _opt("answer_id", int),
        _opt("poll_id", int),
        _opt("state", str),
        _opt("text", str),
        _opt("reason", str),
    ],
    # A content ban, to moderators: its opaque id and entry, never the person (docs/ENGINE.md).
    "participant": [_opt("reason", str), _opt("ban_id", str), _opt("ban", _VIEW | None)],
}


def _item_frames() -> list[type[Struct]]:
    fixed = {kind.__struct_config__.tag for kind in _FIXED}
    out = []
    for row in OPS.values():
        item = _ITEM_OF.get(row.event.split(".")[0])
        if item is None or row.event in fixed:
            continue
        fields = [_opt("seq", Seq), _opt(item, _VIEW), *_PERSONAL.get(item, [])]
        out.append(
            _frame(row.event, fields, f"the {item} `{row.event}` touched, as you may see it")
        )
    return out


FRAME_TYPES: Mapping[str, type[Struct]] = {
    str(kind.__struct_config__.tag): kind for kind in (*_FIXED, *_item_frames())
}
