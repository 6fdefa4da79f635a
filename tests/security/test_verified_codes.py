"""Item 13: a verified room admits only holders of one-time codes the organiser issued.

The room compares hashes the edge makes (server/edge/code_keys.py); these tests hand them in
as the edge does: `issue(...)` for `codes.issue`, `joining(...)` for a join.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from rooms import CommandError, event_to_dict, from_snapshot, to_snapshot
from rooms.events import CodesIssued
from server.edge.code_keys import candidates, code_hash, legacy_hash
from server.edge.tokens import Keyring
from server.store import Entry
from server.store.sqlite import SqliteStore
from tests.rooms.harness import ORG, Room
from tests.security.helpers import post_op, security_report
from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

CODES = ["CODEAAAA11", "CODEBBBB22", "CODECCCC33"]
SECRET = b"a secret of the server, sixteen+"
KEYS = Keyring(SECRET)


def issue(codes: list[str], count: int | None = None) -> dict[str, Any]:
    return {"count": len(codes) if count is None else count,
            "hashes": [code_hash(SECRET, "TOWN", c) for c in codes]}  # fmt: skip


def joining(code: str, keys: Keyring = KEYS) -> dict[str, Any]:
    return {"attendee_code": code, "attendee_code_hashes": candidates(keys, "TOWN", code)}


def test_given_a_verified_room_when_codes_are_issued_then_only_keyed_hashes_are_kept() -> None:
    room = Room(verified=True)
    result = room.do(ORG, "codes.issue", **issue(CODES))
    assert result == {"count": 3}
    wire = event_to_dict(room.records[-1].event)
    assert wire["type"] == "codes.issued"
    assert not any(code in str(wire) for code in CODES)
    hashes = wire["data"]["hashes"]
    assert all(h.startswith("k1:") and len(h) == 67 for h in hashes)
    # Not the unkeyed SHA-256 a holder of the log could search 50 bits for.
    assert not {hashlib.sha256(c.encode()).hexdigest() for c in CODES} & {h[3:] for h in hashes}
    assert room.state.audit[-1].action == "codes.issued"


def test_the_hash_depends_on_the_room_and_the_servers_secret() -> None:
    h = code_hash(SECRET, "TOWN", CODES[0])
    assert h == code_hash(SECRET, "TOWN", CODES[0])
    assert h != code_hash(SECRET, "CITY", CODES[0])
    assert h != code_hash(b"another secret of sixteen chars", "TOWN", CODES[0])


def test_unkeyed_hashes_are_refused_when_issuing() -> None:
    room = Room(verified=True)
    unkeyed = {"count": 1, "hashes": [legacy_hash(CODES[0])]}
    assert room.refuse(ORG, "codes.issue", **unkeyed) == "field.invalid"


def test_a_room_from_before_keyed_hashes_still_admits_its_codes() -> None:
    # Its log holds bare SHA-256 hashes (what `codes.issue` wrote then); a join matches them.
    room = Room(verified=True)
    room.commit(ORG, CodesIssued(hashes=(legacy_hash(CODES[0]), legacy_hash(CODES[1]))))
    assert room.refuse("ana", "participant.join", **joining("NOTISSUED1")) == "auth.attendee_code"
    room.do("ana", "participant.join", **joining(CODES[0]))
    assert room.state.attendee_codes[legacy_hash(CODES[0])] == "ana"
    assert room.refuse("ben", "participant.join", **joining(CODES[0])) == "auth.attendee_code"
    # New codes beside the old ones are keyed; both kinds admit.
    room.do(ORG, "codes.issue", **issue([CODES[2]]))
    room.do("ben", "participant.join", **joining(CODES[2]))
    room.do("cy", "participant.join", **joining(CODES[1]))
    assert sorted(room.state.participants) == ["ana", "ben", "cy"]


def test_codes_issued_before_the_secret_rotated_still_admit() -> None:
    room = Room(verified=True)
    room.do(ORG, "codes.issue", **issue(CODES[:1]))
    rotated = Keyring(b"the new secret, sixteen or more", (SECRET,))
    room.do("ana", "participant.join", **joining(CODES[0], rotated))
    room2 = Room(verified=True)
    room2.do(ORG, "codes.issue", **issue(CODES[:1]))
    forgotten = Keyring(b"the new secret, sixteen or more")
    assert room2.refuse("ana", "participant.join", **joining(CODES[0], forgotten)) == (
        "auth.attendee_code"
    )


def test_a_join_must_bring_the_hashes_of_its_code() -> None:
    room = Room(verified=True)
    room.do(ORG, "codes.issue", **issue(CODES[:1]))
    bare = {"attendee_code": CODES[0]}
    assert room.refuse("ana", "participant.join", **bare) == "auth.attendee_code"
    many = {**bare, "attendee_code_hashes": [code_hash(SECRET, "TOWN", CODES[0])] * 65}
    assert room.refuse("ana", "participant.join", **many) == "auth.attendee_code"


def test_given_issued_codes_when_people_join_then_each_code_admits_one_newcomer() -> None:
    room = Room(verified=True)
    room.do(ORG, "codes.issue", **issue(CODES))
    assert room.refuse("ana", "participant.join") == "auth.attendee_code"
    assert room.refuse("ana", "participant.join", **joining("NOTISSUED1")) == "auth.attendee_code"
    room.do("ana", "participant.join", **joining(CODES[0]))
    assert room.refuse("ben", "participant.join", **joining(CODES[0])) == "auth.attendee_code"
    room.do("ben", "participant.join", **joining(CODES[1]))
    room.do("ana", "participant.join", name="Ana")  # a re-join needs no new code
    assert sorted(room.state.participants) == ["ana", "ben"]
    restored = from_snapshot(to_snapshot(room.state))
    assert restored.attendee_codes == room.state.attendee_codes


def test_given_two_joins_decided_with_one_code_when_both_commit_then_the_second_fails() -> None:
    room = Room(verified=True)
    room.do(ORG, "codes.issue", **issue(CODES[:1]))
    first = room.decide("ana", "participant.join", **joining(CODES[0]))
    second = room.decide("ben", "participant.join", **joining(CODES[0]))
    assert room.commit("ana", first).error is None
    lost = room.commit("ben", second)
    assert lost.error is not None and lost.error.code == "auth.attendee_code"
    assert "ben" not in room.state.participants


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (issue(CODES[:1], count=2), "field.invalid"),
        ({"count": 1, "hashes": ["k1:short"]}, "field.invalid"),
        (issue([CODES[0], CODES[0]]), "field.invalid"),
        ({"count": 0, "hashes": []}, "field.invalid"),
        ({"count": 1}, "field.missing"),
        ({"hashes": issue(CODES[:1])["hashes"]}, "field.missing"),
    ],
)
def test_when_codes_are_malformed_then_nothing_is_issued(fields: dict[str, Any], code: str) -> None:
    room = Room(verified=True)
    assert room.refuse(ORG, "codes.issue", **fields) == code


def test_only_the_organiser_may_issue_codes() -> None:
    room = Room()  # codes may be issued before the room switches to verified
    room.join("ana")
    mod = room.do(ORG, "moderator.add", name="Deputy")["moderator_id"]
    assert room.refuse("ana", "codes.issue", **issue(CODES[:1])) == "auth.forbidden"
    assert room.refuse(mod, "codes.issue", **issue(CODES[:1])) == "auth.forbidden"
    with pytest.raises(CommandError):
        room.do(ORG, "codes.issue", **issue(CODES[:1]))
        room.do(ORG, "codes.issue", **issue(CODES[:1]))  # the same code twice


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
    assert not any(hashlib.sha256(c.encode()).hexdigest() in log for c in codes)
    # The three issued hashes stand in the chain; the join's own code hash is personal data,
    # sealed into the private record beside the chain (docs/TRANSCRIPT.md).
    assert log.count('"k1:') == 3
    # Anyone reading the log sees the hashes of unused codes: sending one instead of a code
    # admits nobody (the edge makes the hashes from the code given, and only from it).
    (issued_entry,) = [json.loads(e) for e in log.splitlines() if '"codes.issued"' in e]
    unused = issued_entry["data"]["hashes"][2]
    forged = {"attendee_code": "CHOSENBYME", "attendee_code_hashes": [unused]}
    assert httpx.post(join, json=forged).status_code == 403
    assert httpx.post(join, json={"attendee_code": codes[2]}).status_code == 200
    report = security_report(server.http, code, org)
    assert report["codes"] == {"issued": 3, "used": 2}
    assert report["refused"]["auth.attendee_code"] >= 3


def test_a_stored_room_from_before_keyed_hashes_admits_its_codes_after_an_upgrade(
    tmp_path: Path,
) -> None:
    """A real store holding a room whose codes were issued as bare SHA-256 (the old log),
    served by this version: the code handed out then still admits, once."""
    room = Room(verified=True)
    room.commit(ORG, CodesIssued(hashes=(legacy_hash(CODES[0]),)))
    data = tmp_path / "data"
    data.mkdir()

    async def store_it() -> None:
        store = SqliteStore(data / "townhall.db")
        await store.open()
        try:
            entries = []
            for rec in room.records:
                wire = event_to_dict(rec.event)
                entries.append(Entry(rec.at, rec.actor, rec.op_id, wire["type"], wire["data"]))
            await store.append("TOWN", entries)
        finally:
            await store.close()

    asyncio.run(store_it())
    server = LiveServer(data).start()
    try:
        join = f"{server.http}/api/rooms/TOWN/join"
        assert httpx.post(join, json={"attendee_code": CODES[1]}).status_code == 403
        assert httpx.post(join, json={"attendee_code": CODES[0]}).status_code == 200
        again = httpx.post(join, json={"attendee_code": CODES[0]})
        assert again.status_code == 403 and again.json()["error"]["code"] == "auth.attendee_code"
    finally:
        server.stop()
