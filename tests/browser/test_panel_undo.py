"""Undo beside a destructive action: a poll deleted through its confirmation page and a
question rejected in the queue come back with one click on "Undo" in the feedback line, with
JavaScript and without. The engine restores them (poll.restore, question.restore)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.live_server import LiveServer
from tests.support.wsclient import create_room, join

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAPTOP = {"viewport": {"width": 1280, "height": 800}}
_ids = itertools.count(1)


def _op(server: LiveServer, code: str, token: str, op: str, **fields: Any) -> dict[str, Any]:
    r = httpx.post(f"{server.http}/api/rooms/{code}/ops", timeout=10,
                   headers={"authorization": f"Bearer {token}"},
                   json={"op": op, "op_id": f"undo-{next(_ids)}", **fields})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _focused(page: Any) -> str:
    """Where keyboard focus is: the focused element's id, or its tag and text."""
    where: str = page.evaluate("""() => {
        const el = document.activeElement;
        return el.id || `${el.tagName.toLowerCase()}: ${el.textContent.trim().slice(0, 40)}`;
    }""")
    return where


def _room(server: LiveServer) -> tuple[dict[str, Any], int, int]:
    room = create_room(server.http, "Undo night", moderation="pre")
    code, mod = room["code"], room["moderator_token"]
    poll = _op(server, code, mod, "poll.create", kind="single", question="Which bridge first?",
               options=["North", "South"])["poll_id"]
    _op(server, code, mod, "poll.open", poll_id=poll)
    person = join(server.http, code, name="Ana")["participant_token"]
    question = _op(server, code, person, "question.ask", text="Can the library open on Sundays?",
                   anonymous=False)["question_id"]
    return room, poll, question


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_undo_a_deleted_poll_and_a_rejected_question(
    server: LiveServer, browser: Any, shots: Path, javascript: bool
) -> None:
    room, poll, question = _room(server)
    ctx = browser.new_context(java_script_enabled=javascript, **LAPTOP)
    page = ctx.new_page()
    page.goto(room["urls"]["moderate"])
    if javascript:
        page.wait_for_selector("body[data-conn=online]")
    polls = page.locator("#polls")
    article = polls.locator("article", has_text="Which bridge first?")
    assert article.count() == 1

    # the confirmation page stays: Delete asks first
    article.get_by_role("link", name="Delete").click()
    page.wait_for_url("**/moderate/confirm?**")
    page.get_by_role("button", name="Delete poll").click()
    page.wait_for_url("**/moderate?**")
    feedback = page.locator("#fb-polls")
    feedback.get_by_text("Poll deleted.").wait_for()
    assert article.count() == 0
    page.screenshot(path=str(shots / f"undo-poll-{'js' if javascript else 'nojs'}.png"))
    feedback.get_by_role("button", name="Undo").click()
    feedback.get_by_text("Poll restored.").wait_for()
    if javascript:  # the line that says what happened, where Undo was
        assert _focused(page) == "fb-polls"
    article.wait_for()  # back, as it was: open, with its Close button
    assert article.get_by_role("button", name="Close").count() == 1
    assert feedback.get_by_role("button", name="Undo").count() == 0  # an undo is not undone

    page.goto(room["urls"]["moderate"].split("?")[0] + "#queue")
    item = page.locator("#queue article", has_text="library open on Sundays")
    item.get_by_role("button", name="Reject").click()
    queue_feedback = page.locator("#fb-queue")
    queue_feedback.get_by_text("Question rejected.").wait_for()
    item.wait_for(state="detached")
    queue_feedback.get_by_role("button", name="Undo").click()
    queue_feedback.get_by_text("Question back in the queue.").wait_for()
    item.wait_for()
    page.screenshot(path=str(shots / f"undo-question-{'js' if javascript else 'nojs'}.png"))

    # the log holds the undo: the audit lists both restores
    snap = httpx.get(f"{server.http}/api/rooms/{room['code']}", timeout=10,
                     headers={"authorization": f"Bearer {room['moderator_token']}"}).json()
    assert [p["poll_id"] for p in snap["room"]["polls"]] == [poll]
    pending = [q["question_id"] for q in snap["room"]["questions"] if q["state"] == "pending"]
    assert pending == [question]
    ctx.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_undo_a_rejected_open_answer(
    server: LiveServer, browser: Any, shots: Path, javascript: bool
) -> None:
    room = create_room(server.http, "Open answers", moderation="pre")
    code, mod = room["code"], room["moderator_token"]
    poll = _op(server, code, mod, "poll.create", kind="open",
               question="What would make the square better?")["poll_id"]
    _op(server, code, mod, "poll.open", poll_id=poll)
    person = join(server.http, code, name="Bo")["participant_token"]
    answer = _op(server, code, person, "vote", poll_id=poll,
                 choice="Shade <trees> & benches")["answer_id"]
    ctx = browser.new_context(java_script_enabled=javascript,
                              viewport={"width": 360, "height": 780})
    page = ctx.new_page()
    page.goto(room["urls"]["moderate"] + "&lang=de#answers")
    if javascript:
        page.wait_for_selector("body[data-conn=online]")
    item = page.locator("#answers article", has_text="Shade <trees> & benches")  # escaped text
    item.get_by_role("button", name="Ablehnen").click()
    feedback = page.locator("#fb-answers")
    feedback.get_by_text("Antwort abgelehnt.").wait_for()
    item.wait_for(state="detached")
    page.locator("#answers").screenshot(
        path=str(shots / f"undo-answer-360-{'js' if javascript else 'nojs'}.png"))
    # by keyboard: the Undo button takes focus and Enter presses it
    feedback.get_by_role("button", name="Rückgängig").focus()
    page.keyboard.press("Enter")
    feedback.get_by_text("Antwort wieder zur Prüfung vorgelegt.").wait_for()
    item.wait_for()
    if javascript:
        assert _focused(page) == "fb-answers"
    assert feedback.get_by_role("button", name="Rückgängig").count() == 0
    page.set_viewport_size({"width": 1280, "height": 800})
    page.locator("#answers").screenshot(
        path=str(shots / f"undo-answer-back-{'js' if javascript else 'nojs'}.png"))

    snap = httpx.get(f"{server.http}/api/rooms/{code}", timeout=10,
                     headers={"authorization": f"Bearer {mod}"}).json()
    waiting = [a["answer_id"] for a in snap["room"].get("answers", []) if a["state"] == "pending"]
    assert waiting == [answer]
    ctx.close()


