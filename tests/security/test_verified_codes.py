"""Item 13: a verified room admits only holders of one-time codes the organiser issued."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import pytest

from rooms import CommandError, event_to_dict, from_snapshot, to_snapshot
from tests.rooms.harness import ORG, Room
from tests.security.helpers import post_op, security_report
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

CODES = ["CODEAAAA11", "CODEBBBB22", "CODECCCC33"]


def test_given_a_verified_room_when_codes_are_issued_then_only_hashes_are_kept() -> None:
    room = Room(verified=True)
    result = room.do(ORG, "codes.issue", count=3, codes=CODES)
    assert result == {"count": 3}
    wire = event_to_dict(room.records[-1].event)
    assert wire["type"] == "codes.issued"
    assert not any(code in str(wire) for code in CODES)
    assert wire["data"]["hashes"] == [hashlib.sha256(c.encode()).hexdigest() for c in CODES]
    assert room.state.audit[-1].action == "codes.issued"


def test_given_issued_codes_when_people_join_then_each_code_admits_one_newcomer() -> None:
    room = Room(verified=True)
    room.do(ORG, "codes.issue", count=3, codes=CODES)
    assert room.refuse("ana", "participant.join") == "auth.attendee_code"
    assert (
        room.refuse("ana", "participant.join", attendee_code="NOTISSUED1") == "auth.attendee_code"
    )
    room.do("ana", "participant.join", attendee_code=CODES[0])
    assert room.refuse("ben", "participant.join", attendee_code=CODES[0]) == "auth.attendee_code"
    room.do("ben", "participant.join", attendee_code=CODES[1])
    room.do("ana", "participant.join", name="Ana")  # a re-join needs no new code
    assert sorted(room.state.participants) == ["ana", "ben"]
    restored = from_snapshot(to_snapshot(room.state))
    assert restored.attendee_codes == room.state.attendee_codes


def test_given_two_joins_decided_with_one_code_when_both_commit_then_the_second_fails() -> None:
    room = Room(verified=True)
    room.do(ORG, "codes.issue", count=1, codes=CODES[:1])
    first = room.decide("ana", "participant.join", attendee_code=CODES[0])
    second = room.decide("ben", "participant.join", attendee_code=CODES[0])
    assert room.commit("ana", first).error is None
    lost = room.commit("ben", second)
    assert lost.error is not None and lost.error.code == "auth.attendee_code"
    assert "ben" not in room.state.participants


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"count": 2, "codes": CODES[:1]}, "field.invalid"),
        ({"count": 1, "codes": ["short"]}, "field.invalid"),
        ({"count": 2, "codes": [CODES[0], CODES[0]]}, "field.invalid"),
        ({"count": 0, "codes": []}, "field.invalid"),
        ({"count": 1}, "field.missing"),
        ({"codes": CODES[:1]}, "field.missing"),
    ],
)
def test_when_codes_are_malformed_then_nothing_is_issued(fields: dict[str, Any], code: str) -> None:
    room = Room(verified=True)
    assert room.refuse(ORG, "codes.issue", **fields) == code


def test_only_the_organiser_may_issue_codes() -> None:
    room = Room()  # codes may be issued before the room switches to verified
    room.join("ana")
    mod = room.do(ORG, "moderator.add", name="Deputy")["moderator_id"]
    assert room.refuse("ana", "codes.issue", count=1, codes=CODES[:1]) == "auth.forbidden"
    assert room.refuse(mod, "codes.issue", count=1, codes=CODES[:1]) == "auth.forbidden"
    with pytest.raises(CommandError):
        room.do(ORG, "codes.issue", count=1, codes=CODES[:1])
        room.do(ORG, "codes.issue", count=1, codes=CODES[:1])  # the same code twice


def test_live_verified_room_codes_come_from_the_server(server: LiveServer) -> None:
    room = create_room(server.http, verified=True)
    code, org = room["code"], room["moderator_token"]
    join = f"{server.http}/api/rooms/{code}/join"
    assert httpx.post(join, json={}).json()["error"]["code"] == "auth.attendee_code"
    issued = post_op(server.http, code, org, op="codes.issue", op_id="c1", count=3,
                     codes=["CHOSENBYME"])  # fmt: skip
    assert issued.status_code == 200, issued.text
    codes = issued.json()["codes"]
    assert len(codes) == 3 and "CHOSENBYME" not in codes and len(set(codes)) == 3
    again = post_op(server.http, code, org, op="codes.issue", op_id="c1", count=3).json()
    assert again["duplicate"] is True and again["codes"] == codes  # a resend shows the same codes
    assert httpx.post(join, json={"attendee_code": "CHOSENBYME"}).status_code == 403
    assert httpx.post(join, json={"attendee_code": codes[0]}).status_code == 200
    second = httpx.post(join, json={"attendee_code": codes[0]})
    assert second.status_code == 403 and second.json()["error"]["code"] == "auth.attendee_code"
    log = httpx.get(f"{server.http}/api/rooms/{code}/transcript",
                    headers={"authorization": f"Bearer {org}"}).text  # fmt: skip
    assert not any(c in log for c in codes)
    report = security_report(server.http, code, org)
    assert report["codes"] == {"issued": 3, "used": 1}
    assert report["refused"]["auth.attendee_code"] >= 3
