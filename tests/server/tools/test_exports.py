"""After the meeting, over a real server: transcript, CSV exports, report, verify, CLI tools."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.tools.verify import verify_lines
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

TOKEN_FREE = "When will the <script>alert(1)</script> library reopen?"
FORMULA = "=HYPERLINK(\"http://evil\")"


def _auth(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def meeting(server: LiveServer) -> dict[str, Any]:
    """A short meeting: 3 people, one poll (a changed vote), two questions, one answered."""

    async def run() -> dict[str, Any]:
        room = create_room(server.http, "After-meeting test", districts=["North", "South"])
        code, token = room["code"], room["moderator_token"]
        mod = await Client.open(server.ws, code, token)
        people = [
            join(server.http, code, name="Ann", district="North"),
            join(server.http, code, name="Ben", district="South"),
            join(server.http, code, name="Cy"),
        ]
        clients = [await Client.open(server.ws, code, p["participant_token"]) for p in people]
        poll_id = (
            await mod.op("poll.create", kind="single", question="Bus lane?", options=["Yes", "No"])
        )["poll_id"]
        await mod.op("poll.open", poll_id=poll_id)
        acks = [await c.op("vote", poll_id=poll_id, choice=i % 2) for i, c in enumerate(clients)]
        changed = await clients[2].op("vote", poll_id=poll_id, choice=1)  # Cy: yes -> no
        assert all(a["type"] == "ack" for a in [*acks, changed])
        q1 = (await clients[0].op("question.ask", text=TOKEN_FREE, anonymous=False))[
            "question_id"
        ]
        q2 = (await clients[1].op("question.ask", text=FORMULA, anonymous=True))["question_id"]
        await mod.op("question.approve", question_id=q1)
        await mod.op("question.reject", question_id=q2, reason="spam")
        await clients[1].op("question.upvote", question_id=q1)
        await mod.op("question.answer", question_id=q1, text="In March.")
        await mod.op("poll.close", poll_id=poll_id)
        for c in [mod, *clients]:
            await c.close()
        return {
            "code": code,
            "token": token,
            "poll_id": poll_id,
            "ack": acks[0],
            "changed": changed,
            "people": people,
            "q1": q1,
        }

    return asyncio.run(run())


@pytest.fixture(scope="module")
def transcript(server: LiveServer, meeting: dict[str, Any]) -> list[str]:
    r = httpx.get(
        f"{server.http}/api/rooms/{meeting['code']}/transcript",
        headers=_auth(meeting["token"]),
        timeout=10,
    )
    assert r.status_code == 200
    return r.text.splitlines()


def _vote_line(lines: list[str], seq: int) -> tuple[int, dict[str, Any]]:
    for i, line in enumerate(lines):
        d = json.loads(line)
        if d["seq"] == seq:
            assert d["type"] == "ballot.cast"
            return i, d
    raise AssertionError(seq)


def test_untouched_transcript_and_a_real_receipt_verify(
    transcript: list[str], meeting: dict[str, Any]
) -> None:
    receipt = meeting["ack"]["receipt"]
    result = verify_lines(transcript, [(receipt["seq"], receipt["hash"])])
    assert result.ok, result.problems
    assert result.receipts == [
        {"seq": receipt["seq"], "hash": receipt["hash"], "found": True, "ballot": "counted"}
    ]
    (poll,) = result.polls
    # Ann yes, Ben no, Cy yes then no: the recount says 1 yes, 2 no
    assert poll["results"] == {"voters": 3, "counts": [1, 2]}


def test_a_changed_vote_fails_at_its_seq(transcript: list[str], meeting: dict[str, Any]) -> None:
    seq = meeting["ack"]["receipt"]["seq"]
    index, line = _vote_line(transcript, seq)
    line["data"]["choice"] = 1 - line["data"]["choice"]
    tampered = [*transcript]
    tampered[index] = json.dumps(line)
    result = verify_lines(tampered)
    assert not result.ok and result.first_bad_seq == seq
    assert "hash mismatch" in result.problems[0] and result.polls == []

    # A forger who also rewrites that entry's hash is caught by the next entry's link.
    from rooms.chain import entry_hash

    body = {k: line[k] for k in ("room", "seq", "at", "actor", "op_id", "type", "data")}
    line["hash"] = entry_hash(line["prev"], **body)
    tampered[index] = json.dumps(line)
    result = verify_lines(tampered)
    assert result.first_bad_seq == seq + 1 and "prev" in result.problems[0]


def test_a_receipt_not_in_the_log_is_reported(
    transcript: list[str], meeting: dict[str, Any]
) -> None:
    receipt = meeting["ack"]["receipt"]
    result = verify_lines(transcript, [(receipt["seq"], "f" * 64), (10_000, receipt["hash"])])
    assert not result.ok and [r["found"] for r in result.receipts] == [False, False]
    assert any("not in the log" in p for p in result.problems)
    assert any("beyond the end" in p for p in result.problems)


def test_broken_lines_are_named() -> None:
    assert verify_lines(["{nope"]).first_bad_seq == 1
    assert verify_lines([]).ok is False
    good = verify_lines(['{"seq": 1}'])
    assert good.first_bad_seq == 1 and "missing" in good.problems[0]


def test_questions_and_poll_csv(server: LiveServer, meeting: dict[str, Any]) -> None:
    base = f"{server.http}/api/rooms/{meeting['code']}/export"
    r = httpx.get(f"{base}/questions.csv", headers=_auth(meeting["token"]), timeout=10)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["state"] for row in rows] == ["answered", "rejected"]
    first, second = rows
    assert first["text"] == TOKEN_FREE and first["author"] == "Ann"
    assert first["upvotes"] == "1" and first["answer"] == "In March." and first["answered_at"]
    assert second["author"] == "" and second["reason"] == "spam"  # anonymous: no author
    assert second["text"] == "'" + FORMULA  # not run as a formula by a spreadsheet

    r = httpx.get(f"{base}/polls/{meeting['poll_id']}.csv", headers=_auth(meeting["token"]))
    assert list(csv.reader(io.StringIO(r.text))) == [
        ["option_index", "option", "votes", "percent_of_voters"],
        ["0", "Yes", "1", "33.3"],
        ["1", "No", "2", "66.7"],
        ["voters", "", "3"],
    ]
    r = httpx.get(
        f"{base}/polls/{meeting['poll_id']}-ballots.csv", headers=_auth(meeting["token"])
    )
    assert list(csv.reader(io.StringIO(r.text))) == [
        ["ballot", "choice"],
        ["Yes", "0"],
        ["No", "1"],
        ["No", "1"],
    ]
    assert meeting["people"][0]["participant_id"] not in r.text


def test_exports_need_a_moderator(server: LiveServer, meeting: dict[str, Any]) -> None:
    base = f"{server.http}/api/rooms/{meeting['code']}"
    attendee = meeting["people"][0]["participant_token"]
    for path in ("/export/questions.csv", f"/export/polls/{meeting['poll_id']}.csv", "/report"):
        assert httpx.get(base + path).status_code == 401
        assert httpx.get(base + path, headers=_auth(attendee)).status_code == 403
    r = httpx.get(f"{base}/export/polls/999.csv", headers=_auth(meeting["token"]))
    assert r.status_code == 404 and r.json()["error"]["code"] == "poll.not_found"


def test_report_json_and_html(server: LiveServer, meeting: dict[str, Any]) -> None:
    code = meeting["code"]
    r = httpx.get(f"{server.http}/api/rooms/{code}/report", headers=_auth(meeting["token"]))
    assert r.status_code == 200
    report = r.json()
    assert report["participants"]["joined"] == 3 and report["participants"]["active"] == 3
    (poll,) = report["polls"]
    assert poll["voters"] == 3 and poll["ballots_cast"] == 4 and poll["participation_rate"] == 1
    assert report["questions"]["asked"] == 2 and report["questions"]["answered"] == 1
    assert report["questions"]["rejected_by_reason"] == {"spam": 1}

    with httpx.Client(base_url=server.http, follow_redirects=True) as browser:
        page = browser.get(f"/r/{code}/report?token={meeting['token']}")
        assert page.status_code == 200 and "token=" not in str(page.url)
        html = page.text
        assert "<svg" in html and "Bus lane?" in html
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert browser.get(f"/r/{code}/report").status_code == 200  # the cookie
    assert httpx.get(f"{server.http}/r/{code}/report").status_code == 401


def test_the_transcript_is_public_once_published(
    server: LiveServer, meeting: dict[str, Any]
) -> None:
    url = f"{server.http}/api/rooms/{meeting['code']}/transcript"
    assert httpx.get(url).status_code == 401
    ops = f"{server.http}/api/rooms/{meeting['code']}/ops"
    attendee = meeting["people"][0]["participant_token"]
    r = httpx.post(ops, json={"op": "room.publish", "op_id": "p0"}, headers=_auth(attendee))
    assert r.status_code == 403
    r = httpx.post(ops, json={"op": "room.close", "op_id": "c1"}, headers=_auth(meeting["token"]))
    assert r.status_code == 200
    r = httpx.post(
        ops, json={"op": "room.publish", "op_id": "p1"}, headers=_auth(meeting["token"])
    )
    assert r.status_code == 200, r.text
    public = httpx.get(url)
    assert public.status_code == 200
    assert verify_lines(public.text.splitlines()).ok
    assert json.loads(public.text.splitlines()[-1])["type"] == "room.transcript_published"


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.tools.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_cli_verify_export_report_replay(
    server: LiveServer, meeting: dict[str, Any], transcript: list[str], tmp_path: Path
) -> None:
    import os

    log = tmp_path / "room.jsonl"
    log.write_text("\n".join(transcript) + "\n", encoding="utf-8")
    receipt = meeting["changed"]["receipt"]
    ok = _cli("verify", str(log), "--receipt", f"{receipt['seq']}:{receipt['hash']}")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK" in ok.stdout and '"counts": [1, 2]' in ok.stdout and "found" in ok.stdout

    index, line = _vote_line(transcript, receipt["seq"])
    line["data"]["choice"] = 0
    bad = [*transcript]
    bad[index] = json.dumps(line)
    (tmp_path / "bad.jsonl").write_text("\n".join(bad), encoding="utf-8")
    failed = _cli("verify", str(tmp_path / "bad.jsonl"))
    assert failed.returncode == 1 and f"FAILED at seq {receipt['seq']}" in failed.stdout
    missing = _cli("verify", str(log), "--receipt", f"{receipt['seq']}:{'0' * 64}")
    assert missing.returncode == 1 and "MISSING" in missing.stdout
    assert _cli("verify", str(log), "--receipt", "nonsense").returncode == 2

    env = {**os.environ, "TOWNHALL_DATA_DIR": str(server.data_dir)}
    env.pop("TOWNHALL_STORE_URL", None)
    out = tmp_path / "out"
    exported = _cli("export", meeting["code"], "--out", str(out), env=env)
    assert exported.returncode == 0, exported.stderr
    code, poll_id = meeting["code"], meeting["poll_id"]
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [
            f"{code}.jsonl",
            f"{code}-published.json",  # the room was closed by an earlier test
            f"{code}-questions.csv",
            f"{code}-poll-{poll_id}.csv",
            f"{code}-poll-{poll_id}-ballots.csv",
            f"{code}-report.json",
        ]
    )
    assert verify_lines((out / f"{code}.jsonl").read_text().splitlines()).ok
    assert _cli("export", "NOSUCH", "--out", str(out), env=env).returncode == 2

    html = _cli("report", meeting["code"], "--format", "html", env=env)
    assert html.returncode == 0 and "<svg" in html.stdout and "<style>" in html.stdout
    assert "<script>alert(1)</script>" not in html.stdout
    as_json = _cli("report", meeting["code"], env=env)
    assert json.loads(as_json.stdout)["polls"][0]["results"]["counts"] == [1, 2]
    published = _cli("verify", str(out / f"{code}-published.json"))
    assert published.returncode == 0 and "recount matches" in published.stdout

    # The public log holds no names nor texts awaiting review: it recounts, but does not
    # replay into a room (that takes the store, beside which the private records live).
    for command in ("report", "replay"):
        refused = _cli(command, str(log))
        assert refused.returncode == 2 and "sealed entry" in refused.stderr
