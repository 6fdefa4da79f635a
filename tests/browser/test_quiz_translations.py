"""A quiz and an interpreter's translation in the browser, JavaScript on: the phone's score and
the screen's leaderboard arrive live, translations follow the page's language."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room

pytestmark = [pytest.mark.browser, pytest.mark.slow]
_ids = itertools.count(1)


def _ops(server: LiveServer, code: str, token: str, op: str, **fields: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.http}/api/rooms/{code}/ops", timeout=10,
        headers={"authorization": f"Bearer {token}"},
        json={"op": op, "op_id": f"bq-{next(_ids)}", **fields},
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_a_quiz_scores_live_and_translations_follow_the_page(
    server: LiveServer, browser: Any, shots: Path
) -> None:
    room = create_room(server.http, "Quiz night", moderation="post")
    code, mod = room["code"], room["moderator_token"]
    poll_id = _ops(server, code, mod, "poll.create", kind="quiz",
                   question="Which river runs through Lyon?",
                   options=["Seine", "Rhône", "Loire"], correct=[1])["poll_id"]
    interp = _ops(server, code, mod, "moderator.add", name="Inès", role="interpreter")["token"]
    _ops(server, code, interp, "translation.attach", target="poll", target_id=poll_id, lang="es",
         text="¿Qué río pasa por Lyon?", options=["Sena", "Ródano", "Loira"])
    _ops(server, code, mod, "poll.open", poll_id=poll_id)

    context = browser.new_context(viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.goto(f"{server.http}/r/{code}?lang=es")
    phone.locator("input[name=name]").fill("Ana")
    phone.locator("form[action$='/join'] button[type=submit]").click()
    phone.wait_for_selector("body[data-conn=online]")
    card = phone.locator(f"#poll-{poll_id}")
    assert card.locator("h3").inner_text() == "¿Qué río pasa por Lyon?"
    details = card.locator("details.original")
    assert not details.locator("p").is_visible()
    details.locator("summary").click()  # the original, one tap away
    assert details.locator("p").inner_text() == "Which river runs through Lyon?"
    phone.screenshot(path=str(shots / "quiz-phone-es.png"), full_page=True)
    card.get_by_label("Ródano").check()
    card.locator("button[type=submit]").click()
    phone.wait_for_selector(f"#poll-{poll_id}[data-voted]")  # "Your vote ✓"

    screen_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    screen = screen_ctx.new_page()
    screen.goto(room["urls"]["screen"])
    screen.wait_for_selector("body[data-conn=online]")
    assert screen.locator("#leaderboard").is_hidden()
    _ops(server, code, mod, "poll.reveal", poll_id=poll_id)
    phone.wait_for_selector("#quiz-score p")
    assert "Has obtenido" in phone.locator("#quiz-score").inner_text()
    phone.wait_for_selector(f"#poll-{poll_id} .right")
    assert card.locator("form.vote").count() == 0  # no ballot once the answers are out
    assert "Ródano" in card.locator(".results").inner_text()
    screen.wait_for_selector("#leaderboard:not([hidden]) .board li")
    assert "Ana" in screen.locator("#leaderboard").inner_text()
    assert "Right answer" in screen.locator(".results").inner_text()
    phone.screenshot(path=str(shots / "quiz-phone-scored.png"), full_page=True)
    screen.screenshot(path=str(shots / "quiz-screen-leaderboard.png"))
    context.close()
    screen_ctx.close()
