"""HMAC-SHA256 with the key set up once, for a key that signs many messages (RFC 2104).

`hmac.digest` hashes the key's two pads again on every call, and OpenSSL looks the algorithm
up each time: most of the cost of a short message. `KeyedHash` keeps the two pads' hash
states and copies them for each message. The same bytes as `hmac.digest(key, msg, "sha256")`
(tests/rooms/test_keyed_hash.py), in about a third of the time. Not for checking a MAC an
attacker sent: compare those with `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib

__all__ = ["KeyedHash"]

_BLOCK = 64  # SHA-256's block, in bytes: a longer key is hashed first, a shorter one padded
_INNER = bytes(b ^ 0x36 for b in range(256))  # as translation tables: key XOR ipad, opad
_OUTER = bytes(b ^ 0x5C for b in range(256))


class KeyedHash:
    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        block = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(block.translate(_INNER))
        self._outer = hashlib.sha256(block.translate(_OUTER))

    def digest(self, message: bytes) -> bytes:
        return self._finish(message).digest()

    def hexdigest(self, message: bytes) -> str:
        return self._finish(message).hexdigest()

    def _finish(self, message: bytes) -> hashlib._Hash:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer
