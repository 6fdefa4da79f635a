"""The check page's parts: reading a pasted receipt (any text), what the published chain
says of it, and the recounted quiz leaderboard shown as a table a person reads."""

from __future__ import annotations

import html as html_lib
import itertools
import re
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rooms.recount import recount
from server.edge.check_page import BOARD_ROWS, board_rows, receipt_status
from server.edge.i18n import translator
from server.tools.verify import parse_receipt
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

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


def _op(server: LiveServer, code: str, token: str, op: str, **fields: Any) -> dict[str, Any]:
    r = httpx.post(f"{server.http}/api/rooms/{code}/ops", timeout=10,
                   headers={"authorization": f"Bearer {token}"},
                   json={"op": op, "op_id": f"check-{next(_ids)}", **fields})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


_ids = itertools.count(1)


def _quiz_night(server: LiveServer, players: int) -> str:
    """A published meeting with two revealed quizzes and `players` players, the odd ones
    right on the first, everyone right on the second."""
    room = create_room(server.http, "Quiz <night>")
    code, mod = room["code"], room["moderator_token"]
    tokens = [join(server.http, code, name=f"P{i}")["participant_token"] for i in range(players)]
    for correct in (1, 0):
        quiz = _op(server, code, mod, "poll.create", kind="quiz", question="Which?",
                   options=["A", "B"], correct=[correct], window_s=5)["poll_id"]
        _op(server, code, mod, "poll.open", poll_id=quiz)
        for i, token in enumerate(tokens):
            _op(server, code, token, "vote", poll_id=quiz, choice=i % 2 if correct else 0)
        _op(server, code, mod, "poll.reveal", poll_id=quiz)
        _op(server, code, mod, "poll.close", poll_id=quiz)
    _op(server, code, mod, "room.close")
    _op(server, code, mod, "room.publish")
    return code


def _board(page: str) -> tuple[list[str], list[tuple[str, str, str]]]:
    """The leaderboard table as a person reads it: its headings, and each row's cells."""
    found = re.search(r'<table class="board-check" id="verify-board".*?</table>', page, re.S)
    assert found is not None
    table = found[0]
    headings = [html_lib.unescape(h) for h in re.findall(r"<th [^>]*>([^<]*)</th>", table)]
    rows = re.findall(
        r'<tr><td>([^<]*)</td><td><code dir="ltr" title="([^"]*)">[^<]*</code></td>'
        r'<td class="num">([^<]*)</td></tr>',
        table,
    )
    return headings, rows


def test_the_check_page_shows_the_recounted_quiz_leaderboard_as_a_table(
    server: LiveServer,
) -> None:
    code = _quiz_night(server, players=12)
    record = httpx.get(f"{server.http}/api/rooms/{code}/published", timeout=10).json()
    page = httpx.get(f"{server.http}/r/{code}/check", params={"lang": "fr"}, timeout=10).text
    assert "Classement du quiz" in page
    headings, rows = _board(page)
    assert headings == ["Rang", "Joueur", "Points"]
    # The first BOARD_ROWS of the record's leaderboard, in its order, under the same keys.
    fr = translator("fr")  # numbers as a French reader writes them: 1 925
    expected = [
        (fr.number(r["rank"]), r["player"], fr.number(r["points"]))
        for r in record["leaderboard"][:BOARD_ROWS]
    ]
    assert rows == expected and len(rows) == BOARD_ROWS
    assert {r["points"] for r in record["leaderboard"]} != {record["leaderboard"][0]["points"]}
    assert "…et 2 autres joueurs, dans le registre publié." in page
    assert "data-leaderboard" not in page  # no JSON for a person: that is verify.js's, for tools
    assert "Quiz &lt;night&gt;" in page  # the title escaped


def test_a_meeting_without_quizzes_shows_no_leaderboard(server: LiveServer) -> None:
    room = create_room(server.http, "No quiz")
    code, mod = room["code"], room["moderator_token"]
    poll = _op(server, code, mod, "poll.create", kind="single", question="Q?",
               options=["A", "B"])["poll_id"]
    _op(server, code, mod, "poll.open", poll_id=poll)
    _op(server, code, mod, "room.close")
    _op(server, code, mod, "room.publish")
    page = httpx.get(f"{server.http}/r/{code}/check", timeout=10).text
    assert "Recount it yourself" in page and 'id="verify-board"' not in page


def test_board_rows_shorten_the_keys_and_count_every_player() -> None:
    entries = [
        {"seq": 1, "at": 0, "actor": "o", "op_id": "", "type": "poll.created", "hash": "1",
         "data": {"kind": "quiz", "options": ["a", "b"], "correct": [0], "window_s": 10}},
        {"seq": 2, "at": 0, "actor": "o", "op_id": "", "type": "poll.opened", "hash": "2",
         "data": {"poll_id": 1}},
        *(
            {"seq": 3 + i, "at": 1000 * i, "actor": f"b-{i:032x}", "op_id": "",
             "type": "ballot.cast", "hash": str(3 + i), "data": {"poll_id": 1, "choice": 0}}
            for i in range(BOARD_ROWS + 3)
        ),
        {"seq": BOARD_ROWS + 6, "at": 0, "actor": "o", "op_id": "", "type": "poll.revealed",
         "hash": "z", "data": {"poll_id": 1}},
    ]
    rows, players = board_rows(recount(entries))
    assert players == BOARD_ROWS + 3 and len(rows) == BOARD_ROWS
    assert [r["rank"] for r in rows] == list(range(1, BOARD_ROWS + 1))  # quicker, more points
    assert rows[0]["player"] == "b-" + "0" * 32 and rows[0]["short"] == "b-00000000"
    assert rows[0]["points"] > rows[-1]["points"]
