"""The attendee page's first load, measured over HTTP as a phone would fetch it (gzip)."""

from __future__ import annotations

import gzip
import re

import httpx

from tests.browser.phone import Room
from tests.support.live_server import LiveServer

BUDGET = 15 * 1024  # issue 15: the first load stays within 15 KB compressed


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def _weigh(client: httpx.Client, paths: list[str], sizes: dict[str, int], dynamic: bool) -> None:
    """Each static file's compressed size, following its static ES imports (and, when
    `dynamic`, its `import("./x.js")` calls too)."""
    imports = r'(?:from ?|import\()"\./([^"]+)"' if dynamic else r'from ?"\./([^"]+)"'
    todo = list(paths)
    while todo:
        path = todo.pop()
        if path in sizes:
            continue
        got = client.get(path, headers={"accept-encoding": "gzip"})
        assert got.status_code == 200, path
        sizes[path] = int(got.headers["content-length"])
        assert got.headers.get("content-encoding") == "gzip" or sizes[path] < 500, path
        if path.endswith(".js"):
            base = path.rsplit("/", 1)[0]
            todo += [f"{base}/{name}" for name in re.findall(imports, got.text)]


def test_first_load_of_a_busy_room_stays_within_15_kb(server: LiveServer) -> None:
    room = Room(server, "Participatory budget 2027", moderation="post")
    room.every_kind()
    old = room.poll("single", "Which night suits you?", options=["Monday", "Thursday"])
    room.op("poll.close", poll_id=old)
    room.op("poll.reveal", poll_id=old)
    with httpx.Client(base_url=server.http, timeout=10, headers={"origin": server.http}) as client:
        _measure(client, room)


def _measure(client: httpx.Client, room: Room) -> None:
    page = client.get(f"/r/{room.code}")
    client.post(f"/r/{room.code}/join", data={"csrf": _csrf(page.text), "name": "Ana"})
    csrf = _csrf(client.get(f"/r/{room.code}").text)
    for n in range(5):
        client.post(f"/r/{room.code}/act", data={
            "csrf": csrf, "op": "question.ask", "text": f"Question number {n} about the budget?"})
    response = client.get(f"/r/{room.code}", headers={"accept-encoding": "gzip"})
    html = response.text
    assert html.count('class="card question') == 5 and html.count('data-poll="') == 8
    # Pages are compressed by whatever serves them (gzip at the proxy): count them gzipped.
    sizes = {"page": len(gzip.compress(response.content))}
    linked = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    everything = dict(sizes)
    _weigh(client, linked, sizes, dynamic=False)
    first = sum(sizes.values())
    # The enhancement, imported once the page has loaded (static/js/boot.js), and what
    # it imports: counted apart, and bounded too.
    _weigh(client, linked, everything, dynamic=True)
    total = sum(everything.values())
    sizes = everything
    print(f"attendee first load: {first} bytes compressed; with its scripts {total}: {sizes}")
    assert {"/static/js/attendee.js", "/static/js/live.js", "/static/js/ballots.js"} <= set(sizes)
    assert first <= BUDGET, sizes
    assert total <= 2 * BUDGET, sizes
