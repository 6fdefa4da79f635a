"""Creating a room and joining one: one function each, for the JSON API and the pages."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from moderation.roles import Role
from rooms import CommandError, Context
from server.edge.answers import answer_of
from server.edge.code_keys import candidates
from server.edge.runtime import Runtime
from server.edge.tokens import Claims, issue
from server.live.hub import now_ms
from server.live.room_host import RoomHost

__all__ = [
    "CODE_ALPHABET",
    "JOIN_FIELDS",
    "Created",
    "Joined",
    "create_room",
    "join_room",
    "new_id",
]

# No 0/O, 1/I: room codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# What a join may carry; anything else in the body is ignored.
JOIN_FIELDS = ("name", "district", "access_code", "attendee_code")
# The secret a join may carry, and the refusal that says it was wrong (guesses back off).
_CODE_FIELDS = {"access_code": "auth.access_code", "attendee_code": "auth.attendee_code"}


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(9)


@dataclass(frozen=True, slots=True)
class Created:
    code: str
    seq: int
    moderator_token: str
    screen_token: str
    embed_token: str

    def urls(self, base: str) -> dict[str, str]:
        code = self.code
        return {
            "attend": f"{base}/r/{code}",
            "moderate": f"{base}/r/{code}/moderate?token={self.moderator_token}",
            "screen": f"{base}/r/{code}/screen?token={self.screen_token}",
            "embed": f"{base}/r/{code}/embed?token={self.embed_token}",
        }


async def create_room(
    runtime: Runtime, fields: dict[str, Any], *, ip: str, authorization: str
) -> Created:
    settings = runtime.settings
    if settings.room_creation_key and not secrets.compare_digest(
        authorization, f"Bearer {settings.room_creation_key}"
    ):
        raise CommandError("auth.forbidden", "creating rooms needs the organiser key")
    await runtime.admission.before_create(ip)
    fields = _with_default_cell_size(fields, settings.min_cell_size)
    organiser = new_id("o")
    for _attempt in range(5):
        code = new_code()
        try:
            outcome = await runtime.hub.create_room(code, fields, organiser)
        except FileExistsError:
            continue
        if outcome.error is not None:
            raise outcome.error
        secret = settings.secret
        return Created(
            code=code,
            seq=outcome.seq,
            moderator_token=issue(secret, Claims(code, organiser, Role.ORGANISER, 0)),
            screen_token=issue(secret, Claims(code, "screen", Role.SCREEN, 0)),
            embed_token=issue(secret, Claims(code, "embed", Role.EMBED, 0)),
        )
    raise CommandError("server.unavailable", "could not allocate a room code")


def _with_default_cell_size(fields: dict[str, Any], cell: int) -> dict[str, Any]:
    """The server's TOWNHALL_MIN_CELL_SIZE for a room whose organiser gave none (settings
    come nested under "settings" or flat beside the title)."""
    nested = fields.get("settings")
    if isinstance(nested, dict):
        return {**fields, "settings": {"min_cell_size": cell, **nested}}
    return {"min_cell_size": cell, **fields}


@dataclass(frozen=True, slots=True)
class Joined:
    participant_id: str
    token: str
    seq: int


async def join_room(
    runtime: Runtime,
    host: RoomHost,
    fields: dict[str, Any],
    *,
    returning: Claims | None,
    ip: str,
) -> Joined:
    """Join (or re-join, keeping the same person for a returning attendee's cookie)."""
    code, admission = host.code, runtime.admission
    given: dict[str, Any] = {k: v for k, v in fields.items() if k in JOIN_FIELDS}
    if isinstance(given.get("attendee_code"), str):
        # The room compares hashes only (server/edge/code_keys.py); the edge makes them.
        given["attendee_code_hashes"] = candidates(
            runtime.settings.keyring, code, given["attendee_code"]
        )
    if returning is not None and returning.role is Role.ATTENDEE:
        participant = returning.participant_id
    else:
        participant, returning = new_id("u"), None
    await admission.before_join(code, ip, returning=returning is not None)
    with_code = any(given.get(name) for name in _CODE_FIELDS)
    if with_code:
        await admission.before_code(code, ip)
    ctx = Context(participant, Role.ATTENDEE, now_ms(), new_id("join-"))
    outcome = await host.submit("participant.join", given, ctx)
    if outcome.error is not None:
        if answer_of(outcome.error.code).record:
            runtime.security.refused(code, outcome.error.code, ip, "join")
        if with_code and outcome.error.code in _CODE_FIELDS.values():
            await admission.code_failed(code, ip)
        raise outcome.error
    if with_code:
        await admission.code_passed(code, ip)
    if returning is None:
        runtime.security.joined(code, ip)  # a new person, not a returning cookie
    token = issue(runtime.settings.secret, Claims(code, participant, Role.ATTENDEE, 0))
    return Joined(participant, token, outcome.seq)
