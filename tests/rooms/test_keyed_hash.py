"""KeyedHash is HMAC-SHA256: the same bytes as the standard library's, for any key and message."""

from __future__ import annotations

import hmac

from hypothesis import given
from hypothesis import strategies as st

from rooms.keyed_hash import KeyedHash


# Keys around SHA-256's 64-byte block: shorter ones are padded, longer ones hashed first.
@given(
    st.binary(max_size=200) | st.binary(min_size=63, max_size=66), st.lists(st.binary(), max_size=3)
)
def test_every_message_signs_as_hmac_digest_signs_it(key: bytes, messages: list[bytes]) -> None:
    keyed = KeyedHash(key)
    for message in messages:  # one key, many messages: the set-up is copied, never consumed
        assert keyed.digest(message) == hmac.digest(key, message, "sha256")
        assert keyed.hexdigest(message) == hmac.new(key, message, "sha256").hexdigest()


def test_the_rfc_4231_vectors() -> None:
    key, data = b"\x0b" * 20, b"Hi There"
    expected = "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    assert KeyedHash(key).hexdigest(data) == expected
    key, data = b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First"
    expected = "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    assert KeyedHash(key).hexdigest(data) == expected
