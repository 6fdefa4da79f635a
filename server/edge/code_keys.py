"""One-time attendee codes as a room keeps them: keyed hashes, never the codes themselves.

A code has 50 bits. Its plain SHA-256, which rooms used to keep, is searched in hours by
anyone holding the log, and a published transcript is held by everyone. What a room keeps
now is a MAC under a key of its own:

    room key   = HMAC-SHA256(server secret, "townhall room code key\\0" + room)
    code hash  = "k1:" + hex(HMAC-SHA256(room key, code))

The room key is derived, never stored: it is in no database row, snapshot or export, so a
copy of the database (or the published log) does not let anyone test a single guess. Only
the edge hashes: `codes.issue` reaches the room with the hashes alone (the plain codes are
drawn from the secret again for the organiser's ack), a join with the candidates below.

Rooms from before keyed hashes hold bare 64-hex SHA-256 hashes in their log. A join still
matches those (`candidates` lists the bare hash last), so codes already handed out keep
working; new codes are only ever issued keyed. After the server's secret rotates, codes
issued under a secret still listed in TOWNHALL_OLD_SECRETS keep matching too.
"""

from __future__ import annotations

import hashlib
import hmac

from server.edge.tokens import Keyring

__all__ = ["candidates", "code_hash", "legacy_hash", "room_key"]

_LABEL = b"townhall room code key\0"


def room_key(secret: bytes, room: str) -> bytes:
    return hmac.new(secret, _LABEL + room.encode("utf-8"), hashlib.sha256).digest()


def code_hash(secret: bytes, room: str, code: str) -> str:
    mac = hmac.new(room_key(secret, room), code.encode("utf-8"), hashlib.sha256)
    return "k1:" + mac.hexdigest()


def legacy_hash(code: str) -> str:
    """How rooms kept codes before keyed hashes: unsalted SHA-256 (matched, never issued)."""
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def candidates(keys: Keyring, room: str, code: str) -> list[str]:
    """The hashes `code` may be kept under in `room`: the signing secret's first, then each
    old secret's, then the legacy unkeyed one. The room admits the first one it holds unused."""
    return [
        *(code_hash(secret, room, code) for secret in (keys.signing, *keys.previous)),
        legacy_hash(code),
    ]
