"""A quiz night recounted from its published record alone: every quiz's results and the
leaderboard, by `townhall verify` (rooms/recount.py) and by the check page's verify.js (run
in node on the very same record), and both agree with the scores the live room gave."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from rooms.recount import leaderboard
from server.tools.verify import verify_lines
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

ROOT = Path(__file__).resolve().parents[3]
VERIFY_JS = ROOT / "static" / "js" / "verify.js"
# Reads {"record"} or {"entries"} on stdin, prints what verify.js makes of it.
_NODE_RUN = """
const { verify, recount, leaderboard } = require(process.argv[1]);
let text = "";
process.stdin.on("data", (chunk) => (text += chunk));
process.stdin.on("end", async () => {
  const input = JSON.parse(text);
  let out;
  if (input.record) out = await verify(input.record, "");
  else {
    const r = recount(input.entries);
    out = { results: r.results, leaderboard: leaderboard(r.players),
            counted: [...r.standing].sort((a, b) => a - b) };
  }
  process.stdout.write(JSON.stringify(out));
});
"""


def _node(input_: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (make setup needs it too)")
    done = subprocess.run(
        [node, "-e", _NODE_RUN, str(VERIFY_JS)],
        input=json.dumps(input_),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _vectors() -> dict[str, Any]:
    text = (ROOT / "docs" / "TRANSCRIPT.md").read_text(encoding="utf-8")
    block = text.split("<!-- vectors -->", 1)[1].split("<!-- /vectors -->", 1)[0]
    return json.loads(block.strip().removeprefix("```json").removesuffix("```"))  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def quiz_night(server: LiveServer) -> dict[str, Any]:
    """Three quizzes (one untimed, one on a timer, one never revealed, later deleted) and
    five players: one changes an answer, one answers only after a reveal, two never answer
    right."""

    async def run() -> dict[str, Any]:
        room = create_room(server.http, "Quiz night «Ω»")
        code = room["code"]
        org = await Client.open(server.ws, code, room["moderator_token"])
        people = [join(server.http, code, name=f"Player {i}") for i in range(4)]
        people.append(join(server.http, code))  # anonymous: a tag on the live board
        players = [await Client.open(server.ws, code, p["participant_token"]) for p in people]

        async def quiz(correct: list[int], **fields: Any) -> int:
            made = await org.op(
                "poll.create",
                kind="quiz",
                question="Which?",
                options=["A", "B", "C"],
                correct=correct,
                window_s=5,
            )
            assert made["type"] == "ack", made
            opened = await org.op("poll.open", poll_id=made["poll_id"], **fields)
            assert opened["type"] == "ack", opened
            return int(made["poll_id"])

        first = await quiz([1])
        for i, p in enumerate(players[:4]):
            assert (await p.op("vote", poll_id=first, choice=1 if i != 3 else 0))["type"] == "ack"
            await asyncio.sleep(0.05)  # different speeds, different points
        await players[3].op("vote", poll_id=first, choice=1)  # changed: counts from now
        await org.op("poll.reveal", poll_id=first)
        late = await players[4].op("vote", poll_id=first, choice=1)
        second = await quiz([0, 2], duration_s=60)
        for i, p in enumerate(players):
            await p.op("vote", poll_id=second, choice=(0, 1, 2, 1, 0)[i])
        await org.op("poll.close", poll_id=second)
        await org.op("poll.reveal", poll_id=second)
        third = await quiz([2])
        await players[0].op("vote", poll_id=third, choice=2)
        await org.op("poll.delete", poll_id=third)  # never revealed: never scored
        for pid in (first, second, third):
            await org.op("poll.close", poll_id=pid)
        await org.op("room.close")
        published = await org.op("room.publish")
        for c in [org, *players]:
            await c.close()
        return {
            "code": code,
            "token": room["moderator_token"],
            "late": late,
            "published": published,
            "polls": (first, second),
        }

    return asyncio.run(run())


@pytest.fixture(scope="module")
def record(server: LiveServer, quiz_night: dict[str, Any]) -> dict[str, Any]:
    assert quiz_night["published"]["type"] == "ack", quiz_night["published"]
    r = httpx.get(f"{server.http}/api/rooms/{quiz_night['code']}/published", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_townhall_verify_recounts_the_quiz_results_and_the_leaderboard(
    record: dict[str, Any], quiz_night: dict[str, Any]
) -> None:
    assert quiz_night["late"]["code"] == "poll.closed"  # no votes once the answers are out
    result = verify_lines([json.dumps(record)])
    assert result.ok, result.problems
    assert result.recount is not None
    first, second = quiz_night["polls"]
    recounted = {p["poll_id"]: p["results"] for p in result.polls}
    assert recounted[first] == {"voters": 4, "counts": [0, 4, 0], "correct": [1], "right": 4}
    assert recounted[second] == {"voters": 5, "counts": [2, 2, 1], "correct": [0, 2], "right": 3}
    board = record["leaderboard"]
    assert board == leaderboard(result.recount.players)
    assert len(board) == 5 and {row["answered"] for row in board} == {1, 2}
    assert [row["right"] for row in board] == sorted((row["right"] for row in board), reverse=True)
    # Players stand under their quiz ballot keys, the same in both quizzes; nobody by name.
    keys = {e["actor"] for e in record["entries"] if e["type"] == "ballot.cast"}
    assert {row["player"] for row in board} <= keys
    assert "Player" not in json.dumps(board)


def test_the_record_leaderboard_is_the_live_one(
    server: LiveServer, record: dict[str, Any], quiz_night: dict[str, Any]
) -> None:
    """The record's points come from the live room's state (rooms/quiz.py), not from the
    recount, so the recount above checks the server's scoring."""
    live = httpx.get(
        f"{server.http}/api/rooms/{quiz_night['code']}",
        headers={"authorization": f"Bearer {quiz_night['token']}"},
        timeout=10,
    ).json()
    rows = live["room"]["leaderboard"]
    assert [(r["rank"], r["points"], r["right"], r["answered"]) for r in rows] == [
        (r["rank"], r["points"], r["right"], r["answered"]) for r in record["leaderboard"]
    ]


