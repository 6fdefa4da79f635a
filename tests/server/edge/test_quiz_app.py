"""A quiz through the app: API, WebSocket and pages; its right options sealed until revealed."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from typing import Any

import httpx

from server.tools.verify import verify_lines
from tests.support.live_server import LiveServer
from tests.support.wsclient import Client, create_room, join

_ids = itertools.count(1)


def _ops(server: LiveServer, code: str, token: str, op: str, **fields: Any) -> httpx.Response:
    return httpx.post(
        f"{server.http}/api/rooms/{code}/ops",
        timeout=10,
        headers={"authorization": f"Bearer {token}"},
        json={"op": op, "op_id": f"quiz-{next(_ids)}", **fields},
    )


def _get(server: LiveServer, path: str, token: str) -> httpx.Response:
    return httpx.get(
        f"{server.http}{path}", headers={"authorization": f"Bearer {token}"}, timeout=10
    )


def test_a_quiz_runs_end_to_end_and_keeps_its_answers_secret(server: LiveServer) -> None:
    room = create_room(server.http, "Quiz night", moderation="post")
    code, mod = room["code"], room["moderator_token"]
    created = _ops(
        server,
        code,
        mod,
        "poll.create",
        kind="quiz",
        question="Oldest tree in the park?",
        options=["Oak", "Elm", "Ash"],
        correct=[1],
        window_s=30,
    )
    assert created.status_code == 200, created.text
    poll_id = created.json()["poll_id"]
    assert _ops(server, code, mod, "poll.open", poll_id=poll_id).status_code == 200
    ana = join(server.http, code, name="Ana")
    anon = join(server.http, code)

    async def scenario() -> None:
        screen = await Client.open(server.ws, code, room["screen_token"])
        overlay = await Client.open(server.ws, code, room["embed_token"])
        ana_ws = await Client.open(server.ws, code, ana["participant_token"])
        anon_ws = await Client.open(server.ws, code, anon["participant_token"])
        ack = await ana_ws.op("vote", poll_id=poll_id, choice=1)
        assert ack["type"] == "ack" and "correct" not in json.dumps(ack)
        await anon_ws.op("vote", poll_id=poll_id, choice=1)
        await asyncio.sleep(0.3)  # a tick or two: every frame so far, before the reveal
        for client in (screen, overlay, ana_ws, anon_ws):
            assert '"correct"' not in json.dumps(client.frames)
        # Every way a non-moderator reads the live room, before the reveal.
        for token in (ana["participant_token"], room["screen_token"], room["embed_token"]):
            body = _get(server, f"/api/rooms/{code}", token).text
            assert '"correct"' not in body and '"right"' not in body
        async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
            for path in (
                f"/r/{code}/screen?token={room['screen_token']}",
                f"/r/{code}/embed?token={room['embed_token']}",
            ):
                page = await http.get(path, follow_redirects=True)
                assert page.status_code == 200 and 'class="right"' not in page.text
        staff_copy = _get(server, f"/api/rooms/{code}/transcript", mod)
        assert staff_copy.status_code == 200 and '"correct":[1]' in staff_copy.text

        assert _ops(server, code, mod, "poll.reveal", poll_id=poll_id).status_code == 200
        board = await screen.wait_for(lambda f: f["type"] == "quiz.leaderboard")
        rows = board["leaderboard"]
        # Ana answered first: ahead, or level (1 point per 60 ms here) and first on time.
        assert rows[0]["name"] == "Ana" and rows[0]["points"] >= rows[1]["points"]
        assert rows[1]["name"] is None and re.fullmatch(r"[2-9A-Z]{5}", rows[1]["tag"])
        assert anon["participant_id"] not in json.dumps(screen.frames)
        scored = await ana_ws.wait_for(lambda f: f["type"] == "quiz.scored")
        assert scored["poll_id"] == poll_id and 500 < scored["points"] <= 1000
        late = await anon_ws.op("vote", poll_id=poll_id, choice=0)
        assert late["type"] == "error" and late["code"] == "poll.closed"
        for client in (screen, overlay, ana_ws, anon_ws):
            await client.close()

    asyncio.run(scenario())
    # Published only after close (issue 17); `townhall verify` recounts the published log alone.
    assert _ops(server, code, mod, "room.close").status_code == 200
    assert _ops(server, code, mod, "room.publish").status_code == 200
    opened = httpx.get(f"{server.http}/api/rooms/{code}/transcript", timeout=10)
    assert opened.status_code == 200 and "poll.created" in opened.text
    checked = verify_lines(opened.text.splitlines())
    assert checked.ok, checked.problems
    recount = next(p for p in checked.polls if p["poll_id"] == poll_id)
    # The public recount redoes the quiz and its points from the chain (rooms/recount.py).
    assert recount["kind"] == "quiz"
    assert recount["results"] == {"voters": 2, "counts": [0, 2, 0], "correct": [1], "right": 2}
    report = _get(server, f"/api/rooms/{code}/report", mod).json()
    assert checked.recount is not None
    assert sorted(s["points"] for s in checked.recount.players.values()) == sorted(
        r["points"] for r in report["quiz"]["leaderboard"]
    )
    quiz = next(p for p in report["polls"] if p["kind"] == "quiz")
    assert quiz["results"]["correct"] == [1] and quiz["results"]["right"] == 2
    assert report["quiz"]["leaderboard"][0]["name"] == "Ana"
    with httpx.Client(base_url=server.http, timeout=10) as organiser:
        organiser.get(room["urls"]["moderate"])  # the panel's cookie opens the report page
        page = organiser.get(f"/r/{code}/report").text
    assert 'id="leaderboard"' in page and '<li value="1"><span class="board-name">Ana' in page
    assert "Right answer: Elm" in page
    export = _get(server, f"/api/rooms/{code}/export/polls/{poll_id}.csv", mod).text
    assert export.splitlines()[0].endswith(",correct") and "Elm,2,100.0,True" in export


def test_the_pages_show_the_board_and_the_players_score(server: LiveServer) -> None:
    room = create_room(server.http, "Quiz night")
    code, mod = room["code"], room["moderator_token"]
    poll_id = _ops(
        server,
        code,
        mod,
        "poll.create",
        kind="quiz",
        question="Capital?",
        options=["Lyon", "Paris"],
        correct=[1],
    ).json()["poll_id"]
    _ops(server, code, mod, "poll.open", poll_id=poll_id)
    with httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http}) as c:
        _vote_and_see_the_score(server, room, poll_id, c)


def _vote_and_see_the_score(
    server: LiveServer, room: dict[str, Any], poll_id: int, client: httpx.Client
) -> None:
    code, mod = room["code"], room["moderator_token"]
    page = client.get(f"/r/{code}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    client.post(f"/r/{code}/join", data={"csrf": csrf.group(1), "name": "Zoé <b>"})
    page = client.get(f"/r/{code}")
    assert 'type="radio" name="choice" value="1" required' in page.text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    voted = client.post(
        f"/r/{code}/act",
        data={
            "csrf": csrf.group(1),
            "op": "vote",
            "poll_id": str(poll_id),
            "choice": "1",
        },
    )
    assert voted.status_code == 303 and "error" not in voted.headers["location"]
    assert "quiz-score" not in client.get(f"/r/{code}").text.replace(
        '<div id="quiz-score" data-personal role="status"></div>', ""
    )
    _ops(server, code, mod, "poll.reveal", poll_id=poll_id)
    page = client.get(f"/r/{code}?lang=fr").text
    assert re.search(r"Vous avez marqué [\d\u202f\xa0]+ points", page)
    assert '<strong class="right">✓ Bonne réponse</strong>' in page
    with httpx.Client(base_url=server.http, timeout=10) as screen:
        token = room["screen_token"]
        shown = screen.get(f"/r/{code}/screen?token={token}", follow_redirects=True)
        part = screen.get(f"/r/{code}/screen/leaderboard")
    assert 'id="leaderboard"' in shown.text and "Zoé &lt;b&gt;" in shown.text
    assert part.status_code == 200 and part.text.lstrip().startswith('<section id="leaderboard"')
    assert httpx.get(f"{server.http}/r/{code}/screen/leaderboard", timeout=10).status_code == 401


def test_the_panel_builds_a_quiz_from_starred_options(server: LiveServer) -> None:
    room = create_room(server.http, "Quiz night")
    with httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http}) as c:
        _build_from_the_panel(server, room, c)


def _build_from_the_panel(server: LiveServer, room: dict[str, Any], client: httpx.Client) -> None:
    code = room["code"]
    panel = client.get(room["urls"]["moderate"], follow_redirects=True)
    assert f'href="/r/{code}/moderate?kind=quiz#polls"' in panel.text  # its own builder
    quiz = client.get(f"/r/{code}/moderate?kind=quiz").text.split('id="new-poll"')[1]
    assert 'name="window_s"' in quiz.split("</form>")[0]
    assert "start each right option with *" in quiz
    csrf = re.search(r'name="csrf" value="([^"]+)"', panel.text)
    assert csrf is not None
    made = client.post(
        f"/r/{code}/moderate/act",
        data={
            "csrf": csrf.group(1),
            "op": "poll.create",
            "kind": "quiz",
            "question": "Rivers?",
            "options": "Seine\n*Rhône\n* Loire\nThames",
            "window_s": "15",
        },
    )
    assert made.status_code == 303 and "error" not in made.headers["location"], made.headers
    polls = _get(server, f"/api/rooms/{code}", room["moderator_token"]).json()["room"]["polls"]
    assert polls[0]["options"] == ["Seine", "Rhône", "Loire", "Thames"]
    assert polls[0]["results"]["correct"] == [1, 2] and polls[0]["window_s"] == 15


def test_an_unrevealed_quiz_keeps_both_public_records_shut(server: LiveServer) -> None:
    """Closed and published with a quiz never revealed: its right options are in the log and
    in the published record, so the public reads neither; staff still read both."""
    room = create_room(server.http, "Quiz left unrevealed")
    code, mod = room["code"], room["moderator_token"]
    created = _ops(server, code, mod, "poll.create", kind="quiz", question="Which river?",
                   options=["Ouse", "Wear"], correct=[0], window_s=30)
    assert created.status_code == 200, created.text
    assert _ops(server, code, mod, "poll.open", poll_id=created.json()["poll_id"]).is_success
    assert _ops(server, code, mod, "room.close").status_code == 200
    assert _ops(server, code, mod, "room.publish").status_code == 200
    for path in (f"/api/rooms/{code}/transcript", f"/api/rooms/{code}/published"):
        public = httpx.get(server.http + path, timeout=10)
        assert public.status_code == 409, (path, public.text)
        assert public.json()["error"]["code"] == "transcript.sealed"
        assert '"correct"' not in public.text
        staff = _get(server, path, mod)
        assert staff.status_code == 200 and '"correct"' in staff.text, path
