"""The pages over plain HTTP: rendering, escaping, headers, CSRF, and voting with JavaScript off."""

from __future__ import annotations

import gzip
import itertools
import re
from typing import Any

import httpx

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

_op_ids = itertools.count(1)


def _ops(server: LiveServer, room: dict[str, Any], op: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(f"{server.http}/api/rooms/{room['code']}/ops", timeout=10,
                          headers={"authorization": f"Bearer {room['moderator_token']}"},
                          json={"op": op, "op_id": f"t-{next(_op_ids)}", **fields})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _joined(server: LiveServer, code: str, name: str = "Ana") -> tuple[httpx.Client, str]:
    """A browser-like client that joined through the no-JS form; returns it and a page."""
    client = httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http})
    page = client.get(f"/r/{code}")
    assert page.status_code == 200
    joined = client.post(f"/r/{code}/join", data={"csrf": _csrf(page.text), "name": name})
    assert joined.status_code == 303, joined.text
    assert f"th_{code}" in client.cookies
    page = client.get(f"/r/{code}")
    assert 'data-op="question.ask"' in page.text
    return client, page.text


def test_home_and_join_by_code(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    home = httpx.get(server.http + "/", timeout=10)
    assert home.status_code == 200 and 'action="/join"' in home.text
    found = httpx.get(server.http + f"/join?code={room['code'].lower()}", timeout=10)
    assert found.status_code == 303 and found.headers["location"] == f"/r/{room['code']}"
    assert httpx.get(server.http + "/r/NOSUCH", timeout=10).status_code == 404


def test_every_page_renders_with_a_strict_csp(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    urls = room["urls"]
    with httpx.Client(timeout=10) as client:
        for name in ("attend", "moderate", "screen", "embed"):
            response = client.get(urls[name], follow_redirects=True)
            assert response.status_code == 200, (name, response.text)
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "style-src 'self'" in csp
            assert "unsafe-inline" not in csp
            assert ("frame-ancestors *" in csp) == (name == "embed")
            assert "<script>" not in response.text  # config travels in data- attributes


def test_staff_token_moves_from_the_url_into_a_cookie(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    with httpx.Client(timeout=10) as client:
        first = client.get(room["urls"]["moderate"])
        assert first.status_code == 303 and "token" not in first.headers["location"]
        assert client.get(server.http + first.headers["location"]).status_code == 200
        stranger = httpx.get(f"{server.http}/r/{room['code']}/moderate", timeout=10)
        assert stranger.status_code == 401 and "This link is not valid" in stranger.text


def test_question_text_is_escaped(server: LiveServer) -> None:
    room = create_room(server.http, "Council", moderation="post")
    client, _page = _joined(server, room["code"])
    page = client.get(f"/r/{room['code']}")
    text = "<script>alert('x')</script> parks?"
    asked = client.post(f"/r/{room['code']}/act",
                        data={"csrf": _csrf(page.text), "op": "question.ask", "text": text})
    assert asked.status_code == 303 and "error" not in asked.headers["location"]
    html = client.get(f"/r/{room['code']}").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; parks?" in html
    client.close()


def test_cross_site_post_is_refused(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    poll = _ops(server, room, "poll.create", kind="single", question="Q?", options=["a", "b"])
    _ops(server, room, "poll.open", poll_id=poll["poll_id"])
    client, page = _joined(server, room["code"])
    vote = {"op": "vote", "poll_id": str(poll["poll_id"]), "choice": "0"}
    evil = client.post(f"/r/{room['code']}/act", headers={"origin": "https://evil.example"},
                       data={"csrf": _csrf(page), **vote})
    assert evil.status_code == 403
    forged = client.post(f"/r/{room['code']}/act", data={"csrf": "x" * 32, **vote})
    assert forged.status_code == 403
    view = httpx.get(f"{server.http}/api/rooms/{room['code']}", timeout=10,
                     headers={"authorization": f"Bearer {room['moderator_token']}"}).json()
    assert view["room"]["polls"][0]["results"]["voters"] == 0
    client.close()


def test_no_js_form_vote_counts_once(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    single = _ops(server, room, "poll.create", kind="single", question="Which park?",
                  options=["North", "River"])["poll_id"]
    budget_id = _ops(server, room, "poll.create", kind="budget", question="Split 100",
                     options=["A", "B", "C"])["poll_id"]
    _ops(server, room, "poll.open", poll_id=single)
    _ops(server, room, "poll.open", poll_id=budget_id)
    client, page = _joined(server, room["code"])
    form = {"csrf": _csrf(page), "op": "vote", "op_id": "form-1", "poll_id": str(single),
            "choice": "1"}
    for _ in range(2):  # a double submit of the same rendered form
        voted = client.post(f"/r/{room['code']}/act", data=form)
        assert voted.status_code == 303 and "done=vote" in voted.headers["location"]
    budget = client.post(f"/r/{room['code']}/act", data={
        "csrf": _csrf(page), "op": "vote", "poll_id": str(budget_id),
        "amount_0": "60", "amount_2": "40"})
    assert "done=vote" in budget.headers["location"], budget.headers["location"]
    view = httpx.get(f"{server.http}/api/rooms/{room['code']}", timeout=10,
                     headers={"authorization": f"Bearer {room['moderator_token']}"}).json()
    polls = view["room"]["polls"]
    assert polls[0]["results"] == {"voters": 1, "counts": [0, 1]}
    assert polls[1]["results"]["points"] == [60, 0, 40]
    after = client.get(f"/r/{room['code']}").text
    assert "Your vote" in after
    client.close()


def test_language_from_header_and_picker(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    spanish = httpx.get(f"{server.http}/r/{room['code']}", timeout=10,
                        headers={"accept-language": "es-ES,es;q=0.9,en;q=0.5"})
    assert 'lang="es"' in spanish.text and "Entrar" in spanish.text
    with httpx.Client(base_url=server.http, timeout=10) as client:
        client.get(f"/r/{room['code']}?lang=es")
        assert 'lang="es"' in client.get(f"/r/{room['code']}").text  # the cookie remembers


def test_attendee_first_load_is_under_60_kb_compressed(server: LiveServer) -> None:
    room = create_room(server.http, "Council")
    client, html = _joined(server, room["code"])
    total = len(gzip.compress(html.encode()))
    todo = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    seen: set[str] = set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path, headers={"accept-encoding": "gzip"})
        assert response.status_code == 200, path
        size = response.headers.get("content-length")
        total += int(size) if size is not None else len(gzip.compress(response.content))
        if path.endswith(".js"):  # ES module imports are part of the first load too
            base = path.rsplit("/", 1)[0]
            todo += [f"{base}/{name}" for name in re.findall(r'from "\./([^"]+)"', response.text)]
    print(f"attendee first load: {total} bytes compressed over {len(seen) + 1} files")
    # The scripts load after the page (static/js/boot.js): test_attendee_weight.py weighs them.
    assert {"/static/css/app.css", "/static/js/boot.js"} <= seen
    assert total < 60 * 1024
    client.close()