@pytest.mark.parametrize(
    ("javascript", "viewport"),
    [(True, LAPTOP["viewport"]), (False, LAPTOP["viewport"]),
     (True, {"width": 360, "height": 780}), (False, {"width": 360, "height": 780})],
    ids=["js-laptop", "nojs-laptop", "js-360", "nojs-360"],
)
def test_undo_a_ban_from_the_people_list_by_keyboard(
    server: LiveServer, browser: Any, shots: Path, javascript: bool, viewport: dict[str, int]
) -> None:
    room = create_room(server.http, "Ban night", moderation="post")
    name = f"{'js' if javascript else 'nojs'}-{viewport['width']}"
    # the person, on a phone page of their own
    person_ctx = browser.new_context(java_script_enabled=javascript,
                                     viewport={"width": 360, "height": 740})
    phone = person_ctx.new_page()
    phone.goto(f"{server.http}/r/{room['code']}")
    phone.get_by_label("Your name").fill("Zed")
    phone.get_by_role("button", name="Join").click()
    phone.get_by_label("Ask a question").wait_for()

    ctx = browser.new_context(java_script_enabled=javascript, viewport=viewport)
    page = ctx.new_page()
    page.goto(room["urls"]["moderate"])
    if javascript:
        page.wait_for_selector("body[data-conn=online]")
    page.goto(page.url.split("#")[0] + "#people")
    row = page.locator("#people tr", has_text="Zed")
    assert "Taking part" in row.inner_text()
    row.get_by_role("link", name="Ban", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/moderate/confirm?**")
    page.get_by_label("Reason").select_option("spam")
    page.get_by_role("button", name="Ban", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/moderate?**")
    feedback = page.locator("#fb-people")
    feedback.get_by_text("Participant banned.").wait_for()
    assert "Banned" in row.inner_text()
    phone.reload()
    phone.get_by_text("You were removed from this room by a moderator.").wait_for()
    phone.screenshot(path=str(shots / f"undo-ban-banned-{name}.png"))
    page.screenshot(path=str(shots / f"undo-ban-{name}.png"))

    # Undo, by keyboard: the ban is lifted and the person is back in the room
    feedback.get_by_role("button", name="Undo").focus()
    page.keyboard.press("Enter")
    feedback.get_by_text("Ban lifted.").wait_for()
    row.get_by_text("Taking part").wait_for()
    if javascript:
        # focus is on the line that says so (it was in the "Name" search box), and stays there
        # once the room's change is morphed in; the next Tab goes on from there
        assert _focused(page) == "fb-people"
        page.wait_for_timeout(500)
        assert _focused(page) == "fb-people"
        assert feedback.is_visible()
    assert feedback.get_by_role("button", name="Undo").count() == 0  # an undo is not undone
    page.screenshot(path=str(shots / f"undo-ban-lifted-{name}.png"))
    phone.reload()
    phone.get_by_label("Ask a question").wait_for()
    assert phone.get_by_text("You were removed from this room").count() == 0

    snap = httpx.get(f"{server.http}/api/rooms/{room['code']}", timeout=10,
                     headers={"authorization": f"Bearer {room['moderator_token']}"}).json()
    actions = [entry["action"] for entry in snap["room"].get("audit", [])]
    assert actions[-2:] == ["participant.banned", "participant.unbanned"], actions
    ctx.close()
    person_ctx.close()
