"""Signed, room-scoped bearer tokens: who you are, in which room, with which role.

A token is `base64url(json claims) "." base64url(hmac-sha256)`. Stdlib HMAC keeps verification
to a couple of microseconds, which matters when 10,000 phones reconnect at once.

The claims name the key that signed them (`k`, a short id derived from the key), so the
signing key can rotate: `TOWNHALL_SECRET` signs, keys listed in `TOWNHALL_OLD_SECRETS` still
verify what they signed. Tokens from before key ids verify against every key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import sys
from dataclasses import dataclass

from moderation.roles import Role

__all__ = ["Claims", "Keyring", "TokenError", "issue", "key_id", "verify"]


class TokenError(Exception):
    """The token is malformed, forged, expired or for another room."""


@dataclass(frozen=True, slots=True)
class Claims:
    room: str
    participant_id: str
    role: Role
    expires_at: int  # ms since the epoch; 0 = never
    generation: int = 0  # of a shared link (organiser, screen, embed): links.rotate bumps it


def key_id(secret: bytes) -> str:
    """A short public name for a key: a MAC of a fixed text, so it reveals nothing of it."""
    return hmac.new(secret, b"townhall signing key id", hashlib.sha256).hexdigest()[:10]


@dataclass(frozen=True, slots=True)
class Keyring:
    """The key that signs, and the earlier ones that still verify."""

    signing: bytes
    previous: tuple[bytes, ...] = ()

    def verifying(self, kid: object) -> tuple[bytes, ...]:
        keys = (self.signing, *self.previous)
        if kid is None:
            return keys
        return tuple(key for key in keys if key_id(key) == kid)


def _keyring(keys: bytes | Keyring) -> Keyring:
    return keys if isinstance(keys, Keyring) else Keyring(keys)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(keys: bytes | Keyring, claims: Claims) -> str:
    secret = _keyring(keys).signing
    body = json.dumps(
        {
            "r": claims.room,
            "p": claims.participant_id,
            "o": claims.role.value,
            "x": claims.expires_at,
            "k": key_id(secret),
            **({"g": claims.generation} if claims.generation else {}),
        },
        separators=(",", ":"),
    ).encode()
    mac = hmac.new(secret, body, hashlib.sha256).digest()
    return f"{_b64(body)}.{_b64(mac)}"


def _kid(body: bytes) -> object:
    try:
        raw = json.loads(body)
    except ValueError:
        return None
    return raw.get("k") if isinstance(raw, dict) else None


def verify(keys: bytes | Keyring, token: str, *, room: str, now_ms: int) -> Claims:
    if not token or len(token) > 1024 or token.count(".") != 1:
        raise TokenError("malformed token")
    body_part, mac_part = token.split(".")
    try:
        body = _unb64(body_part)
        mac = _unb64(mac_part)
    except (binascii.Error, ValueError) as exc:
        raise TokenError("malformed token") from exc
    candidates = _keyring(keys).verifying(_kid(body))
    if not any(
        hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest())
        for key in candidates
    ):
        raise TokenError("bad signature")
    try:
        raw = json.loads(body)
        claims = Claims(
            room=str(raw["r"]),
            # Interned: every op this person sends keeps their id in the room's op table, and
            # each reconnect parses a fresh copy; one shared string per person, not per op.
            participant_id=sys.intern(str(raw["p"])),
            role=Role(raw["o"]),
            expires_at=int(raw["x"]),
            generation=int(raw.get("g", 0)),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError("malformed claims") from exc
    if claims.room != room:
        raise TokenError("token is for another room")
    if claims.expires_at and claims.expires_at < now_ms:
        raise TokenError("token expired")
    return claims