def test_verify_js_agrees_with_the_python_recount(record: dict[str, Any]) -> None:
    ours = verify_lines([json.dumps(record)])
    assert ours.recount is not None
    theirs = _node({"record": record})
    assert theirs["problems"] == []
    assert theirs["leaderboard"] == leaderboard(ours.recount.players) == record["leaderboard"]
    assert theirs["results"] == {str(p["poll_id"]): p["results"] for p in ours.polls}


def test_a_changed_leaderboard_fails_both_verifiers(record: dict[str, Any]) -> None:
    forged = json.loads(json.dumps(record))
    forged["leaderboard"][0]["points"] += 1
    assert "leaderboard" in " ".join(verify_lines([json.dumps(forged)]).problems)
    assert any("leaderboard" in p for p in _node({"record": forged})["problems"])
    swapped = json.loads(json.dumps(record))
    swapped["leaderboard"][0]["player"], swapped["leaderboard"][1]["player"] = (
        swapped["leaderboard"][1]["player"],
        swapped["leaderboard"][0]["player"],
    )
    assert not verify_lines([json.dumps(swapped)]).ok
    assert _node({"record": swapped})["problems"]


@pytest.mark.parametrize("name", ["recount", "quiz"])
def test_verify_js_reproduces_the_spec_vectors(name: str) -> None:
    """The same vectors tests/rooms/test_transcript_spec.py holds rooms/recount.py to."""
    vector = _vectors()[name]
    theirs = _node({"entries": [{"room": "R", "op_id": "", **e} for e in vector["entries"]]})
    assert theirs["results"] == vector["results"]
    if "leaderboard" in vector:
        assert theirs["leaderboard"] == vector["leaderboard"]
    if "counted" in vector:
        assert theirs["counted"] == vector["counted"]
