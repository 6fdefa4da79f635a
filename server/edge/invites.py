"""Acks that hand out a credential: co-moderator invite tokens, one-time attendee codes."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from moderation.roles import Role
from rooms.room_ops import CODES_PER_ISSUE
from server.edge.code_keys import code_hash
from server.edge.membership import CODE_ALPHABET
from server.edge.tokens import Claims, issue

__all__ = ["attendee_codes", "link_path", "link_token", "with_codes", "with_credentials"]

CODE_LENGTH = 10  # 50 bits each; guessing is also held back by the join rate limit


def attendee_codes(secret: bytes, room: str, actor: str, op_id: str, count: int) -> list[str]:
    """The codes of one `codes.issue` op, drawn from the server's secret key.

    Keyed by (room, organiser, op_id), so a resent op (same op_id) gets the very same codes
    back, while nobody without the key can predict one. The room log keeps only their keyed hashes.
    """
    codes = []
    for i in range(count):
        mac = hmac.new(secret, f"codes\0{room}\0{actor}\0{op_id}\0{i}".encode(), hashlib.sha256)
        number = int.from_bytes(mac.digest(), "big")
        chars = []
        for _ in range(CODE_LENGTH):
            number, index = divmod(number, len(CODE_ALPHABET))
            chars.append(CODE_ALPHABET[index])
        codes.append("".join(chars))
    return codes


def _count(fields: dict[str, Any]) -> int | None:
    count = fields.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and 1 <= count <= CODES_PER_ISSUE:
        return count
    return None


def with_codes(
    op: str, fields: dict[str, Any], room: str, actor: str, op_id: str, secret: bytes
) -> dict[str, Any]:
    """Before `codes.issue` reaches the room: the server, never the client, picks the codes,
    and the room gets only their keyed hashes (server/edge/code_keys.py)."""
    if op != "codes.issue":
        return fields
    count = _count(fields)
    codes = attendee_codes(secret, room, actor, op_id, count) if count is not None else []
    given = {k: v for k, v in fields.items() if k not in ("codes", "hashes")}
    return {**given, "hashes": [code_hash(secret, room, c) for c in codes]}


def with_credentials(
    op: str, frame: dict[str, Any], room: str, secret: bytes, actor: str = ""
) -> dict[str, Any]:
    """Add the invited co-moderator's or interpreter's token to a `moderator.add` ack (and
    to its duplicate answers); the plain attendee codes to a `codes.issue` ack (shown to the
    organiser, never stored)."""
    if op == "moderator.add" and frame.get("type") == "ack" and "moderator_id" in frame:
        role = Role.INTERPRETER if frame.get("role") == "interpreter" else Role.MODERATOR
        token = issue(secret, Claims(room, str(frame["moderator_id"]), role, 0))
        return {**frame, "token": token, "url": f"/r/{room}/{_INVITE_PAGE[role]}?token={token}"}
    if op == "links.rotate" and frame.get("type") == "ack" and "generation" in frame:
        link = str(frame["link"])
        token = link_token(secret, room, link, actor, int(frame["generation"]))
        return {**frame, "token": token, "url": link_path(room, link, token)}
    if op == "codes.issue" and frame.get("type") == "ack" and isinstance(frame.get("count"), int):
        op_id = str(frame.get("op_id", ""))
        return {**frame, "codes": attendee_codes(secret, room, actor, op_id, frame["count"])}
    return frame


# The page each invited role's link opens.
_INVITE_PAGE = {Role.MODERATOR: "moderate", Role.INTERPRETER: "interpret"}

# Each shared link: who holds it, with which role, and which page it opens.
_LINKS = {
    "organiser": (Role.ORGANISER, "moderate"),
    "screen": (Role.SCREEN, "screen"),
    "embed": (Role.EMBED, "embed"),
}


def link_token(secret: bytes, room: str, link: str, organiser: str, generation: int) -> str:
    """The token of a shared link at `generation` (deterministic: shown again, not stored)."""
    role, _page = _LINKS[link]
    holder = organiser if link == "organiser" else link
    return issue(secret, Claims(room, holder, role, 0, generation))


def link_path(room: str, link: str, token: str) -> str:
    return f"/r/{room}/{_LINKS[link][1]}?token={token}"
