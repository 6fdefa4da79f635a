"""The <townhall-results> element on its example page: live bars, upserts, and text only."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

_ids = itertools.count(1)


def _op(server: LiveServer, code: str, token: str, op: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.http}/api/rooms/{code}/ops",
        json={"op": op, "op_id": f"embed-{next(_ids)}", **fields},
        headers={"authorization": f"Bearer {token}", "origin": server.http},
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_results_element_shows_live_bars(server: LiveServer, browser: Any, shots: Path) -> None:
    room = create_room(server.http, "Budget")
    code, mod = room["code"], room["moderator_token"]
    poll = _op(
        server,
        code,
        mod,
        "poll.create",
        kind="single",
        question="Which park <b>first</b>?",
        options=["North", "South"],
    )["poll_id"]
    _op(server, code, mod, "poll.open", poll_id=poll)
    _op(server, code, mod, "poll.reveal", poll_id=poll)
    page = browser.new_page(viewport={"width": 800, "height": 400})
    try:
        page.goto(
            f"{server.http}/static/examples/results-overlay.html"
            f"?room={code}&token={room['embed_token']}"
        )
        host = page.locator("townhall-results")
        host.locator(".question").wait_for()
        assert host.locator(".question").inner_text() == "Which park <b>first</b>?"  # as text
        for name in ("ana", "ben", "cy"):
            person = join(server.http, code, name=name)
            _op(
                server,
                code,
                person["participant_token"],
                "vote",
                poll_id=poll,
                choice=0 if name != "cy" else 1,
            )
        page.wait_for_function(
            "() => document.querySelector('townhall-results').shadowRoot"
            ".querySelector('.voters')?.textContent.startsWith('3')"
        )
        figures = host.locator(".row span:last-child").all_inner_texts()
        assert figures == ["2", "1"]
        widths = host.locator(".bar").evaluate_all("bars => bars.map(b => b.style.width)")
        assert widths == ["100%", "50%"]
        page.screenshot(path=str(shots / "results-embed.png"))
    finally:
        page.close()
