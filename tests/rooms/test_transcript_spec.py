"""docs/TRANSCRIPT.md's test vectors hold for the code: canonical JSON, the entry hash, a
commitment, ballot keys, and a recount (replaced, late and counted ballots)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rooms.chain import canonical_json, entry_hash
from rooms.privacy import ballot_key, commitment
from rooms.recount import leaderboard, recount

SPEC = Path(__file__).resolve().parents[2] / "docs" / "TRANSCRIPT.md"


def _vectors() -> dict[str, Any]:
    text = SPEC.read_text(encoding="utf-8")
    found = re.search(r"<!-- vectors -->\s*```json\n(.*?)```\s*<!-- /vectors -->", text, re.S)
    assert found, "docs/TRANSCRIPT.md lost its test vectors"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_canonical_json_sorts_by_code_point_and_escapes_only_what_json_must() -> None:
    for case in _vectors()["canonical"]:
        assert canonical_json(case["value"]).decode("utf-8") == case["json"]


def test_the_entry_hash() -> None:
    e = _vectors()["entry"]
    body = {k: e[k] for k in ("room", "seq", "at", "actor", "op_id", "type", "data")}
    assert entry_hash(e["prev"], **body) == e["hash"]


def test_a_commitment_and_ballot_keys() -> None:
    v = _vectors()
    c = v["commitment"]
    assert commitment(c["salt"], c["value"]) == c["hash"]
    keys = set()
    for case in v["ballot_key"]:
        key = ballot_key(bytes.fromhex(case["room_key"]), case["participant"], case["scope"])
        assert key == case["key"]
        keys.add(key)
    assert len(keys) == len(v["ballot_key"])  # one person, two scopes: two unlinked keys


def test_the_recount_vector() -> None:
    r = _vectors()["recount"]
    entries = [{"room": "R", "op_id": "", **e} for e in r["entries"]]
    tally = recount(entries)
    assert {str(k): v for k, v in tally.results.items()} == r["results"]
    assert sorted(tally.counted) == r["counted"]
    assert 4 in tally.cast and 8 not in tally.cast  # replaced; after the close


def test_the_quiz_vector_recounts_results_and_leaderboard() -> None:
    q = _vectors()["quiz"]
    tally = recount([{"room": "R", "op_id": "", **e} for e in q["entries"]])
    assert {str(k): v for k, v in tally.results.items()} == q["results"]
    assert leaderboard(tally.players) == q["leaderboard"]
    assert 10 not in tally.cast  # after the reveal
    assert 16 not in tally.cast  # at the deadline
    assert 5 in tally.cast and 5 not in tally.counted  # changed: counts from its change
    assert 24 in tally.counted and 25 not in tally.cast  # 25 resends 21: skipped
