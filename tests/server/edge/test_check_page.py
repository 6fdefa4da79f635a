"""The check page's parts: reading a pasted receipt (any text), and what the published chain
says of it."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.edge.check_page import receipt_status
from server.tools.verify import parse_receipt
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

HEX = "0123456789abcdef"


@given(st.text(max_size=120))
def test_any_text_is_a_receipt_or_a_value_error(text: str) -> None:
    try:
        seq, digest = parse_receipt(text)
    except ValueError:
        return
    assert seq >= 0 and len(digest) in (16, 64) and set(digest) <= set(HEX)


@given(st.integers(0, 10**9), st.text(HEX, min_size=16, max_size=16), st.booleans())
def test_a_receipt_code_reads_back(seq: int, digest: str, upper: bool) -> None:
    text = f" {seq}:{digest.upper() if upper else digest}\n"
    assert parse_receipt(text) == (seq, digest)


@pytest.mark.parametrize(
    "bad", ["", "12", "12:", "x:" + "a" * 16, "1:" + "g" * 16, "1:abc", "٣:" + "a" * 16]
)
def test_malformed_receipts_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_receipt(bad)


def _entries() -> list[dict[str, object]]:
    def e(seq: int, type_: str, actor: str, data: dict[str, object]) -> dict[str, object]:
        return {
            "seq": seq,
            "at": 0,
            "actor": actor,
            "op_id": "",
            "type": type_,
            "data": data,
            "hash": f"{seq:02d}" * 32,
        }

    return [
        e(1, "poll.created", "o", {"kind": "single", "options": ["a", "b"]}),
        e(2, "poll.opened", "o", {"poll_id": 1}),
        e(3, "ballot.cast", "b-1", {"poll_id": 1, "choice": 0}),
        e(4, "ballot.cast", "b-1", {"poll_id": 1, "choice": 1}),
        e(5, "poll.closed", "o", {"poll_id": 1}),
        e(6, "ballot.cast", "b-2", {"poll_id": 1, "choice": 1}),
    ]


def test_what_the_chain_says_of_a_receipt() -> None:
    entries = _entries()
    assert receipt_status(entries, 4, "04" * 8) == "counted"
    assert receipt_status(entries, 3, "03" * 32) == "replaced"
    assert receipt_status(entries, 6, "06" * 8) == "not_counted"  # after the close
    assert receipt_status(entries, 2, "02" * 8) == "not_ballot"
    assert receipt_status(entries, 4, "05" * 8) == "missing"  # not that entry's hash
    assert receipt_status(entries, 9, "09" * 8) == "missing"
    assert receipt_status(entries, 4, "04" * 4) == "missing"  # too short to mean anything


def test_the_page_escapes_what_was_pasted_and_answers_before_publication(
    server: LiveServer,
) -> None:
    room = create_room(server.http, "Escapes")
    url = f"{server.http}/r/{room['code']}/check"
    page = httpx.get(url, params={"receipt": '"><script>alert(1)</script>'})
    assert page.status_code == 200 and "<script>alert(1)" not in page.text
    assert "not published yet" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert httpx.get(f"{server.http}/r/NOSUCHROOM/check").status_code == 404
